"""Resource codes the code raises, as named constants (the catalog, `data/catalog.yaml`, holds them all).

A raise site names `codes.X`, never a string, so a typo is a NameError at import and a code that is missing
from the catalog fails `_check` when this module is imported (at start), not at the first request that hits it.
Codes reached only through scenario rules (`fault: CODE`) are validated when the scenario loads.
"""

from __future__ import annotations

from mockwcf import catalog

AtLeastOneTransformRequired = "AtLeastOneTransformRequired"
AtMostOnePrimarySignatureInReceiveSecurityHeader = "AtMostOnePrimarySignatureInReceiveSecurityHeader"
CannotReadKeyIdentifier = "CannotReadKeyIdentifier"
CannotReadKeyIdentifierClause = "CannotReadKeyIdentifierClause"
CannotReadToken = "CannotReadToken"
ContentTypeMismatch = "ContentTypeMismatch"
CreationTimeUtcIsAfterExpiryTime = "CreationTimeUtcIsAfterExpiryTime"
DigestVerificationFailedForReference = "DigestVerificationFailedForReference"
DuplicateIdInMessageToBeVerified = "DuplicateIdInMessageToBeVerified"
DuplicateTimestampInSecurityHeader = "DuplicateTimestampInSecurityHeader"
EncoderEnvelopeVersionMismatch = "EncoderEnvelopeVersionMismatch"
EncryptionNotExpected = "EncryptionNotExpected"
HttpAuthorizationFailed = "HttpAuthorizationFailed"
HttpAuthorizationForbidden = "HttpAuthorizationForbidden"
HttpBadAuthorization = "HttpBadAuthorization"
HttpSoapActionMismatchFault = "HttpSoapActionMismatchFault"
InvalidOrReplayedNonce = "InvalidOrReplayedNonce"
InvalidX509RawData = "InvalidX509RawData"
MalformedMessage = "MalformedMessage"
MaxReceivedMessageSizeExceeded = "MaxReceivedMessageSizeExceeded"
MessageSecurityVerificationFailed = "MessageSecurityVerificationFailed"
NoKeyInfoInSignatureToFindVerificationToken = "NoKeyInfoInSignatureToFindVerificationToken"
NoSignatureAvailableInSecurityHeaderToDoReplayDetection = (
    "NoSignatureAvailableInSecurityHeaderToDoReplayDetection"
)
NoTimestampAvailableInSecurityHeaderToDoReplayDetection = (
    "NoTimestampAvailableInSecurityHeaderToDoReplayDetection"
)
PublicKeyNotRSA = "PublicKeyNotRSA"
RequiredMessagePartNotSignedNs = "RequiredMessagePartNotSignedNs"
RequiredSecurityHeaderElementNotSigned = "RequiredSecurityHeaderElementNotSigned"
RequiredSignatureMissing = "RequiredSignatureMissing"
RequiredTimestampMissingInSecurityHeader = "RequiredTimestampMissingInSecurityHeader"
SFxDeserializationFailed1 = "SFxDeserializationFailed1"
SFxHeaderNotUnderstood = "SFxHeaderNotUnderstood"
SFxInternalServerError = "SFxInternalServerError"
SFxNoEndpointMatchingContract = "SFxNoEndpointMatchingContract"
SecurityHeaderIsEmpty = "SecurityHeaderIsEmpty"
SignatureConfirmationsNotExpected = "SignatureConfirmationsNotExpected"
SignatureVerificationFailed = "SignatureVerificationFailed"
SigningWithoutPrimarySignatureRequiresTimestamp = "SigningWithoutPrimarySignatureRequiresTimestamp"
SuiteDoesNotAcceptAlgorithm = "SuiteDoesNotAcceptAlgorithm"
SupportingTokenIsNotEndorsing = "SupportingTokenIsNotEndorsing"
SupportingTokenIsNotSigned = "SupportingTokenIsNotSigned"
SupportingTokenNotProvided = "SupportingTokenNotProvided"
SupportingTokenSignaturesNotExpected = "SupportingTokenSignaturesNotExpected"
TimeStampHasCreationAheadOfExpiry = "TimeStampHasCreationAheadOfExpiry"
TimeStampHasCreationTimeInFuture = "TimeStampHasCreationTimeInFuture"
TimeStampHasExpiryTimeInPast = "TimeStampHasExpiryTimeInPast"
TimeStampWasCreatedTooLongAgo = "TimeStampWasCreatedTooLongAgo"
TimestampMustOccurFirstInSecurityHeaderLayout = "TimestampMustOccurFirstInSecurityHeaderLayout"
TimestampMustOccurLastInSecurityHeaderLayout = "TimestampMustOccurLastInSecurityHeaderLayout"
UnableToFindSecurityHeaderInMessage = "UnableToFindSecurityHeaderInMessage"
UnableToFindTokenAuthenticator = "UnableToFindTokenAuthenticator"
UnableToResolveKeyInfoForUnwrappingToken = "UnableToResolveKeyInfoForUnwrappingToken"
UnableToResolveKeyInfoForVerifyingSignature = "UnableToResolveKeyInfoForVerifyingSignature"
UnableToResolveReferenceUriForSignature = "UnableToResolveReferenceUriForSignature"
UnknownEncodingInBinarySecurityToken = "UnknownEncodingInBinarySecurityToken"
UnknownEncodingInKeyIdentifier = "UnknownEncodingInKeyIdentifier"
UnsignedToHeaderInTransportSecuredMessage = "UnsignedToHeaderInTransportSecuredMessage"
UnsupportedPasswordType = "UnsupportedPasswordType"
UnsupportedTransformAlgorithm = "UnsupportedTransformAlgorithm"
UserNameAuthenticationFailed = "UserNameAuthenticationFailed"
UserNameCannotBeEmpty = "UserNameCannotBeEmpty"
X509ChainBuildFail = "X509ChainBuildFail"
X509InvalidUsageTime = "X509InvalidUsageTime"
X509IsNotInTrustedStore = "X509IsNotInTrustedStore"
# secure conversation (security/trust.py, conversation.py, cookies.py, sctstore.py)
BadCloseTarget = "BadCloseTarget"
CannotFindSecuritySession = "CannotFindSecuritySession"
CannotIssueRstTokenType = "CannotIssueRstTokenType"
EntropyModeRequiresRequestorEntropy = "EntropyModeRequiresRequestorEntropy"
InvalidKeyLengthRequested = "InvalidKeyLengthRequested"
InvalidRequestTrustFaultCode = "InvalidRequestTrustFaultCode"
InvalidRstRequestType = "InvalidRstRequestType"
InvalidSecurityContextCookie = "InvalidSecurityContextCookie"
NoCloseTargetSpecified = "NoCloseTargetSpecified"
SecurityContextExpired = "SecurityContextExpired"
SecurityContextKeyExpired = "SecurityContextKeyExpired"
SecurityContextNotRegistered = "SecurityContextNotRegistered"
SecurityRenewFaultReason = "SecurityRenewFaultReason"
SecuritySessionLimitReached = "SecuritySessionLimitReached"
SecurityStateEncoderDecodingFailure = "SecurityStateEncoderDecodingFailure"
BadRenewTarget = "BadRenewTarget"
NoRenewTargetSpecified = "NoRenewTargetSpecified"
TooManyPendingSessionKeys = "TooManyPendingSessionKeys"
WrongIdentityRenewingToken = "WrongIdentityRenewingToken"


def _check() -> None:
    missing = [
        v for k, v in globals().items() if k[:1].isupper() and isinstance(v, str) and not catalog.exists(v)
    ]
    if missing:
        raise ImportError(f"mockwcf.codes names codes the catalog lacks: {', '.join(missing)}")


_check()

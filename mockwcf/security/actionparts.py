"""The request's action must have protection requirements before the security header is read.

WCF's MessageSecurityProtocol.ConfigureReceiveSecurityHeader (reference source, System.ServiceModel/System/
ServiceModel/Security/MessageSecurityProtocol.cs) asks, right after it found the security header
(SecurityStandardsManager.CreateReceiveSecurityHeader: UnableToFindSecurityHeaderInMessage comes first) and
before any of it is read, for the parts of the message's action:

- `factory.RequireIntegrity || securityHeader.ExpectSignedTokens` -> GetIncomingSignatureParts(action),
- `factory.RequireConfidentiality || securityHeader.ExpectBasicTokens` -> GetIncomingEncryptionParts(action);
RequireIntegrity is always true on the bindings mockwcf emulates (see check), so the first one decides.

Both go through MessageSecurityProtocolFactory.ExtractMessageParts, which looks the action up in the endpoint's
ChannelProtectionRequirements (one entry per contract action, CreateFromContract) and then under the wildcard
action "*"; an action that is in neither throws a MessageSecurityException NoSignaturePartsSpecified (its encryption
twin NoEncryptionPartsSpecified is never reached first) that carries its own MessageFault: Sender, subcode wsse:InvalidSecurity, reason
SR.InvalidOrUnrecognizedAction ("The message could not be processed because the action '{0}' is invalid or
unrecognized."). SecurityUtils.CreateSecurityMessageFault sends that fault as it is (`ms.Fault != null`), so the
client does not get the generic "An error occurred when verifying security" text. Transport security
(TransportSecurityProtocol) never asks for message parts, so it has no such check: an unknown action there is
refused later, at dispatch.
"""

from __future__ import annotations

from mockwcf import codes, ns
from mockwcf.faults import Rejection
from mockwcf.security.context import ReceiveContext

STEP = "actionparts"  # exceptiondetail.FRAMES names its WCF frames
WILDCARD_ACTION = "*"  # MessageHeaders.WildcardAction
# SecurityBindingElement.GetProtectionRequirements adds the fault actions to every endpoint's requirements:
# AddressingVersion.WSAddressing10's FaultAction and DefaultFaultAction (AddressingVersion.None has neither)
# and FaultCodeConstants.Actions.NetDispatcher
_NET_DISPATCHER_FAULT = (
    "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher/fault"
)
_WSA10_FAULTS = (ns.WSA10 + "/fault", ns.FAULT_ACTION_WSA10)


def check(ctx: ReceiveContext) -> None:
    """ExtractMessageParts for the request's action (message security only; `ctx.contract_actions` is None where
    the channel's own protocol answers, e.g. a secure conversation bootstrap, which has its own requirements)."""
    actions = ctx.contract_actions
    if actions is None or not ctx.binding.protects_message:
        return
    if ctx.action in actions or WILDCARD_ACTION in actions or ctx.action == _NET_DISPATCHER_FAULT:
        return
    if ctx.binding.addressing and ctx.action in _WSA10_FAULTS:
        return
    # RequireIntegrity holds on every binding that protects the message (SymmetricSecurityBindingElement sets it;
    # AsymmetricSecurityBindingElement's HasProtectionRequirements(IncomingSignatureParts) is true through the
    # binding's own fault-action parts), so the signature parts are asked for first and NoEncryptionParts
    # Specified cannot be reached from a request
    known = ", ".join(sorted(actions)) or "none"
    raise Rejection(
        codes.NoSignaturePartsSpecified,
        f"No signature message parts were specified for messages with the '{ctx.action}' action: the contract has no "
        f"operation with that action, so the service has no protection requirements for it (known: {known}).",
        step=STEP,
        hint="Send the operation's exact Action (SOAPAction / wsa:Action) as the WSDL gives it; WCF refuses an "
        "unknown action before it reads the security header.",
    )

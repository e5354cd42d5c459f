"""The reply's wsse:Security contents in the order WCF writes them.

SendSecurityHeader.OnWriteHeaderContents (System.ServiceModel/System/ServiceModel/Security/SendSecurityHeader.cs)
writes, in this order: the Timestamp (unless LaxTimestampLast), the prerequisite token, the signing token (a BST,
or the EncryptedKey of a symmetric reply), the derived signing key, the encryption token and wrapped key, the
derived encryption key, the ReferenceList when signing before encrypting, signed / basic / endorsing /
signed-endorsing supporting tokens (with their derived keys), the SignatureConfirmations, the primary
ds:Signature, the endorsing signatures, the ReferenceList when encrypting before signing, and the Timestamp last
under LaxTimestampLast. Each slot holds already-written XML, so a part can be signed (or encrypted) before the
header is assembled and still land where WCF puts it:

    <o:Security s:mustUnderstand="1">
      <u:Timestamp/> <o:BinarySecurityToken/> ... <k:SignatureConfirmation/> <Signature/> ...
    </o:Security>
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SendSecurityHeader:
    timestamp: str = ""
    timestamp_last: bool = False  # SecurityHeaderLayout.LaxTimestampLast
    prerequisite_token: str = ""
    signing_token: str = ""
    derived_signing_key: str = ""
    encryption_token: str = ""
    wrapped_encryption_key: str = ""
    derived_encryption_key: str = ""
    sign_then_encrypt: bool = True
    reference_list: str = ""
    signed_supporting: list[str] = field(default_factory=list)
    basic_supporting: list[str] = field(default_factory=list)
    endorsing: list[str] = field(default_factory=list)
    signed_endorsing: list[str] = field(default_factory=list)
    signature_confirmations: list[str] = field(default_factory=list)
    primary_signature: str = ""
    endorsing_signatures: list[str] = field(default_factory=list)

    def contents(self) -> str:
        """The children of wsse:Security, in OnWriteHeaderContents order."""
        parts = [
            "" if self.timestamp_last else self.timestamp,
            self.prerequisite_token,
            self.signing_token,
            self.derived_signing_key,
            self.encryption_token,
            self.wrapped_encryption_key,
            self.derived_encryption_key,
            self.reference_list if self.sign_then_encrypt else "",
            *self.signed_supporting,
            *self.basic_supporting,
            *self.endorsing,
            *self.signed_endorsing,
            *self.signature_confirmations,
            self.primary_signature,
            *self.endorsing_signatures,
            "" if self.sign_then_encrypt else self.reference_list,
            self.timestamp if self.timestamp_last else "",
        ]
        return "".join(parts)

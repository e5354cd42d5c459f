"""WCF's sixteen algorithm suites and the receive-side checks they make (RS SM/Security/SecurityAlgorithmSuite.cs).

A suite is strict on receive: each `Is*AlgorithmSupported` accepts only the suite's own default, so an
AES-128 body sent to a Basic256 endpoint, or RSA-1_5 key transport to a Basic256 (OAEP) endpoint, is
refused with SuiteDoesNotAcceptAlgorithm naming the operation ('Encryption', 'AsymmetricKeyWrap', ...).
Key sizes follow `IsSymmetricKeyLengthSupported` (Basic256: exactly 256 bits; Basic192 and TripleDes:
192-256; Basic128: 128-256) and, for derived keys, `DefaultEncryptionKeyDerivationLength` /
`DefaultSignatureKeyDerivationLength` as minimums (EnsureAcceptableDecryptionSymmetricKeySize,
EnsureAcceptableSignatureSymmetricKeySize).

This module is data plus checks with explicit arguments; the binding model names the suite.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockwcf import codes, ns
from mockwcf.faults import Rejection

STEP = "suite"


@dataclass(frozen=True)
class Suite:
    """One SecurityAlgorithmSuite: its ToString() name, the defaults it accepts and its key lengths (bits)."""

    name: str
    encryption: str
    symmetric_key_wrap: str
    asymmetric_key_wrap: str
    symmetric_signature: str
    asymmetric_signature: str
    digest: str
    encryption_dk_bits: int  # DefaultEncryptionKeyDerivationLength
    signature_dk_bits: int  # DefaultSignatureKeyDerivationLength
    symmetric_key_bits: int  # DefaultSymmetricKeyLength (what WCF generates for an EncryptedKey)
    symmetric_min_bits: int  # IsSymmetricKeyLengthSupported range
    symmetric_max_bits: int = 256

    @property
    def max_derived_key_bytes(self) -> int:
        """ReceiveSecurityHeader.Process: max(encryption, signature derivation length) / 8."""
        return max(self.encryption_dk_bits, self.signature_dk_bits) // 8

    def symmetric_key_length_supported(self, bits: int) -> bool:
        return self.symmetric_min_bits <= bits <= self.symmetric_max_bits

    def _refuse(self, algorithm: str, operation: str) -> Rejection:
        return Rejection(
            codes.SuiteDoesNotAcceptAlgorithm,
            f"The algorithm '{algorithm}' is not accepted for operation '{operation}' by algorithm suite "
            f"{self.name}.",
            step=STEP,
            hint=f"Algorithm suite {self.name} accepts only its own default for '{operation}'; configure the "
            "client with the same suite as the service.",
        )

    def ensure_encryption(self, algorithm: str) -> None:
        """EnsureAcceptableEncryptionAlgorithm (called from CreateDecryptionAlgorithm)."""
        if algorithm != self.encryption:
            raise self._refuse(algorithm, "Encryption")

    def ensure_key_wrap(self, algorithm: str, asymmetric: bool) -> None:
        """EnsureAcceptableKeyWrapAlgorithm, called by DecryptWrappedKey after the key was unwrapped."""
        if asymmetric and algorithm != self.asymmetric_key_wrap:
            raise self._refuse(algorithm, "AsymmetricKeyWrap")
        if not asymmetric and algorithm != self.symmetric_key_wrap:
            raise self._refuse(algorithm, "SymmetricKeyWrap")

    def ensure_symmetric_signature(self, algorithm: str) -> None:
        if algorithm != self.symmetric_signature:
            raise self._refuse(algorithm, "SymmetricSignature")

    def ensure_asymmetric_signature(self, algorithm: str) -> None:
        if algorithm != self.asymmetric_signature:
            raise self._refuse(algorithm, "AsymmetricSignature")

    def ensure_digest(self, algorithm: str) -> None:
        if algorithm != self.digest:
            raise self._refuse(algorithm, "Digest")

    def ensure_key_derivation(self, algorithm: str, operation: str) -> None:
        """Is{Signature,Encryption}KeyDerivationAlgorithmSupported: either P_SHA1 URI, in any suite."""
        if algorithm not in (ns.PSHA1_2005, ns.PSHA1_13):
            raise self._refuse(algorithm, operation)

    def ensure_symmetric_key_size(
        self, token: str, key_bits: int, derived_bits: int | None = None, *, for_signature: bool
    ) -> None:
        """EnsureAcceptable{Signature,Decryption}SymmetricKeySize: a derived key must reach the suite's
        derivation length (signature or encryption), and the key it was derived from (or the key itself
        when not derived) must have a length the suite supports."""
        if derived_bits is not None:
            floor = self.signature_dk_bits if for_signature else self.encryption_dk_bits
            if derived_bits < floor:
                raise _key_size(self.name, f"derived key of {token}", derived_bits)
        if not self.symmetric_key_length_supported(key_bits):
            raise _key_size(self.name, token, key_bits)


def _key_size(suite: str, token: str, bits: int) -> Rejection:
    return Rejection(
        codes.TokenDoesNotMeetKeySizeRequirements,
        f"The key size requirements of algorithm suite '{suite}' are not met by the {token}, whose key has "
        f"{bits} bits.",
        step=STEP,
    )


def _family(name: str, enc: str, kw: str, dk_enc: int, dk_sig: int, key: int, lo: int) -> dict[str, Suite]:
    """The four members of one family: plain, Rsa15, Sha256, Sha256Rsa15 (RS subclasses override only the
    asymmetric key wrap and the digest/signature algorithms)."""
    out = {}
    for sha256 in (False, True):
        for rsa15 in (False, True):
            full = name + ("Sha256" if sha256 else "") + ("Rsa15" if rsa15 else "")
            out[full] = Suite(
                name=full,
                encryption=enc,
                symmetric_key_wrap=kw,
                asymmetric_key_wrap=ns.RSA_15 if rsa15 else ns.RSA_OAEP,
                symmetric_signature=ns.HMAC_SHA256 if sha256 else ns.HMAC_SHA1,
                asymmetric_signature=ns.RSA_SHA256 if sha256 else ns.RSA_SHA1,
                digest=ns.SHA256 if sha256 else ns.SHA1,
                encryption_dk_bits=dk_enc,
                signature_dk_bits=dk_sig,
                symmetric_key_bits=key,
                symmetric_min_bits=lo,
            )
    return out


SUITES: dict[str, Suite] = {
    **_family("Basic256", ns.AES256_CBC, ns.KW_AES256, 256, 192, 256, 256),
    **_family("Basic192", ns.AES192_CBC, ns.KW_AES192, 192, 192, 192, 192),
    **_family("Basic128", ns.AES128_CBC, ns.KW_AES128, 128, 128, 128, 128),
    **_family("TripleDes", ns.TRIPLEDES_CBC, ns.KW_TRIPLEDES, 192, 192, 192, 192),
}


def get(name: str) -> Suite:
    """The suite by its WCF name (SecurityAlgorithmSuite.ToString(), e.g. 'Basic256Sha256Rsa15')."""
    try:
        return SUITES[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a WCF algorithm suite; known: {', '.join(SUITES)}") from None

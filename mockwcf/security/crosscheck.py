"""A second opinion from signxml, an independent XML-DSig implementation, on the already-parsed tree.

Off the hot path: signxml re-parses the document about nine times per message (performance-floors.md),
so it runs only when mockwcf has already rejected a signature or digest (to tell the user whether a
general-purpose verifier agrees) and on request (`mockwcf verify --signxml`). It checks cryptography only:
signxml finds references by a document-wide id search, WCF by position, so for a wrapped message the
two can differ and WCF's verdict (mockwcf's) is the one that counts.
"""

from __future__ import annotations

from cryptography import x509
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
from signxml.exceptions import InvalidInput, InvalidSignature

# WCF's Basic256 suite signs with RSA-SHA1/SHA-1, which signxml refuses unless allowed explicitly.
_CONFIG = SignatureConfiguration(
    signature_methods=frozenset(SignatureMethod), digest_algorithms=frozenset(DigestAlgorithm)
)


def second_opinion(element: etree._Element, cert: x509.Certificate | None, references: int) -> str:
    if cert is None:
        return "signxml: no certificate to check with"
    root = element.getroottree().getroot()
    try:
        results = XMLVerifier().verify(
            root, x509_cert=cert, expect_references=references, id_attribute="Id", expect_config=_CONFIG
        )
    except (InvalidSignature, InvalidInput) as exc:
        return f"signxml (independent check) also rejects it: {type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - a second opinion must never turn a verdict into a crash
        # e.g. signxml's schema check refuses ec:InclusiveNamespaces, which WSS4J writes and WCF reads
        return f"signxml (independent check) could not read this signature: {type(exc).__name__}: {exc}"
    results = results if isinstance(results, list) else [results]
    names = ", ".join(etree.QName(r.signed_xml).localname for r in results)
    return f"signxml (independent check) verifies the cryptography of: {names}"

"""ExpectEncryption over transport (security/encryption.py expects_encryption): TransportSecurityProtocol leaves
ReceiveSecurityHeader.ExpectEncryption at its default, true, so a ReferenceList or an EncryptedData in the
security header is read, never refused with EncryptionNotExpected; nothing over transport decrypts, so an
EncryptedData finds no key (WSSecurityOneDotZeroReceiveSecurityHeader.DecryptSecurityHeaderElement ->
TryResolveKeyIdentifier) and a ReferenceList's ids stay pending (EnsureDecryptionComplete). The message-security
side is in tests/test_operation_protection.py, test_symmetric.py and test_asymmetric_encryption.py."""

from __future__ import annotations

import pytest
from lxml import etree

from mockwcf import ns
from tests import wss, xenc
from tests.conftest import SCENARIOS

TRANSPORT = SCENARIOS / "basichttp-username-transport.yaml"


def _encrypted_username_token(key_info: str | None) -> bytes:
    root = etree.fromstring(wss.envelope(wss.security(wss.timestamp(), wss.username_token())).encode())
    token = root.find(f".//{{{ns.WSSE}}}UsernameToken")
    ed, _ = xenc.encrypt(token, b"k" * 32, content=False, ed_id="ED-UT")
    if key_info is not None:
        xenc.add_key_info(ed, xenc.str_reference(key_info))
    return etree.tostring(root)


@pytest.mark.mockwcf_scenario(TRANSPORT)
@pytest.mark.parametrize(
    ("key_info", "code"),
    [
        (None, "NoKeyInfoInEncryptedItemToFindDecryptingToken"),
        ("#UT-1", "UnableToResolveKeyInfoForDecryption"),  # a token with no key
        ("#EK-1", "UnableToResolveKeyInfoForDecryption"),
    ],
)
def test_an_encrypted_item_over_transport_finds_no_key(mockwcf_server, key_info, code):
    wss.expect(mockwcf_server, wss.post(mockwcf_server.url, _encrypted_username_token(key_info)), code)


@pytest.mark.mockwcf_scenario(TRANSPORT)
def test_a_reference_list_over_transport_is_read_and_left_unresolved(mockwcf_server):
    listed = etree.tostring(xenc.reference_list("ED-B")).decode()
    doc = wss.envelope(wss.security(wss.timestamp(), wss.username_token(), listed))
    wss.expect(mockwcf_server, wss.post(mockwcf_server.url, doc), "UnableToResolveDataReference")
    # EnsureDecryptionComplete runs after the whole header was read: a wrong password is met first
    doc = wss.envelope(wss.security(wss.timestamp(), wss.username_token(password="nope"), listed))
    wss.expect(mockwcf_server, wss.post(mockwcf_server.url, doc), "UserNameAuthenticationFailed")
    empty = f'<xenc:ReferenceList xmlns:xenc="{ns.XENC}"/>'
    doc = wss.envelope(wss.security(wss.timestamp(), wss.username_token(), empty))
    wss.expect(mockwcf_server, wss.post(mockwcf_server.url, doc), "ReferenceListCannotBeEmpty")

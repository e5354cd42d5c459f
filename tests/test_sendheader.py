"""The reply's security header keeps SendSecurityHeader.OnWriteHeaderContents' order, whatever order parts were made."""

from __future__ import annotations

from mockwcf.security.sendheader import SendSecurityHeader


def test_parts_land_in_wcf_order_sign_then_encrypt():
    h = SendSecurityHeader(primary_signature="<Sig/>", reference_list="<RL/>", timestamp="<TS/>")
    h.signature_confirmations.append("<SC/>")
    h.signing_token = "<EK/>"
    h.derived_signing_key = "<DK1/>"
    h.derived_encryption_key = "<DK2/>"
    h.endorsing_signatures.append("<ESig/>")
    assert h.contents() == "<TS/><EK/><DK1/><DK2/><RL/><SC/><Sig/><ESig/>"


def test_encrypt_before_sign_puts_the_reference_list_after_the_signatures_and_lax_timestamp_last():
    h = SendSecurityHeader(
        timestamp="<TS/>",
        timestamp_last=True,
        sign_then_encrypt=False,
        reference_list="<RL/>",
        primary_signature="<Sig/>",
    )
    assert h.contents() == "<Sig/><RL/><TS/>"

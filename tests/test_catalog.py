"""The catalog against the user's seed table, verbatim, plus the added receive-path codes."""

from __future__ import annotations

import json
import subprocess
import sys

from mockwcf import catalog
from mockwcf.faults import WIRE_FAULTS
from tests.conftest import DATA


def _seed_rows() -> list[tuple[str, str]]:
    rows = []
    for line in (DATA / "000_a9bef4e1c8225866.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and not line.startswith(("|--", "|Resource Code")):
            _, code, string, _ = line.split("|")
            rows.append((code, string))
    return rows


def test_every_seed_pair_is_in_the_catalog_verbatim_and_in_order():
    rows = _seed_rows()
    assert len(rows) == 140
    seed_entries = [e for e in catalog.entries() if e.origin == "seed"]
    assert [(e.code, e.string) for e in seed_entries] == rows


def test_added_codes_cover_the_receive_path():
    required = [
        "UnableToResolveKeyInfoForVerifyingSignature",
        "NoKeyInfoInSignatureToFindVerificationToken",
        "InvalidOrReplayedNonce",
        "RequiredTimestampMissingInSecurityHeader",
        "UnableToFindSecurityHeaderInMessage",
        "SecurityHeaderIsEmpty",
        "DuplicateTimestampInSecurityHeader",
        "X509ChainBuildFail",
        "X509InvalidUsageTime",
        "X509IsNotInTrustedStore",
        "SuiteDoesNotAcceptAlgorithm",
        "RequiredMessagePartNotSignedNs",
        "CannotReadToken",
        "InvalidX509RawData",
        "SupportingTokenNotProvided",
        "SecurityContextExpired",
        "SecurityStateEncoderDecodingFailure",
        "SecuritySessionLimitReached",
    ]
    for code in required:
        assert catalog.exists(code), code
    added = [e for e in catalog.entries() if e.origin == "added"]
    seed_codes = {c for c, _ in _seed_rows()}
    assert not {e.code for e in added} & seed_codes, "an added code duplicates a seed code"
    assert catalog.get("SecuritySessionLimitReached").fault == "ServerTooBusy"
    assert WIRE_FAULTS["ServerTooBusy"].code == "Receiver"
    assert catalog.get("X509ChainBuildFail").fault == "FailedAuthentication"


def test_every_entry_has_a_known_wire_fault_and_a_hint():
    for e in catalog.entries():
        assert e.fault in WIRE_FAULTS, e.code
        assert e.hint.strip(), e.code


def test_catalog_command_json():
    out = subprocess.run(
        [sys.executable, "-m", "mockwcf.cli", "catalog", "--json"], capture_output=True, text=True, check=True
    ).stdout
    data = json.loads(out)
    assert len(data) == len(catalog.entries())
    entry = next(d for d in data if d["code"] == "TimeStampHasExpiryTimeInPast")
    assert entry["origin"] == "seed"
    assert entry["wire"]["subcode"].endswith("}InvalidSecurity")
    assert entry["wire"]["reason"] == "An error occurred when verifying security for the message."


def test_receive_path_codes_are_really_raised_by_the_code():
    """A code marked receivePath must be raised somewhere in mockwcf's own processing, not only by rules."""
    from tests.conftest import REPO

    source = "".join(p.read_text() for p in (REPO / "mockwcf").rglob("*.py"))
    for e in catalog.entries():
        raised = f'"{e.code}"' in source
        assert raised == e.receive_path, (
            f"{e.code}: receivePath={e.receive_path} but raised in code: {raised}"
        )

"""Shared test set-up: the repository's test PKI and paths. Servers come from mockwcf's own pytest plugin."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
import urllib3

from mockwcf import certs

REPO = Path(__file__).resolve().parent.parent
CERTS = REPO / "certs"
SCENARIOS = REPO / "scenarios"
# Test data travels with the repository (tests/data/README.md says where each file came from): a clone alone
# runs the suite.
DATA = REPO / "tests" / "data"

# packaged scenarios and their test PKI go to the mockwcf home: keep it inside the repository (git-ignored)
os.environ.setdefault("MOCKWCF_HOME", str(REPO / "build" / "mockwcf-home"))
certs.make(CERTS)  # idempotent: keeps existing files; the bundled scenarios point at certs/
warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)


@pytest.fixture(scope="session")
def pki() -> Path:
    return CERTS

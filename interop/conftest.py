"""The interop tier: real third-party clients (zeep, node `soap`, Apache WSS4J, Mono's WCF) against the shipped
scenarios on loopback. `make interop` installs what is missing (interop/install.sh) and runs this directory.

Each client runs as its own process with a time bound (CLIENT_TIMEOUT) and prints one line; `Report` is that
line read back, so every test asserts what the client itself reported, then the journal's verdict.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import PrivateFormat, load_pem_private_key, pkcs12

from mockwcf import certs
from mockwcf.testing import MockServer

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CERTS = REPO / "certs"
SCENARIOS = REPO / "scenarios"
BUILD = HERE / "build"
CLIENT_TIMEOUT = 60  # seconds for one client run (JVM and Mono start-up included); the tier's bound per run
PFX_PASSWORD = "interop"
JARS = [f"/usr/share/java/{j}.jar" for j in ("wss4j", "xmlsec", "commons-logging", "slf4j-api", "slf4j-nop")]

certs.make(CERTS)


@dataclass(frozen=True)
class Report:
    """What one client run reported: an echoed result, a fault (code, reason, detail Message), or an error."""

    result: str | None = None
    code: str | None = None  # the fault code as the client shows it (a:InvalidSecurity, InvalidSecurity, ...)
    code_ns: str | None = None  # its namespace, for clients that give it (Mono's FaultCode)
    top_code: str | None = None  # Mono's FaultCode.Name: Sender on SOAP 1.2 (subcode in `code`), else = code
    reason: str | None = None
    detail_message: str | None = None  # the ExceptionDetail's Message, as the client read it
    header: str | None = None  # X-MockWcf-Resource-Code, for clients that expose HTTP headers
    exception: str | None = None  # the client's own exception type (Mono)
    error: str | None = None

    @property
    def resource_code(self) -> str | None:
        """The resource code as a user of this client reads it: the detail Message up to the first colon."""
        return self.detail_message.split(":", 1)[0] if self.detail_message else None


def run(args: list[str], cwd: Path = HERE) -> str:
    """Run one client with the tier's time bound; its last stdout line is its report."""
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, f"{args[0]} printed nothing (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return lines[-1]


def tab_report(line: str, fields: list[str]) -> Report:
    """Mono's and WSS4J's tab-separated lines."""
    kind, *values = line.split("\t")
    if kind == "RESULT":
        return Report(result=values[0])
    if kind == "ERROR":
        return Report(exception=values[0], error=values[1] if len(values) > 1 else "")
    assert kind == "FAULT", line
    data = dict(zip(fields, values, strict=True))
    if data.get("detail_message") is not None:
        data["detail_message"] = data["detail_message"].replace(" | ", "\n") or None
    return Report(**{k: v for k, v in data.items() if not k.startswith("_")})


def json_report(line: str) -> Report:
    data = json.loads(line)
    if "result" in data:
        return Report(result=data["result"])
    if "error" in data:
        return Report(error=data["error"])
    f = data["fault"]
    return Report(code=f["code"], reason=f["reason"], detail_message=f["detailMessage"], header=f["header"])


def load(server: MockServer, name: str, **changes: object) -> None:
    """Serve a shipped scenario, optionally with top-level keys changed (e.g. diagnostics: false)."""
    path = SCENARIOS / name
    if not changes:
        server.load(path)
        return
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    server.load(data, base_dir=SCENARIOS)


def expect(
    server: MockServer, report: Report, outcome: tuple[str, str] | str, *, reads_header: bool = False
) -> None:
    """`outcome` is "accepted" or (wire subcode, resource code); checks the client's report, then the journal."""
    if outcome == "accepted":
        assert report.result is not None and report.result.startswith("hello from"), report
        server.assert_accepted()
        return
    subcode, code = outcome
    assert report.result is None and report.error is None, report
    assert report.code is not None and report.code.split(":")[-1] == subcode, report
    assert report.resource_code == code, report
    if reads_header:
        assert report.header == code, report
    entry = server.assert_fault(code)
    assert entry.wire_code == subcode


def _pfx(name: str) -> Path:
    # 3DES/SHA-1 PKCS#12: the oldest form, which Mono's BoringSSL and the JDK both read
    key = load_pem_private_key((CERTS / "client.key").read_bytes(), None)
    cert = x509.load_pem_x509_certificate((CERTS / f"{name}.pem").read_bytes())
    enc = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())
        .build(PFX_PASSWORD.encode())
    )
    path = BUILD / f"{name}.pfx"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"client", key, cert, None, enc))
    return path


@pytest.fixture(scope="session")
def pfx() -> dict[str, Path]:
    BUILD.mkdir(exist_ok=True)
    return {name: _pfx(name) for name in ("client", "client-untrusted", "client-noski")}


@pytest.fixture(scope="session")
def truststore(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JKS holding the service certificate under alias "service": what a Java client encrypts for (one per
    xdist worker, so no two write the same file)."""
    assert shutil.which("keytool"), "run `make interop` (interop/install.sh installs a JDK)"
    path = tmp_path_factory.mktemp("trust") / "trust.jks"
    subprocess.run(
        ["keytool", "-importcert", "-noprompt", "-alias", "service", "-file", str(CERTS / "service.pem"),
         "-keystore", str(path), "-storepass", PFX_PASSWORD, "-storetype", "jks"],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    return path


def _build(target: Path, command: list[str]) -> Path:
    """Compile a client (each xdist worker into its own temporary directory: no races, a few seconds)."""
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{command[0]} failed: {proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return target


@pytest.fixture(scope="session")
def mono_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert shutil.which("mcs") and shutil.which("mono"), (
        "run `make interop` (interop/install.sh installs Mono)"
    )
    src = HERE / "mono" / "EchoClient.cs"
    out = tmp_path_factory.mktemp("mono") / "EchoClient.exe"
    refs = [
        "-r:System.ServiceModel.dll",
        "-r:System.Runtime.Serialization.dll",
        "-r:System.IdentityModel.dll",
    ]
    return _build(out, ["mcs", "-nologo", f"-out:{out}", *refs, str(src)])


@pytest.fixture(scope="session")
def wss4j_classpath(tmp_path_factory: pytest.TempPathFactory) -> str:
    assert shutil.which("javac"), "run `make interop` (interop/install.sh installs a JDK and WSS4J)"
    src = HERE / "wss4j" / "EchoClient.java"
    out = tmp_path_factory.mktemp("wss4j")
    cp = ":".join(JARS)
    _build(out / "EchoClient.class", ["javac", "-nowarn", "-d", str(out), "-cp", cp, str(src)])
    return f"{out}:{cp}"


@pytest.fixture(scope="session")
def node_client() -> Path:
    assert (HERE / "node" / "node_modules" / "soap").is_dir(), "run `make interop` (npm ci in interop/node)"
    return HERE / "node" / "client.js"

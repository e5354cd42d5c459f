"""Docs stay true: generated pages are current, and every Python example runs against a real server."""

from __future__ import annotations

import re

import pytest

from mockwcf import docsgen
from tests.conftest import REPO

DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.mark.parametrize("name", sorted(docsgen.GENERATED))
def test_generated_docs_are_current(name):
    on_disk = (REPO / "docs" / name).read_text(encoding="utf-8")
    assert on_disk == docsgen.GENERATED[name](), f"docs/{name} is stale: run `python -m mockwcf.docsgen docs`"


def test_scenario_reference_covers_every_key():
    text = (REPO / "docs" / "scenario-reference.md").read_text()
    for key in (
        "binding.security.mode",
        "localServiceSettings.maxClockSkew",
        "rules[].match.xpath",
        "deviations.resolveSigningCertificateOutOfBand",
        "credentials.clientCertificate.trustedPeople",
    ):
        assert f"`{key}`" in text


def _snippets():
    for path in DOC_FILES:
        for i, block in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)):
            yield pytest.param(block, id=f"{path.name}-{i}")


pytest_plugins = ["pytester"]


@pytest.mark.parametrize("code", list(_snippets()))
def test_python_examples_run(code, mockwcf_server, pytester):
    """Examples talk to http://127.0.0.1:8080 (what `make serve` uses); here they reach a test server.
    pytest examples run as a throw-away project with the plugin."""
    if "def test_" in code:
        pytester.makepyfile(test_example=code)  # unchanged: scenarios are named as a pip user names them
        result = pytester.runpytest_subprocess("-p", "mockwcf", "-p", "no:cacheprovider")
        outcomes = result.parseoutcomes()
        assert outcomes.get("passed", 0) >= code.count("def test_"), result.stdout.str()
        assert not {"failed", "error", "errors", "skipped"} & set(outcomes), result.stdout.str()
        return
    code = code.replace("http://127.0.0.1:8080", mockwcf_server.base_url)
    exec(compile(code, "<example>", "exec"), {})


def _compose() -> dict:
    import yaml

    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    block = text.split("## docker compose", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)


def test_compose_example_starts_on_a_fresh_clone(tmp_path):
    """What the image does with docs/ci.md's compose file on a clone whose certs/ holds only README.md:
    the scenario is mounted at /scenarios, /certs is an empty volume; serve (MOCKWCF_MAKE_CERTS=1, as the
    Dockerfile sets) makes the PKI there and starts. Docker itself is not needed to check that."""
    import shutil
    import subprocess

    from tests.cli_helpers import BIN, serve, stop

    compose = _compose()
    mock = compose["services"]["mockwcf"]
    scenario = mock["environment"]["MOCKWCF_SCENARIO"]
    mounts = dict(reversed(v.split(":")[:2]) for v in mock["volumes"])
    assert mounts["/scenarios"] == "./scenarios" and scenario.startswith("/scenarios/")
    assert mounts["/certs"] in compose["volumes"], "/certs must be a named volume (certs/ is git-ignored)"
    assert compose["services"]["client"]["depends_on"]["mockwcf"]["condition"] == "service_healthy"
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "MOCKWCF_MAKE_CERTS=1" in dockerfile
    start_interval = re.search(r"--start-interval=(\d+)ms", dockerfile)
    assert start_interval and int(start_interval.group(1)) <= 500, "healthy within 1 s of listening"

    root = tmp_path / "container"
    shutil.copytree(REPO / "scenarios", root / "scenarios")  # ./scenarios:/scenarios
    (root / "certs").mkdir()  # the empty pki volume
    path = root / scenario.lstrip("/")
    proc, base, _ = serve([str(path), "--port", "0"], env={"MOCKWCF_MAKE_CERTS": "1"})
    try:
        health = subprocess.run(
            [str(BIN / "mockwcf"), "health", "--url", base], capture_output=True, text=True
        )
        assert health.returncode == 0, health.stderr
    finally:
        stop(proc)
    assert f"made a throw-away test PKI in {root / 'certs'}" in proc.stderr.read()


def test_dotnet_binding_snippet_is_the_seed001_scenario():
    """docs/clients.md's .NET customBinding cannot run here (no .NET): check it compiles to the same binding
    model as scenarios/seed001-mutual-certificate.yaml, attribute by attribute."""
    from lxml import etree

    from mockwcf.binding.model import AsymmetricSecurityBindingElement
    from mockwcf.scenario import load

    text = (REPO / "docs" / "clients.md").read_text(encoding="utf-8").split("## .NET", 1)[1]
    binding = etree.fromstring(re.search(r"```xml\n(.*?)```", text, re.S).group(1).encode())
    security = binding.find("binding/security")
    model = load(REPO / "scenarios" / "seed001-mutual-certificate.yaml").binding
    assert security.get("authenticationMode") == "MutualCertificate"
    assert isinstance(model.security, AsymmetricSecurityBindingElement)
    assert security.get("messageSecurityVersion") == model.security.message_security_version.name
    assert security.get("securityHeaderLayout") == model.security.security_header_layout.value
    assert (security.get("includeTimestamp") == "true") == model.security.include_timestamp
    assert binding.find("binding/textMessageEncoding").get("messageVersion") == "Soap11" and not model.soap12
    assert binding.find("binding/httpTransport") is not None and not model.https

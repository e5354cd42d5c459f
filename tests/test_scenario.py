"""Scenario loading: WCF defaults, timespans, and errors that name file, line and key."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from mockwcf.binding.model import TransportSecurityBindingElement
from mockwcf.clock import format_timespan, parse_timespan
from mockwcf.scenario import ScenarioError, load, load_builtin, load_text
from tests.conftest import SCENARIOS


def _errors(text: str, name: str = "x.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as err:
        load_text(text, name, Path("."))
    return err.value.lines()


@pytest.mark.parametrize(
    "text,value",
    [
        ("00:05:00", timedelta(minutes=5)),
        ("1.00:00:00", timedelta(days=1)),
        ("-00:07:00", -timedelta(minutes=7)),
        ("+00:07:00", timedelta(minutes=7)),
        ("00:00:01.5", timedelta(seconds=1, microseconds=500000)),
    ],
)
def test_timespans(text, value):
    assert parse_timespan(text) == value


def test_timespan_rejects_nonsense_and_round_trips():
    with pytest.raises(ValueError):
        parse_timespan("5 minutes")
    with pytest.raises(ValueError):
        parse_timespan("00:61:00")
    assert format_timespan(timedelta(days=1, seconds=3723)) == "1.01:02:03"


def test_builtin_default_applies_wcf_defaults():
    s = load_builtin()
    assert isinstance(s.binding.security, TransportSecurityBindingElement)
    assert s.binding.factory == "CreateUserNameOverTransportBindingElement"
    assert s.binding.client_credential == "UserName"
    assert s.settings.max_clock_skew == timedelta(minutes=5)
    assert s.settings.replay_window == timedelta(minutes=5)
    assert s.settings.detect_replays is False  # transport bindings switch it off
    assert s.settings.replay_cache_size == 900000
    assert s.max_received_message_size == 65536
    assert s.soap12 is False and s.addressing is False
    assert s.service.operations[0].action == "http://tempuri.org/IEchoService/Echo"


def test_bad_enum_names_file_line_and_key():
    lines = _errors(
        "scenario: 1\nbinding:\n  type: basicHttpBinding\n  security:\n    mode: Mesage\n", "scenarios/x.yaml"
    )
    assert lines == [
        "scenarios/x.yaml:5: binding.security.mode: 'Mesage' is not one of None, Transport, "
        "Message, TransportWithMessageCredential, TransportCredentialOnly"
    ]


def test_every_error_is_reported_and_unknown_keys_are_errors():
    lines = _errors(
        "binding:\n  type: nope\n  securty: {}\nlocalServiceSettings:\n  maxClockSkew: 5 minutes\n"
    )
    assert any(line.startswith("x.yaml:2: binding.type:") for line in lines)
    assert any(
        line.startswith("x.yaml:3: binding.securty: unknown key (did you mean 'security'?)") for line in lines
    )
    assert any(line.startswith("x.yaml:5: localServiceSettings.maxClockSkew:") for line in lines)


def test_rule_with_unknown_code_or_bad_xpath_is_a_validation_error():
    assert _errors("rules:\n  - fault: NoSuchCode\n") == [
        "x.yaml:2: rules[0].fault: 'NoSuchCode' is not a resource code in the catalog; `mockwcf catalog` "
        "lists every code (or use customFault for a fault of your own)"
    ]
    lines = _errors("rules:\n  - match: {xpath: '//['}\n    fault: InvalidOrReplayedNonce\n")
    assert len(lines) == 1 and lines[0].startswith("x.yaml:2: rules[0].match.xpath: invalid XPath '//['")


def test_wshttp_defaults_that_mockwcf_cannot_emulate_are_named():
    lines = _errors("binding:\n  type: wsHttpBinding\n")
    text = "\n".join(lines)
    assert "clientCredentialType" in text and "defaults to Windows" in text
    assert "establishSecurityContext" not in text  # emulated over Message security too


def test_paths_resolve_relative_to_the_scenario_file(tmp_path):
    (tmp_path / "sub").mkdir()
    f = tmp_path / "sub" / "s.yaml"
    f.write_text("credentials:\n  clientCertificate:\n    trustedCertificates: [missing.pem]\n")
    with pytest.raises(ScenarioError) as err:
        load(f)
    assert f"{tmp_path / 'sub' / 'missing.pem'}" in str(err.value)
    assert ":3: credentials.clientCertificate.trustedCertificates[0]: file not found" in str(err.value)


def test_transport_binding_without_certificate_names_the_wcf_error():
    lines = _errors(
        "binding:\n  type: basicHttpBinding\n  security: {mode: TransportWithMessageCredential}\n"
        "credentials: {userNameAuthentication: {users: {a: b}}}\n"
    )
    assert any("TransportDoesNotProtectMessage" in line for line in lines)


def test_bundled_scenarios_validate():
    files = sorted(str(p) for p in SCENARIOS.glob("*.yaml"))
    assert len(files) >= 10
    res = subprocess.run(
        [sys.executable, "-m", "mockwcf.cli", "validate", *files], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr


def test_validate_command_exits_non_zero_and_prints_every_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("binding:\n  type: basicHttpBinding\n  security:\n    mode: Mesage\n    bogus: 1\n")
    good = SCENARIOS / "unsecured.yaml"
    res = subprocess.run(
        [sys.executable, "-m", "mockwcf.cli", "validate", str(good), str(bad)], capture_output=True, text=True
    )
    assert res.returncode == 1
    assert f"{bad}:4: binding.security.mode:" in res.stderr
    assert f"{bad}:5: binding.security.bogus: unknown key" in res.stderr
    assert "unsecured.yaml: ok" in res.stdout


def test_reply_templates_are_checked_item_by_item():
    lines = _errors(
        "scenario: 1\nservice:\n  operations:\n  - name: Echo\n    input: {text: string}\n"
        '    output: {said: string, many: "string[]"}\n'
        '    reply: {said: "bell \\x07", many: ["{text}", "{nope}"]}\n',
        "s.yaml",
    )
    assert any("service.operations[0].reply.said" in ln and "control character" in ln for ln in lines), lines
    assert any("reply.many" in ln and "echoes {nope}" in ln for ln in lines), lines


def test_a_wire_fault_name_as_fault_names_the_catalog_codes_that_produce_it():
    from mockwcf import catalog
    from mockwcf.faults import WIRE_FAULTS

    (line,) = _errors("rules:\n  - fault: ServerTooBusy\n")
    busy = sorted(
        e.code for e in catalog.entries() if "ServerTooBusy" in (e.fault, WIRE_FAULTS[e.fault].subcode)
    )
    assert busy and "SecuritySessionLimitReached" in busy
    assert "ServerTooBusy is a wire fault: the catalog codes that produce it are " in line
    assert all(code in line for code in busy[:8])
    (line,) = _errors("rules:\n  - fault: InvalidOrReplayedNonse\n")
    assert "did you mean 'InvalidOrReplayedNonce'" in line


def test_an_xpath_with_an_undeclared_prefix_is_a_load_error_naming_it():
    (line,) = _errors("rules:\n  - match: {xpath: '//tns:text'}\n    fault: InvalidOrReplayedNonce\n")
    assert line.startswith(
        "x.yaml:2: rules[0].match.xpath: XPath '//tns:text' uses the undeclared prefix tns"
    )
    assert "declared: ds, soap, soap12, wsa, wsse, wsu" in line
    ok = "rules:\n  - match: {xpath: '//tns:text', namespaces: {tns: 'http://t/'}}\n    fault: InvalidOrReplayedNonce\n"
    assert load_text(ok, "x.yaml", Path(".")).rules[0].xpath is not None
    # axes, literals and predefined prefixes are not prefixes to declare
    fine = "rules:\n  - match: {xpath: \"//wsse:Security/child::*[contains(., 'a:b')]\"}\n    fault: InvalidOrReplayedNonce\n"
    assert load_text(fine, "x.yaml", Path(".")).rules[0].xpath is not None


def test_missing_file_errors_name_the_base_directory(tmp_path):
    from mockwcf.scenario import load_dict

    with pytest.raises(ScenarioError) as err:
        load_dict({"credentials": {"clientCertificate": {"trustedPeople": ["p.pem"]}}}, tmp_path)
    assert f"relative paths resolve against the base directory {tmp_path.resolve()}" in str(err.value)
    f = tmp_path / "s.yaml"
    f.write_text("credentials:\n  clientCertificate:\n    trustedPeople: [p.pem]\n")
    with pytest.raises(ScenarioError) as err:
        load(f)
    assert f"relative paths resolve against the scenario's directory {tmp_path.resolve()}" in str(err.value)


def test_a_constant_reply_value_its_type_cannot_hold_is_a_load_error_naming_line_and_field(tmp_path):
    lines = _errors(
        "service:\n  operations:\n  - name: Get\n    input: {text: string}\n"
        '    output: {n: int, when: dateTime, ok: boolean, many: "long[]", said: int}\n'
        "    reply:\n"
        "      n: not a number\n"
        "      when: 2026-01-02 03:04:05Z\n"
        "      ok: maybe\n"
        "      many: [1, 99999999999999999999]\n"
        "      said: '{text}'\n",  # a template is checked when a request fills it in
        "r.yaml",
    )
    assert lines == [
        "r.yaml:7: service.operations[0].reply.n: 'not a number' cannot be written as int ('not a number' is not "
        "a whole number); give a value of that type or change the output's type",
        "r.yaml:8: service.operations[0].reply.when: '2026-01-02 03:04:05Z' cannot be written as dateTime (The "
        "string '2026-01-02 03:04:05Z' is not a valid AllXsd value.); give a value of that type such as "
        "2026-01-02T03:04:05Z (quote it in YAML) or change the output's type",
        "r.yaml:9: service.operations[0].reply.ok: 'maybe' cannot be written as boolean (a boolean is true, false, "
        "1 or 0); give a value of that type or change the output's type",
        "r.yaml:10: service.operations[0].reply.many: item 2, 99999999999999999999 cannot be written as long "
        "(99999999999999999999 is outside the range of long (-9223372036854775808 to 9223372036854775807)); give a "
        "value of that type or change the output's type",
    ]
    bad = tmp_path / "r.yaml"  # `mockwcf validate` reports it, where before only each call failed
    bad.write_text("service:\n  operations:\n  - name: Get\n    output: {n: int}\n    reply: {n: x}\n")
    res = subprocess.run(
        [sys.executable, "-m", "mockwcf", "validate", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 1
    assert f"{bad}:5: service.operations[0].reply.n: 'x' cannot be written as int" in res.stderr


def test_replay_cache_size_is_an_int32_as_in_wcf():
    lines = _errors("scenario: 1\nlocalServiceSettings:\n  replayCacheSize: 2147483648\n")
    assert lines == [
        "x.yaml:3: localServiceSettings.replayCacheSize: 2147483648 is above the maximum 2147483647"
    ]
    text = (SCENARIOS / "mutual-certificate-strict.yaml").read_text()
    ok = load_text(text + "\nlocalServiceSettings: {replayCacheSize: 2147483647}\n", "x.yaml", SCENARIOS)
    assert ok.settings.replay_cache_size == 2**31 - 1

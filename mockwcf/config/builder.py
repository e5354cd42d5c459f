"""Cross-key rules and WCF's binding defaults, with errors that still name the line; and the load functions."""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from mockwcf import locate, ns, replyvalue, rulecheck
from mockwcf.binding.emulated import check_emulated
from mockwcf.binding.factory import compile_binding
from mockwcf.binding.model import ProtectionLevel
from mockwcf.binding.protection import operation_protection
from mockwcf.clock import parse_instant
from mockwcf.config import safety
from mockwcf.config.model import FieldType, Operation, Rule, Scenario, Service
from mockwcf.config.walker import Problem, ScenarioError, Walker
from mockwcf.limits import HttpLimits, ReaderQuotas
from mockwcf.schema import SCHEMA, VALUE_TYPES
from mockwcf.security import x509clause
from mockwcf.transport import config as transport_config

BUILTIN_DEFAULT = "default.yaml"
XPATH_NAMESPACES = {
    "soap": ns.SOAP11,
    "soap12": ns.SOAP12,
    "wsse": ns.WSSE,
    "wsu": ns.WSU,
    "wsa": ns.WSA10,
    "ds": ns.DS,
}
_NCNAME = re.compile(r"^[A-Za-z_][\w.-]*$")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def load(path: str | Path) -> Scenario:
    return load_text(read(path), str(path), Path(path).resolve().parent)


def read(path: str | Path) -> str:
    """A scenario file's text; errors name the file and say what is wrong with it."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            str(path), [Problem(0, "(file)", f"cannot read: {exc.strerror or exc}")]
        ) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            str(path),
            [Problem(0, "(file)", f"not UTF-8 text (byte {exc.start}); save the scenario as UTF-8")],
        ) from None


def load_builtin(name: str = BUILTIN_DEFAULT) -> Scenario:
    """The scenarios shipped inside the package (the default one needs no certificates)."""
    ref = resources.files("mockwcf").joinpath("scenarios", name)
    return load_text(ref.read_text(encoding="utf-8"), f"<builtin>/{name}", locate.home() / "scenarios")


def load_dict(data: dict[str, Any], base_dir: str | Path = ".", source: str = "<dict>") -> Scenario:
    """For the pytest fixture: a scenario written as a Python dict (lines are those of its YAML dump)."""
    text = yaml.dump(data, Dumper=safety.NoAliasDumper, sort_keys=False)
    return load_text(text, source, Path(base_dir).resolve())


def load_text(text: str, source: str, base_dir: Path) -> Scenario:
    return build(compose(text, source), text, source, base_dir)


def compose(text: str, source: str) -> yaml.Node:
    """The YAML node tree (lines kept for errors), after the safety checks."""
    try:
        shape = safety.shape_problem(text)
        if shape is not None:
            raise ScenarioError(source, [shape])
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise ScenarioError(source, [Problem(line, "(yaml)", str(getattr(exc, "problem", exc)))]) from None
    return root


def build(root: yaml.Node, text: str, source: str, base_dir: Path) -> Scenario:
    """One endpoint's scenario from its node tree (config/endpoints.py makes one tree per endpoint)."""
    walker = Walker()
    data = walker.walk(root, SCHEMA, "", 1)
    if walker.problems:
        raise ScenarioError(source, walker.problems)
    if data.get("endpoints"):
        message = (
            "a scenario with several endpoints is served by `mockwcf serve`; verify, MockServer.load and the "
            "pytest marker take one: copy the endpoint's path and binding into a file without `endpoints`"
        )
        raise ScenarioError(source, [Problem(walker.lines["endpoints"], "endpoints", message)])
    builder = _Builder(data, walker.lines, source, base_dir)
    scenario = builder.build()
    if builder.problems:
        raise ScenarioError(source, builder.problems)
    scenario.yaml_text = text
    return scenario


_TYPE_RE = re.compile(r"^(?P<t>[A-Za-z0-9]+)(?P<list>\[\])?$")


class _Builder:
    """Cross-key rules and WCF's binding defaults, with errors that still name the line."""

    def __init__(self, data: dict[str, Any], lines: dict[str, int], source: str, base_dir: Path) -> None:
        self.d = data
        self.lines = lines
        self.source = source
        self.base_dir = base_dir
        self.problems: list[Problem] = []

    def err(self, key: str, message: str) -> None:
        line = self.lines.get(key)
        probe = key
        while line is None and "." in probe:
            probe = probe.rsplit(".", 1)[0]
            line = self.lines.get(probe)
        self.problems.append(Problem(line or 1, key, message))

    def path(self, key: str, value: str | None, pem: str | None = None) -> Path | None:
        """A file that exists; a certificate (or, with pem="PRIVATE KEY", a key) must be PEM, so a bad file
        is a load error with its line here rather than a failure when the runtime reads it. pem=None: any
        file (the default)."""
        if not value:
            return None
        p = Path(value)
        p = p if p.is_absolute() else Path(os.path.normpath(self.base_dir / p))
        if not p.is_file():
            self.err(
                key,
                f"file not found: {p}; {locate.base_note(self.source, self.base_dir)} "
                "(`mockwcf certs DIR` makes test certificates)",
            )
            return p
        problem = safety.pem_problem(p, pem) if pem else None
        if problem:
            self.err(key, f"{p}: {problem}")
        return p

    def build(self) -> Scenario:
        d = self.d
        service = self.service(d["service"])
        binding = compile_binding(d["binding"], d["localServiceSettings"], self.err)
        binding = operation_protection(binding, service, self.err)
        check_emulated(binding, self.err)
        creds = d["credentials"]
        transport_auth = transport_config.build(
            self,
            d["binding"]["security"]["transport"],
            creds["windows"],
            binding.name,
            binding.mode.value,
            d["binding"]["security"]["clientCredentialType"] or "None",
            transport_config.basic_users(creds),
        )
        cc = creds["clientCertificate"]
        sc = creds["serviceCertificate"]
        service_cert = self.path(
            "credentials.serviceCertificate.certificate", sc["certificate"], "CERTIFICATE"
        )
        service_key = self.path("credentials.serviceCertificate.privateKey", sc["privateKey"], "PRIVATE KEY")
        if (service_cert is None) != (service_key is None):
            self.err("credentials.serviceCertificate", "give both certificate and privateKey")
        if reference_problem := x509clause.load_problem(binding, service_cert):
            self.err(*reference_problem)
        needs_cert = binding.https or (binding.protects_message and binding.reply.sign_responses)
        if needs_cert and service_cert is None:
            if binding.https:
                self.err(
                    "credentials.serviceCertificate",
                    "TransportDoesNotProtectMessage: this binding needs transport security (HTTPS), so give "
                    "the service certificate, or set binding.security.allowInsecureTransport: true to run "
                    "it over plain HTTP for local tests",
                )
            else:
                self.err(
                    "credentials.serviceCertificate",
                    "this binding signs responses with the service certificate; give certificate and "
                    "privateKey (or set binding.security.signResponses: false)",
                )
        trusted = tuple(
            p
            for i, v in enumerate(cc["trustedCertificates"])
            if (p := self.path(f"credentials.clientCertificate.trustedCertificates[{i}]", v, "CERTIFICATE"))
        )
        people = tuple(
            p
            for i, v in enumerate(cc["trustedPeople"])
            if (p := self.path(f"credentials.clientCertificate.trustedPeople[{i}]", v, "CERTIFICATE"))
        )
        if cc["revocationMode"] != "NoCheck":
            self.err(
                "credentials.clientCertificate.revocationMode",
                "mockwcf has no network to fetch CRLs; use NoCheck (WCF's Online default would fail "
                "every certificate without a reachable CRL)",
            )
        users = {str(k): str(v) for k, v in (creds["userNameAuthentication"]["users"] or {}).items()}
        if binding.client_credential == "UserName" and not users:
            self.err("credentials.userNameAuthentication.users", "a UserName binding needs at least one user")
        if binding.client_credential == "Certificate":
            mode = cc["certificateValidationMode"]
            if mode == "ChainTrust" and not trusted:
                self.err(
                    "credentials.clientCertificate.trustedCertificates",
                    "ChainTrust needs at least one trusted CA certificate",
                )
            if mode == "PeerTrust" and not people:
                self.err("credentials.clientCertificate.trustedPeople", "PeerTrust needs trustedPeople")
        clock = d["clock"]
        frozen = None
        if clock["frozenAt"]:
            try:
                frozen = parse_instant(clock["frozenAt"])
            except ValueError as exc:
                self.err("clock.frozenAt", str(exc))
        rules = tuple(self.rule(i, r) for i, r in enumerate(d["rules"]))
        if d["scenario"] != 1:
            self.err(
                "scenario", f"format version {d['scenario']} does not exist; this mockwcf reads version 1"
            )
        # a scenario sent as text (PUT, a dict) has no file name to take its name from
        name = d["name"] or (Path(self.source).stem if not self.source.startswith("<") else "scenario")
        return Scenario(
            name=name,
            description=d["description"],
            source=self.source,
            base_dir=self.base_dir,
            service=service,
            binding=binding,
            users=users,
            validation_mode=cc["certificateValidationMode"],
            trusted_certificates=trusted,
            trusted_people=people,
            service_certificate=service_cert,
            service_key=service_key,
            farm_nodes=d["farm"]["nodes"],
            balancing=d["farm"]["balancing"],
            clock_offset=clock["offset"],
            clock_frozen_at=frozen,
            diagnostics=d["diagnostics"],
            journal_size=d["journal"]["maxEntries"],
            journal_max_bytes=d["journal"]["maxBytes"],
            journal_include_secrets=d["journal"]["includeSecrets"],
            out_of_band_signing=d["deviations"]["resolveSigningCertificateOutOfBand"],
            rules=rules,
            cookie_protection=d["farm"]["cookieProtection"],
            cookie_key_file=self.path("farm.cookieKeyFile", d["farm"]["cookieKeyFile"]),
            transport_auth=transport_auth,
            reader_quotas=ReaderQuotas.from_config(d["binding"]["readerQuotas"]),
            http_limits=HttpLimits.from_config(d["http"], d["binding"]["receiveTimeout"]),
        )

    # -- service -----------------------------------------------------------------------------

    def service(self, s: dict[str, Any]) -> Service:
        name = s["name"]
        contract = s["contract"] or f"I{name}"
        namespace = s["namespace"]
        if not namespace.endswith("/"):
            self.err(
                "service.namespace", "end the namespace with '/' (WCF builds actions as namespace + contract)"
            )
        path = s["path"] or f"/{name}.svc"
        if not path.startswith("/") or path.startswith("/_mockwcf"):
            self.err("service.path", "must start with '/' and not with /_mockwcf (the admin API)")
        ops_data = s["operations"]
        if ops_data is None:
            ops_data = [
                {"name": "Echo", "action": None, "input": {"text": "string"}, "output": None, "reply": {}}
            ]
        ops: list[Operation] = []
        seen: set[str] = set()
        for i, o in enumerate(ops_data):
            if o is None:
                continue
            key = f"service.operations[{i}]"
            if o["name"] in seen:
                self.err(f"{key}.name", f"operation {o['name']!r} is defined twice")
            if not _NCNAME.match(o["name"]):
                self.err(
                    f"{key}.name",
                    f"{o['name']!r} is not an XML name; the request and reply elements carry it",
                )
            seen.add(o["name"])
            inputs = self.types(f"{key}.input", o["input"] or {})
            outputs = (
                self.types(f"{key}.output", o["output"])
                if o["output"] is not None
                else {f"{o['name']}Result": FieldType("string", False)}
            )
            reply = dict(o["reply"] or {})
            for k in reply:
                if k not in outputs:
                    self.err(
                        f"{key}.reply.{k}", f"not an output field (outputs: {', '.join(outputs) or 'none'})"
                    )
            if not reply and outputs and inputs:
                first_out, first_in = next(iter(outputs)), next(iter(inputs))
                reply = {first_out: "{" + first_in + "}"}
            for k, v in reply.items():
                ft = outputs.get(k)
                for problem in replyvalue.constant_problems(ft.name, ft.is_list, v) if ft else ():
                    self.err(f"{key}.reply.{k}", problem)
                for item in v if isinstance(v, list) else [v]:
                    if not isinstance(item, str):
                        continue
                    for ref in re.findall(r"{(\w+)}", item):
                        if ref not in inputs:
                            self.err(f"{key}.reply.{k}", f"echoes {{{ref}}}, which is not an input field")
                    if _XML_INVALID.search(item):
                        self.err(
                            f"{key}.reply.{k}",
                            "holds a control character that XML 1.0 cannot carry; no SOAP reply can contain it",
                        )
            action = o["action"] or f"{namespace}{contract}/{o['name']}"
            level = ProtectionLevel(o["protectionLevel"]) if o.get("protectionLevel") else None
            ops.append(Operation(o["name"], action, action + "Response", inputs, outputs, reply, level))
        if not ops:
            self.err("service.operations", "the contract needs at least one operation")
        return Service(name, namespace, contract, path, tuple(ops))

    def types(self, key: str, m: dict[str, Any]) -> dict[str, FieldType]:
        out: dict[str, FieldType] = {}
        for fname, t in m.items():
            match = _TYPE_RE.match(str(t))
            if not match or match["t"] not in VALUE_TYPES:
                self.err(
                    f"{key}.{fname}", f"{t!r} is not a type; use one of {', '.join(VALUE_TYPES)} (or type[])"
                )
                continue
            if not _NCNAME.match(fname):
                self.err(f"{key}.{fname}", "not a valid XML element name")
                continue
            out[fname] = FieldType(match["t"], bool(match["list"]))
        return out

    # -- rules -------------------------------------------------------------------------------

    def rule(self, i: int, r: dict[str, Any]) -> Rule:
        key = f"rules[{i}]"
        m = r["match"]
        actions = [a for a in ("fault", "customFault", "httpStatus") if r[a]] + (
            ["drop"] if r["drop"] else []
        )
        if len(actions) > 1:
            self.err(key, f"give only one of fault, customFault, httpStatus, drop (got {', '.join(actions)})")
        if not actions and r["delay"] is None:
            self.err(key, "a rule needs fault, customFault, httpStatus, drop or delay")
        compiled = None
        if m["xpath"]:
            nsmap = dict(XPATH_NAMESPACES)
            nsmap.update({str(k): str(v) for k, v in (m["namespaces"] or {}).items()})
            try:
                compiled = etree.XPath(m["xpath"], namespaces=nsmap)
            except etree.XPathError as exc:
                self.err(f"{key}.match.xpath", f"invalid XPath {m['xpath']!r}: {exc}")
            else:
                if problem := rulecheck.xpath_problem(compiled, m["xpath"], nsmap):
                    self.err(f"{key}.match.xpath", problem)
        if m["operation"] and m["operation"] not in {
            o["name"] for o in (self.d["service"]["operations"] or [{"name": "Echo"}]) if o
        }:
            self.err(f"{key}.match.operation", f"{m['operation']!r} is not an operation of the contract")
        cf = r["customFault"]
        if cf and cf["subcode"] and not re.match(r"^\{[^}]+\}[A-Za-z_][\w.-]*$", cf["subcode"]):
            self.err(f"{key}.customFault.subcode", "write it as {namespace}LocalName")
        return Rule(
            index=i,
            phase=r["phase"],
            operation=m["operation"],
            action=m["action"],
            call=m["call"],
            every=m["every"],
            node=m["node"],
            xpath=compiled,
            fault=r["fault"],
            message=r["message"],
            custom_fault=cf,
            delay=r["delay"],
            http_status=r["httpStatus"],
            drop=r["drop"],
        )

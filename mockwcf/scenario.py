"""Scenario files: load, validate against `schema.SCHEMA`, apply WCF's defaults.

Every error names file, line and key (`scenarios/x.yaml:14: binding.security.mode: ...`) and all
errors of a file are reported together, because a user fixing a config wants the whole list at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from mockwcf import catalog, ns
from mockwcf.clock import parse_instant, parse_timespan
from mockwcf.schema import DERIVED, REQUIRED, SCHEMA, VALUE_TYPES, F

BUILTIN_DEFAULT = "default.yaml"
XPATH_NAMESPACES = {
    "soap": ns.SOAP11,
    "soap12": ns.SOAP12,
    "wsse": ns.WSSE,
    "wsu": ns.WSU,
    "wsa": ns.WSA10,
    "ds": ns.DS,
}


@dataclass(frozen=True)
class Problem:
    line: int
    key: str
    message: str


class ScenarioError(Exception):
    """All problems of one scenario file."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.line, p.key))
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.source}:{p.line}: {p.key}: {p.message}" for p in self.problems]


# ---------------------------------------------------------------------------------------------
# Walking YAML nodes against the schema


class _Walker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.lines: dict[str, int] = {}

    def err(self, line: int, key: str, message: str) -> None:
        self.problems.append(Problem(line, key or "(top)", message))

    def walk(self, node: yaml.Node | None, spec: F, key: str, line: int) -> Any:
        if node is not None:
            line = node.start_mark.line + 1
        self.lines[key] = line
        kind = spec.kind
        if kind in ("section",):
            return self._section(node, spec, key, line)
        if kind in ("list", "rules"):
            return self._list(node, spec, key, line)
        if kind == "map":
            return self._map(node, key, line)
        if not isinstance(node, yaml.ScalarNode):
            self.err(line, key, f"expected a {kind} value, got a {_node_kind(node)}")
            return None
        return self._scalar(node, spec, key, line)

    def _section(self, node: yaml.Node | None, spec: F, key: str, line: int) -> dict[str, Any] | None:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            pairs: list[tuple[yaml.Node, yaml.Node]] = []
        elif isinstance(node, yaml.MappingNode):
            pairs = node.value
        else:
            self.err(line, key, f"expected a mapping of keys, got a {_node_kind(node)}")
            return None
        out: dict[str, Any] = {}
        seen: dict[str, yaml.Node] = {}
        for knode, vnode in pairs:
            name = str(knode.value)
            sub = f"{key}.{name}" if key else name
            if name not in spec.fields:
                close = _suggest(name, spec.fields)
                self.err(
                    knode.start_mark.line + 1,
                    sub,
                    "unknown key"
                    + (f" (did you mean {close!r}?)" if close else "")
                    + f"; allowed: {', '.join(spec.fields)}",
                )
                continue
            if name in seen:
                self.err(knode.start_mark.line + 1, sub, "key given twice")
            seen[name] = vnode
        for name, fspec in spec.fields.items():
            sub = f"{key}.{name}" if key else name
            if name in seen:
                out[name] = self.walk(seen[name], fspec, sub, line)
            elif fspec.default is REQUIRED:
                self.err(line, sub, "required key is missing")
            elif fspec.kind == "section":
                # A section with required keys is an optional block: absent means "not used".
                has_required = any(f.default is REQUIRED for f in fspec.fields.values())
                out[name] = None if has_required else self.walk(None, fspec, sub, line)
            elif fspec.default is DERIVED:
                out[name] = None
            else:
                out[name] = _convert_default(fspec)
        return out

    def _list(self, node: yaml.Node | None, spec: F, key: str, line: int) -> list[Any] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.err(line, key, f"expected a list, got a {_node_kind(node)}")
            return None
        assert spec.item is not None
        return [self.walk(item, spec.item, f"{key}[{i}]", line) for i, item in enumerate(node.value)]

    def _map(self, node: yaml.Node | None, key: str, line: int) -> dict[str, Any] | None:
        if not isinstance(node, yaml.MappingNode):
            self.err(line, key, f"expected a mapping, got a {_node_kind(node)}")
            return None
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            plain_list = isinstance(vnode, yaml.SequenceNode) and all(
                isinstance(v, yaml.ScalarNode) for v in vnode.value
            )
            if not (isinstance(vnode, yaml.ScalarNode) or plain_list):
                self.err(
                    vnode.start_mark.line + 1, f"{key}.{knode.value}", "expected a value or a list of values"
                )
                continue
            self.lines[f"{key}.{knode.value}"] = vnode.start_mark.line + 1
            out[str(knode.value)] = yaml.safe_load(yaml.serialize(vnode)) if vnode.value != "" else ""
            if plain_list:
                out[str(knode.value)] = list(out[str(knode.value)] or [])
        return out

    def _scalar(self, node: yaml.ScalarNode, spec: F, key: str, line: int) -> Any:
        raw = node.value
        value = yaml.safe_load(yaml.serialize(node))
        kind = spec.kind
        try:
            if value is None and node.tag.endswith(":null"):
                return None
            if kind == "str":
                return str(raw)
            if kind == "xml":
                if raw:
                    etree.fromstring(f"<x>{raw}</x>".encode())
                return str(raw)
            if kind == "int":
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError(f"{raw!r} is not a whole number")
                if spec.minimum is not None and value < spec.minimum:
                    raise ValueError(f"{value} is below the minimum {spec.minimum}")
                return value
            if kind == "bool":
                if not isinstance(value, bool):
                    raise ValueError(f"{raw!r} is not true or false")
                return value
            if kind == "timespan":
                return parse_timespan(str(raw))
            if kind == "enum":
                if str(raw) not in spec.choices:
                    raise ValueError(f"{raw!r} is not one of {', '.join(spec.choices)}")
                return str(raw)
            if kind == "path":
                return str(raw)
            if kind == "code":
                if not catalog.exists(str(raw)):
                    close = _suggest(str(raw), {e.code: None for e in catalog.entries()})
                    raise ValueError(
                        f"{raw!r} is not a resource code in the catalog"
                        + (f" (did you mean {close!r}?)" if close else "")
                    )
                return str(raw)
        except (ValueError, etree.XMLSyntaxError) as exc:
            self.err(line, key, str(exc))
            return None
        raise AssertionError(kind)


def _convert_default(spec: F) -> Any:
    if spec.kind == "timespan" and isinstance(spec.default, str):
        return parse_timespan(spec.default)
    if isinstance(spec.default, (list, dict)):
        return type(spec.default)(spec.default)
    return spec.default


def _node_kind(node: yaml.Node | None) -> str:
    if node is None:
        return "nothing"
    return {yaml.ScalarNode: "single value", yaml.SequenceNode: "list", yaml.MappingNode: "mapping"}[
        type(node)
    ]


def _suggest(name: str, options: dict[str, Any]) -> str | None:
    import difflib

    hits = difflib.get_close_matches(name, list(options), n=1, cutoff=0.75)
    return hits[0] if hits else None


# ---------------------------------------------------------------------------------------------
# The loaded scenario


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class FieldType:
    name: str  # one of VALUE_TYPES
    is_list: bool


@dataclass(frozen=True)
class Operation:
    name: str
    action: str
    reply_action: str
    inputs: dict[str, FieldType]
    outputs: dict[str, FieldType]
    reply: dict[str, Any]


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    contract: str
    path: str
    operations: tuple[Operation, ...]

    def by_action(self) -> dict[str, Operation]:
        return {op.action: op for op in self.operations}


@dataclass(frozen=True)
class Security:
    """The effective security profile after WCF's binding defaults (reference 2.5-2.6, 7.1-7.2)."""

    kind: str  # none | transport | twmc | message
    credential: str  # None | UserName | Certificate
    wss11: bool
    layout: str
    include_timestamp: bool
    suite: str
    signed_supporting: tuple[str, ...]
    require_signature_confirmation: bool
    response_token_reference: str
    sign_responses: bool
    https: bool
    allow_insecure_transport: bool

    @property
    def secured(self) -> bool:
        return self.kind in ("twmc", "message")


@dataclass(frozen=True)
class Settings:
    max_clock_skew: timedelta
    replay_window: timedelta
    detect_replays: bool
    replay_cache_size: int
    timestamp_validity: timedelta


@dataclass(frozen=True)
class Rule:
    index: int
    phase: str
    operation: str | None
    action: str | None
    call: int | None
    every: int | None
    node: int | None
    xpath: etree.XPath | None
    fault: str | None
    message: str
    custom_fault: dict[str, Any] | None
    delay: timedelta | None
    http_status: dict[str, Any] | None
    drop: bool


@dataclass
class Scenario:
    name: str
    description: str
    source: str
    base_dir: Path
    service: Service
    soap12: bool
    addressing: bool
    binding_type: str
    max_received_message_size: int
    security: Security
    settings: Settings
    users: dict[str, str]
    validation_mode: str
    trusted_certificates: tuple[Path, ...]
    trusted_people: tuple[Path, ...]
    service_certificate: Path | None
    service_key: Path | None
    farm_nodes: int
    balancing: str
    clock_offset: timedelta
    clock_frozen_at: Any
    diagnostics: bool
    journal_size: int
    out_of_band_signing: bool
    rules: tuple[Rule, ...] = field(default_factory=tuple)
    yaml_text: str = ""


def load(path: str | Path) -> Scenario:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            str(path), [Problem(0, "(file)", f"cannot read: {exc.strerror or exc}")]
        ) from None
    return load_text(text, str(path), p.resolve().parent)


def load_builtin(name: str = BUILTIN_DEFAULT) -> Scenario:
    """The scenarios shipped inside the package (the default one needs no certificates)."""
    ref = resources.files("mockwcf").joinpath("scenarios", name)
    return load_text(ref.read_text(encoding="utf-8"), f"<builtin>/{name}", Path.cwd())


def load_dict(data: dict[str, Any], base_dir: str | Path = ".", source: str = "<dict>") -> Scenario:
    """For the pytest fixture: a scenario written as a Python dict (lines are those of its YAML dump)."""
    return load_text(yaml.safe_dump(data, sort_keys=False), source, Path(base_dir).resolve())


def load_text(text: str, source: str, base_dir: Path) -> Scenario:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise ScenarioError(source, [Problem(line, "(yaml)", str(getattr(exc, "problem", exc)))]) from None
    walker = _Walker()
    data = walker.walk(root, SCHEMA, "", 1)
    if walker.problems:
        raise ScenarioError(source, walker.problems)
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

    def path(self, key: str, value: str | None) -> Path | None:
        if not value:
            return None
        p = Path(value)
        p = p if p.is_absolute() else self.base_dir / p
        if not p.is_file():
            self.err(
                key, f"file not found: {p} (run `make certs` or `mockwcf certs DIR` for test certificates)"
            )
        return p

    def build(self) -> Scenario:
        d = self.d
        service = self.service(d["service"])
        binding = d["binding"]
        btype = binding["type"]
        mv = binding["messageVersion"] or (
            "Soap11" if btype == "basicHttpBinding" else "Soap12WSAddressing10"
        )
        soap12 = mv.startswith("Soap12")
        addressing = mv.endswith("WSAddressing10")
        if btype == "basicHttpBinding" and mv != "Soap11":
            self.err("binding.messageVersion", f"basicHttpBinding always uses Soap11, not {mv}")
        if btype in ("wsHttpBinding", "ws2007HttpBinding") and mv != "Soap12WSAddressing10":
            self.err("binding.messageVersion", f"{btype} always uses Soap12WSAddressing10, not {mv}")
        security = self.security(binding["security"], btype)
        creds = d["credentials"]
        lss = d["localServiceSettings"]
        detect = lss["detectReplays"]
        if detect is None:
            detect = security.kind == "message"  # transport bindings switch it off (reference 2.4)
        settings = Settings(
            max_clock_skew=lss["maxClockSkew"],
            replay_window=lss["replayWindow"],
            detect_replays=bool(detect),
            replay_cache_size=lss["replayCacheSize"],
            timestamp_validity=lss["timestampValidityDuration"],
        )
        cc = creds["clientCertificate"]
        sc = creds["serviceCertificate"]
        service_cert = self.path("credentials.serviceCertificate.certificate", sc["certificate"])
        service_key = self.path("credentials.serviceCertificate.privateKey", sc["privateKey"])
        if (service_cert is None) != (service_key is None):
            self.err("credentials.serviceCertificate", "give both certificate and privateKey")
        needs_cert = security.https or (security.kind == "message" and security.sign_responses)
        if needs_cert and service_cert is None:
            if security.https:
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
            if (p := self.path(f"credentials.clientCertificate.trustedCertificates[{i}]", v))
        )
        people = tuple(
            p
            for i, v in enumerate(cc["trustedPeople"])
            if (p := self.path(f"credentials.clientCertificate.trustedPeople[{i}]", v))
        )
        if cc["revocationMode"] != "NoCheck":
            self.err(
                "credentials.clientCertificate.revocationMode",
                "mockwcf has no network to fetch CRLs; use NoCheck (WCF's Online default would fail "
                "every certificate without a reachable CRL)",
            )
        users = {str(k): str(v) for k, v in (creds["userNameAuthentication"]["users"] or {}).items()}
        if security.credential == "UserName" and not users:
            self.err("credentials.userNameAuthentication.users", "a UserName binding needs at least one user")
        if security.credential == "Certificate" or "Certificate" in security.signed_supporting:
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
        name = d["name"] or Path(self.source).stem
        return Scenario(
            name=name,
            description=d["description"],
            source=self.source,
            base_dir=self.base_dir,
            service=service,
            soap12=soap12,
            addressing=addressing,
            binding_type=btype,
            max_received_message_size=binding["maxReceivedMessageSize"],
            security=security,
            settings=settings,
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
            out_of_band_signing=d["deviations"]["resolveSigningCertificateOutOfBand"],
            rules=rules,
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
            ops.append(Operation(o["name"], action, action + "Response", inputs, outputs, reply))
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
            if not re.match(r"^[A-Za-z_][\w.-]*$", fname):
                self.err(f"{key}.{fname}", "not a valid XML element name")
                continue
            out[fname] = FieldType(match["t"], bool(match["list"]))
        return out

    # -- security ----------------------------------------------------------------------------

    def security(self, s: dict[str, Any], btype: str) -> Security:
        key = "binding.security"
        mode = s["mode"]
        auth = s["authenticationMode"]
        cred = s["clientCredentialType"]
        if btype == "customBinding":
            derived = {
                "MutualCertificate": "Message",
                "UserNameOverTransport": "TransportWithMessageCredential",
                "CertificateOverTransport": "TransportWithMessageCredential",
            }.get(auth or "")
            if auth and derived is None:
                self.err(
                    f"{key}.authenticationMode",
                    f"{auth} is not supported by mockwcf yet (supported: MutualCertificate, "
                    "UserNameOverTransport, CertificateOverTransport)",
                )
            if mode and derived and mode != derived:
                self.err(f"{key}.mode", f"authenticationMode {auth} means mode {derived}, not {mode}")
            mode = derived or mode or "None"
            if auth:
                cred = (
                    cred
                    or {
                        "MutualCertificate": "Certificate",
                        "UserNameOverTransport": "UserName",
                        "CertificateOverTransport": "Certificate",
                    }[auth]
                )
        elif auth:
            self.err(
                f"{key}.authenticationMode",
                "only customBinding takes authenticationMode; "
                "standard bindings use mode and clientCredentialType",
            )
        if mode is None:
            mode = "None" if btype == "basicHttpBinding" else "Message"
        if cred is None:
            if mode == "TransportWithMessageCredential":
                cred = "UserName" if btype == "basicHttpBinding" else "Windows"
            elif mode == "Message":
                cred = "Certificate" if btype == "basicHttpBinding" else "Windows"
            else:
                cred = "None"
        kind = {
            "None": "none",
            "Transport": "transport",
            "TransportWithMessageCredential": "twmc",
            "Message": "message",
        }[mode]
        if kind in ("twmc", "message") and cred not in ("UserName", "Certificate"):
            self.err(
                f"{key}.clientCredentialType",
                f"{cred} credentials need Kerberos/SPNEGO or an STS, which mockwcf cannot emulate; "
                "set clientCredentialType to UserName or Certificate"
                + (" (it defaults to Windows on wsHttpBinding)" if s["clientCredentialType"] is None else ""),
            )
        if btype == "basicHttpBinding" and kind == "message" and cred != "Certificate":
            self.err(
                f"{key}.clientCredentialType",
                "BasicHttpMessageSecurityRequiresCertificate: basicHttpBinding Message security takes "
                "Certificate only; use TransportWithMessageCredential for UserName",
            )
        establish = s["establishSecurityContext"]
        if btype in ("wsHttpBinding", "ws2007HttpBinding") and kind in ("twmc", "message"):
            if establish is None or establish:
                self.err(
                    f"{key}.establishSecurityContext",
                    "secure conversation is not emulated yet; set establishSecurityContext: false "
                    "(it defaults to true on wsHttpBinding)",
                )
            if kind == "message":
                self.err(
                    f"{key}.mode",
                    f"{btype} Message security (symmetric binding with encryption and derived keys) is "
                    "not emulated yet; use customBinding MutualCertificate or TransportWithMessageCredential",
                )
        version = s["messageSecurityVersion"]
        wss11 = (
            version.startswith("WSSecurity11") if version else btype in ("wsHttpBinding", "ws2007HttpBinding")
        )
        layout = s["securityHeaderLayout"] or (
            "Lax" if btype == "basicHttpBinding" and kind == "message" else "Strict"
        )
        if kind == "twmc":
            layout = "Strict"  # WCF ignores the configured layout here (reference 1.3)
        if kind == "message" and s["protectionLevel"] != "Sign":
            self.err(
                f"{key}.protectionLevel",
                "only Sign is emulated for Message security so far (EncryptAndSign is not)",
            )
        if s["algorithmSuite"] not in ("Basic256", "Basic256Sha256"):
            self.err(f"{key}.algorithmSuite", "only Basic256 and Basic256Sha256 are emulated")
        signed_supporting = tuple(s["signedSupportingTokens"] or ())
        if signed_supporting and kind != "message":
            self.err(f"{key}.signedSupportingTokens", "only Message security takes extra supporting tokens")
        confirm = s["requireSignatureConfirmation"]
        if confirm is None:
            confirm = kind == "message" and wss11
        if confirm and not wss11:
            self.err(
                f"{key}.requireSignatureConfirmation",
                "SecurityVersionDoesNotSupportSignatureConfirmation: SignatureConfirmation needs WSS 1.1",
            )
        https = kind in ("transport", "twmc") and not s["allowInsecureTransport"]
        if s["allowInsecureTransport"] and kind != "twmc":
            self.err(f"{key}.allowInsecureTransport", "applies to TransportWithMessageCredential only")
        return Security(
            kind=kind,
            credential=cred if kind in ("twmc", "message") else "None",
            wss11=wss11,
            layout=layout,
            include_timestamp=s["includeTimestamp"],
            suite=s["algorithmSuite"],
            signed_supporting=signed_supporting,
            require_signature_confirmation=bool(confirm),
            response_token_reference=s["responseTokenReference"],
            sign_responses=s["signResponses"],
            https=https,
            allow_insecure_transport=s["allowInsecureTransport"],
        )

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

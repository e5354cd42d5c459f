"""A loaded scenario: the service contract, the compiled binding and the mock's own settings.

The binding is the typed model of `mockwcf.binding` (the one truth about what security the endpoint requires);
the rest is what only a mock has: canned replies, rules, the clock, the journal, the farm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from mockwcf.binding.model import Binding, LocalServiceSecuritySettings, ProtectionLevel
from mockwcf.limits import HttpLimits, ReaderQuotas
from mockwcf.transport.config import TransportAuthConfig


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
    protection_level: ProtectionLevel | None = None  # [OperationContract(ProtectionLevel)]; None when unset


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
    binding: Binding
    # serviceCredentials
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
    journal_max_bytes: int = 64 * 1024 * 1024
    journal_include_secrets: bool = False
    cookie_protection: str = "perNode"  # farm.cookieProtection: perNode | shared | certificate
    cookie_key_file: Path | None = None
    transport_auth: TransportAuthConfig = TransportAuthConfig()  # HTTP authentication (mockwcf/transport)
    reader_quotas: ReaderQuotas = field(default_factory=ReaderQuotas)
    http_limits: HttpLimits = field(default_factory=HttpLimits)

    # Readings of the binding that the HTTP layer and the WSDL ask for often.
    @property
    def soap12(self) -> bool:
        return self.binding.soap12

    @property
    def addressing(self) -> bool:
        return self.binding.addressing

    @property
    def binding_type(self) -> str:
        return self.binding.name

    @property
    def max_received_message_size(self) -> int:
        return self.binding.max_received_message_size

    @property
    def settings(self) -> LocalServiceSecuritySettings:
        return self.binding.settings

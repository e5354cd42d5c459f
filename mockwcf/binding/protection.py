"""Per-action protection requirements: what each operation's request and reply must have signed and encrypted.

WCF builds them once per endpoint with ChannelProtectionRequirements.CreateFromContract (reference source,
System.ServiceModel/System/ServiceModel/Security/ChannelProtectionRequirements.cs): a message takes its own
ProtectionLevel if it has one, else its operation's ([OperationContract(ProtectionLevel = ...)]), else the
contract's ([ServiceContract(ProtectionLevel = ...)]), else the binding's highest supported level
(ISecurityCapabilities.SupportedRequest/ResponseProtectionLevel). The Body is then a signed part unless the
level is None, and an encrypted part when it is EncryptAndSign; the parts are keyed by the message's action
(IncomingSignatureParts / IncomingEncryptionParts for requests, Outgoing* for replies).

The receive side asks for the parts of the request's action (MessageSecurityProtocolFactory
.GetIncomingSignatureParts / GetIncomingEncryptionParts -> ReceiveSecurityHeader.RequiredSignatureParts /
RequiredEncryptionParts); whether a ReferenceList may appear at all is not a matter of level
(MessageSecurityProtocol.ConfigureReceiveSecurityHeader: ExpectEncryption = RequireConfidentiality ||
ExpectBasicTokens, true on every binding mockwcf emulates: security/encryption.py). The reply is secured with the Outgoing parts of its action
(ConfigureSendSecurityHeader: SignatureParts / EncryptionParts).

In a scenario the contract's level is `binding.security.protectionLevel` (compiled into Binding.protection_level)
and an operation's is `service.operations[].protectionLevel`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mockwcf.binding.model import Binding, ProtectionLevel

if TYPE_CHECKING:
    from mockwcf.config.model import Service

_RANK = {ProtectionLevel.None_: 0, ProtectionLevel.Sign: 1, ProtectionLevel.EncryptAndSign: 2}


@dataclass(frozen=True)
class ProtectionRequirements:
    """ChannelProtectionRequirements of one endpoint: the request's and reply's level per action. An action the
    contract does not have takes the contract's level (the request is refused at dispatch anyway)."""

    default: ProtectionLevel
    incoming: dict[str, ProtectionLevel] = field(default_factory=dict)
    outgoing: dict[str, ProtectionLevel] = field(default_factory=dict)
    # the parts under the wildcard action, for every reply (union_responses); None: each reply its own
    all_replies: ProtectionLevel | None = None

    def request(self, action: str) -> ProtectionLevel:
        return self.incoming.get(action, self.default)

    def reply(self, action: str) -> ProtectionLevel:
        if self.all_replies is not None:
            return self.all_replies
        return self.contract_reply(action)

    def highest_reply(self) -> ProtectionLevel:
        """The highest level any reply has: the wildcard action's after union_responses, and what the
        endpoint-wide ApplyConfidentiality asks (applies_confidentiality)."""
        if self.all_replies is not None:
            return self.all_replies
        return max([*self.outgoing.values()] or [self.default], key=_RANK.__getitem__)

    def contract_reply(self, action: str) -> ProtectionLevel:
        """The reply's level as CreateFromContract gives it, never the union: what the WSDL's per-operation
        policy states (SecurityBindingElement.ExportMessageScopeProtectionPolicy builds from CreateFromContract
        whatever the binding's addressing)."""
        return self.outgoing.get(action, self.default)


def create_from_contract(
    operations: Iterable[tuple[str, str, ProtectionLevel | None]], contract_level: ProtectionLevel
) -> ProtectionRequirements:
    """CreateFromContract for (action, reply action, the operation's ProtectionLevel or None when unset)."""
    incoming: dict[str, ProtectionLevel] = {}
    outgoing: dict[str, ProtectionLevel] = {}
    for action, reply_action, level in operations:
        effective = contract_level if level is None else level
        incoming[action] = effective
        outgoing[reply_action] = effective
    return ProtectionRequirements(contract_level, incoming, outgoing)


def supported_level(binding: Binding) -> ProtectionLevel:
    """ISecurityCapabilities.SupportedRequestProtectionLevel: EncryptAndSign with message or transport security,
    None on a binding without security (BasicHttpBinding/WSHttpBinding GetProperty<ISecurityCapabilities>)."""
    if binding.security is not None or binding.https:
        return ProtectionLevel.EncryptAndSign
    return ProtectionLevel.None_


def check_capability(
    binding: Binding,
    requirements: ProtectionRequirements,
    contract: str,
    keys: dict[str, str],
    err: Callable[[str, str], None],
) -> None:
    """SecurityValidationBehavior.ValidateBindingProtectionCapability: a service whose operations need protection
    the binding cannot give fails to open (AtLeastOneContractOperationRequest/ResponseRequires
    ProtectionLevelNotSupportedByBinding); `keys` maps an action to the scenario key that set its level."""
    supported = supported_level(binding)
    for action, key in keys.items():
        level = requirements.request(action)
        if _RANK[level] > _RANK[supported]:
            err(
                key,
                f"AtLeastOneContractOperationRequestRequiresProtectionLevelNotSupportedByBinding: the request "
                f"message must be protected ({level.value}), as an operation of contract {contract} requires, "
                f"but {binding.name} with security mode {binding.mode.value} protects nothing; use "
                "protectionLevel None or a binding with message or transport security",
            )
            return


def operation_protection(binding: Binding, service: Service, err: Callable[[str, str], None]) -> Binding:
    """Compile the operations' ProtectionLevel into the binding model; unchanged when no operation sets one
    (every action then takes the contract's level, which Binding.protection_level already is)."""
    keys = {
        op.action: f"service.operations[{i}].protectionLevel"
        for i, op in enumerate(service.operations)
        if op.protection_level is not None
    }
    if not keys:
        return binding
    requirements = create_from_contract(
        ((op.action, op.reply_action, op.protection_level) for op in service.operations),
        binding.protection_level,
    )
    check_capability(binding, requirements, service.contract, keys, err)
    if not binding.addressing:
        requirements = union_responses(requirements)
    return dataclasses.replace(binding, protection=requirements)


def union_responses(requirements: ProtectionRequirements) -> ProtectionRequirements:
    """ChannelProtectionRequirements.CreateFromContractAndUnionResponseProtectionRequirements, which
    DispatcherBuilder uses when the encoder's MessageVersion has AddressingVersion.None (basicHttpBinding): a
    reply there carries no action to key its parts by, so every reply takes the union of all replies' parts
    under the wildcard action: the highest level any operation's reply has. Requests keep their own levels."""
    return dataclasses.replace(requirements, all_replies=requirements.highest_reply())


def applies_confidentiality(binding: Binding) -> bool:
    """An asymmetric binding's ApplyConfidentiality on the reply side: AsymmetricSecurityBindingElement
    .CreateSecurityProtocolFactory sets it to HasProtectionRequirements(OutgoingEncryptionParts), true when any
    outgoing action (or the wildcard of union_responses) has encrypted parts, i.e. any reply at EncryptAndSign;
    it holds for the whole endpoint, not per action. Only then does AsymmetricSecurityProtocol
    .SetUpDelayedSecurityExecution give the header an encryption token (the symmetric factory's is always true)."""
    p = binding.protection
    highest = binding.protection_level if p is None else p.highest_reply()
    return highest is ProtectionLevel.EncryptAndSign

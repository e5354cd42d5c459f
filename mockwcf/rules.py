"""Scenario rules: match a request, then answer with a fault, a delay, a status or a dropped connection.

Counters are per rule and count the calls the rule's other conditions matched, so `call: 3` means
"the third Echo", not "the third request". Rules run after security processing unless `phase: receive`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from mockwcf.faults import Rejection
from mockwcf.scenario import Rule


@dataclass
class RuleHit:
    rule: Rule

    @property
    def answers(self) -> bool:
        """False for a delay-only rule: the request is then processed normally, just later."""
        r = self.rule
        return bool(r.fault or r.custom_fault or r.http_status or r.drop)

    @property
    def delay(self) -> float:
        return self.rule.delay.total_seconds() if self.rule.delay is not None else 0.0

    def rejection(self) -> Rejection | None:
        r = self.rule
        if r.fault:
            return Rejection(
                r.fault, r.message or f"Injected by scenario rule {r.index}.", step=f"rule[{r.index}]"
            )
        return None


class RuleBook:
    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self.counters = [0] * len(rules)

    def reset(self) -> None:
        self.counters = [0] * len(self.rules)

    def match(
        self, phase: str, operation: str | None, action: str | None, node: int, root: etree._Element | None
    ) -> RuleHit | None:
        for i, r in enumerate(self.rules):
            if r.phase != phase:
                continue
            if r.operation is not None and r.operation != operation:
                continue
            if r.action is not None and r.action != action:
                continue
            if r.node is not None and r.node != node:
                continue
            if r.xpath is not None:
                if root is None:
                    continue
                try:
                    result = r.xpath(root)
                except etree.XPathError:
                    continue
                if not result:
                    continue
            self.counters[i] += 1
            n = self.counters[i]
            if r.call is not None and n != r.call:
                continue
            if r.every is not None and n % r.every:
                continue
            return RuleHit(r)
        return None

"""The journal page for people: `GET /_mockwcf/` in a browser.

Server-rendered HTML from one template (data/journal.html) and a few lines of inline script that poll
for new rows and open an exchange in place; no build step, no external assets, a Content-Security-Policy
that allows only this page's own nonce-tagged script and style. An exchange opens to its step trail,
the diagnosis and hint, the headers, and the request and reply XML pretty-printed with the element the
rejection blamed (faults.Rejection.element, located by journal.locate) wrapped in <mark class="culprit">.

Everything shown comes from the journal, which holds what clients sent: every value is HTML-escaped,
and the stored XML is re-parsed with entities, DTDs and the network off.
"""

from __future__ import annotations

import re
import secrets
from html import escape
from importlib import resources
from string import Template
from typing import Any

from lxml import etree

from mockwcf.console import one_line
from mockwcf.journal import Entry

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True, huge_tree=False
)
_START, _END = "mockwcf-culprit-start", "mockwcf-culprit-end"
# On its own line before the element (lxml writes "<?name ?>"): moved to just before the element's tag;
# the end marker's line joins the element's last line, so the highlight covers the element alone.
_MARKERS = (
    (re.compile(rf"[ \t]*<\?{_START} ?\?>\n?([ \t]*)"), rf"\1<?{_START}?>"),
    (re.compile(rf"\n?[ \t]*<\?{_END} ?\?>"), f"<?{_END}?>"),
)
SHOW_LIMIT = 512 * 1024  # bytes of one message rendered; a bigger one is shown cut, as text
ROWS = 500  # rows rendered at first (the journal may hold 10,000); filters narrow it, new rows keep coming


def _template() -> Template:
    text = resources.files("mockwcf").joinpath("data/journal.html").read_text(encoding="utf-8")
    return Template(text)


def headers(nonce: str) -> list[tuple[str, str]]:
    """The page may run only its own script and style and may talk only to this server."""
    csp = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]


def page(
    entries: list[Entry], scenario_name: str, open_id: int | None
) -> tuple[bytes, list[tuple[str, str]]]:
    """The whole page, newest exchange first; `open_id` is rendered opened (a link that works without script)."""
    nonce = secrets.token_urlsafe(16)
    shown = entries[-ROWS:]
    more = len(entries) - len(shown)
    body = _template().substitute(
        nonce=nonce,
        scenario=escape(scenario_name),
        count=len(entries),
        older=f" · the newest {len(shown)} shown; filter to see older ones" if more else "",
        rows=rows(shown, open_id),
        last=max((e.id for e in entries), default=0),
    )
    return body.encode(), headers(nonce)


def rows(entries: list[Entry], open_id: int | None = None) -> str:
    out = []
    for e in reversed(entries):
        out.append(row(e))
        if e.id == open_id:
            out.append(detail_row(e))
    return "".join(out)


def row(e: Entry) -> str:
    what = e.operation or f"{e.method} {e.target}"
    code = e.resource_code or (e.wire_code if e.verdict == "rejected" else "") or ""
    reason = one_line(e.error or e.reason, 140) if e.verdict == "rejected" else ""
    return (
        f'<tr class="x {e.verdict}" data-id="{e.id}" id="x{e.id}" tabindex="0">'
        f'<td class="id"><a href="?open={e.id}#x{e.id}">#{e.id}</a></td>'
        f"<td>{escape(e.time[11:23])}</td>"
        f'<td class="verdict">{escape(e.verdict)}</td>'
        f"<td>{e.node}</td>"
        f"<td>{escape(what)}</td>"
        f'<td class="code">{escape(code)}</td>'
        f'<td class="reason">{escape(reason)}</td>'
        f'<td class="num">{e.latency_ms:.1f} ms</td></tr>'
    )


def detail_row(e: Entry) -> str:
    return f'<tr class="detail" data-for="{e.id}"><td colspan="8">{detail(e)}</td></tr>'


def detail(e: Entry) -> str:
    """One exchange opened: diagnosis, hint, blamed element, steps, headers, request and reply XML."""
    parts = [f'<div class="exchange" id="exchange-{e.id}">']
    facts = [
        ("verdict", f"{e.verdict} (HTTP {e.status})"),
        ("request", f"{e.method} {e.target}"),
        ("endpoint", e.endpoint or "- (no endpoint at this path)"),
        ("operation", e.operation or "-"),
        ("action", e.action or "-"),
        ("resource code", e.resource_code or "-"),
        ("wire fault", e.wire_code or "-"),
        ("node", str(e.node)),
        ("time", e.time),
        ("latency", f"{e.latency_ms:.1f} ms" + (f" (+{e.delay:g} s rule delay)" if e.delay else "")),
    ]
    if e.rule is not None:
        facts.append(("rule", f"rules[{e.rule}]"))
    parts.append(
        "<dl class='facts'>" + "".join(f"<dt>{k}</dt><dd>{escape(v)}</dd>" for k, v in facts) + "</dl>"
    )
    if e.reason or e.error:
        parts.append(f'<p class="diagnosis"><b>Diagnosis:</b> {escape(e.error or e.reason or "")}</p>')
    if e.hint:
        parts.append(f'<p class="hint"><b>Hint:</b> {escape(e.hint)}</p>')
    if e.culprit:
        parts.append(
            f'<p class="blame"><b>Element:</b> <code>{escape(e.culprit["name"])}</code> at '
            f"<code>{escape(e.culprit['xpath'])}</code> (highlighted below)</p>"
        )
    if e.steps:
        items = "".join(
            f'<li class="{escape(s["outcome"])}"><span class="step">{escape(s["step"])}</span> '
            f'<span class="outcome">{escape(s["outcome"])}</span> {escape(s["detail"])}</li>'
            for s in e.steps
        )
        parts.append(f'<h3>Steps</h3><ol class="steps">{items}</ol>')
    parts.append(_headers("Request headers", e.request_headers.items()))
    parts.append(_headers("Response headers", e.response_headers))
    parts.append("<h3>Request</h3>" + pretty(e.request, e.culprit["xpath"] if e.culprit else None, e.id))
    parts.append("<h3>Reply</h3>" + pretty(e.response, None, e.id))
    parts.append("</div>")
    return "".join(parts)


def _headers(title: str, pairs: Any) -> str:
    rows_html = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in pairs)
    return f'<details class="headers"><summary>{title}</summary><table>{rows_html}</table></details>'


def pretty(data: bytes, culprit_xpath: str | None, entry_id: int) -> str:
    """XML indented for reading, as HTML; the element at `culprit_xpath` wrapped in a <mark>.

    The element is marked in the tree with two processing instructions before serializing, so lxml
    does the pretty-printing and the escaping stays in one place (html.escape over the whole text)."""
    if not data.strip():
        return '<p class="empty">(empty)</p>'
    if len(data) > SHOW_LIMIT:
        cut = data[:SHOW_LIMIT].decode("utf-8", "replace")
        return f'<pre class="xml">{escape(cut)}\n… ({len(data)} bytes, cut)</pre>'
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return f'<pre class="xml">{escape(data.decode("utf-8", "replace"))}</pre>'
    target = None
    if culprit_xpath:
        try:
            found = root.xpath(culprit_xpath)
        except etree.XPathError:
            found = []
        target = (
            found[0] if isinstance(found, list) and found and isinstance(found[0], etree._Element) else None
        )
    if target is not None:
        target.addprevious(etree.ProcessingInstruction(_START))
        target.addnext(etree.ProcessingInstruction(_END))
    text = etree.tostring(root.getroottree(), pretty_print=True, encoding="unicode")
    for pattern, repl in _MARKERS:
        text = pattern.sub(repl, text)
    html = escape(text)
    html = html.replace(escape(f"<?{_START}?>"), f'<mark class="culprit" id="culprit-{entry_id}">')
    html = html.replace(escape(f"<?{_END}?>"), "</mark>")
    return f'<pre class="xml">{html}</pre>'

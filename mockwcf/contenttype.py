"""The HTTP Content-Type and action checks of WCF's text message encoder and HTTP input.

RS SM/Channels/HttpChannelHelpers.cs HttpInput.ValidateContentType: a request with a body and no (or an
empty) Content-Type is refused with 415; otherwise MessageEncoder.IsContentTypeSupported decides, and a
"no" is 415 too. IsContentTypeSupported (RS SM/Channels/MessageEncoder.cs) accepts the encoder's own content
type ("text/xml; charset=utf-8" for SOAP 1.1, "application/soap+xml; charset=utf-8" for SOAP 1.2) exactly,
as a case-insensitive prefix followed by ';', the end, or linear white space; otherwise it parses the value
with System.Net.Mime.ContentType and requires the media type (case-insensitive) and a supported charset:
none, utf-8, utf-16LE, utf-16BE or utf-16, in any case (TextEncoderDefaults.TryGetEncoding). A value that does
not parse is unsupported. System.Net.Mime.ContentType.ParseValue's grammar (RS System/net/System/Net/mail/
ContentType.cs, MailBnfHelper.cs) is written out in `parse` below: Python's email package parses the same
RFC 2045 shape but repairs what .NET refuses (it reports defects and carries on), so it cannot say "no" where
.NET does; see docs/design.md "How values are read".
The action: SOAP 1.1 takes the SOAPAction header, SOAP 1.2 the `action` parameter of the Content-Type;
either is URL-decoded and loses one pair of surrounding quotes (HttpInput.ProcessHttpAddressing).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from urllib.parse import unquote_plus

from mockwcf import codes
from mockwcf.faults import Rejection

_CHARSETS = {"utf-8", "utf-16le", "utf-16be", "utf-16"}
_SUPPORTED = {
    False: ("text/xml; charset=utf-8", "text/xml"),
    True: ("application/soap+xml; charset=utf-8", "application/soap+xml"),
}
_TSPECIALS = set('()<>@,;:\\"/[]?=')


def _token(value: str, i: int) -> tuple[str, int]:
    """MailBnfHelper.ReadToken: ASCII 33-126 but tspecials; at least one character."""
    start = i
    while i < len(value) and 33 <= ord(value[i]) <= 126 and value[i] not in _TSPECIALS:
        i += 1
    if i < len(value) and ord(value[i]) > 127 or i == start:
        raise ValueError("token")
    return value[start:i], i


def _skip_cfws(value: str, i: int) -> int | None:
    """MailBnfHelper.SkipCFWS: spaces, tabs and (comments); None at the end of the string."""
    depth = 0
    while i < len(value):
        ch = value[i]
        if ord(ch) > 127:
            raise ValueError("non-ASCII")
        if ch == "\\" and depth:
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ValueError("comment")
        elif ch not in " \t" and not depth:
            return i
        i += 1
    return None


def _quoted(value: str, i: int) -> tuple[str, int]:
    """MailBnfHelper.ReadQuotedString: up to the closing quote, backslash escapes one character."""
    out, i = [], i + 1
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise ValueError("unterminated quoted string")


def parse(value: str) -> tuple[str, dict[str, str]] | None:
    """System.Net.Mime.ContentType: (media type, parameters by lower-cased name), or None for FormatException."""
    try:
        kind, i = _token(value, 0)
        if i >= len(value) or value[i] != "/":
            return None
        sub, i = _token(value, i + 1)
        params: dict[str, str] = {}
        while (j := _skip_cfws(value, i)) is not None:
            if value[j] != ";":
                return None
            j = _skip_cfws(value, j + 1)
            if j is None:
                break  # a trailing ';' is allowed
            name, j = _token(value, j)
            if j >= len(value) or value[j] != "=":
                return None
            j = _skip_cfws(value, j + 1)
            if j is None:
                return None
            val, i = _quoted(value, j) if value[j] == '"' else _token(value, j)
            if name.lower() in params:
                return None  # StringDictionary.Add refuses a second key
            params[name.lower()] = val
        return f"{kind}/{sub}", params
    except ValueError:
        return None


def _prefix_match(value: str, supported: str) -> bool:
    """The fast paths of IsContentTypeSupported: the encoder's content type, then ';', the end or LWS."""
    if value == supported or (
        value.startswith(supported) and value[len(supported) : len(supported) + 1] == ";"
    ):
        return True
    if value[: len(supported)].lower() != supported.lower():
        return False
    rest = value[len(supported) :]
    if rest.startswith("\r\n"):
        rest = rest[2:]
        if not rest or rest[0] not in " \t":
            return False
    stripped = rest.lstrip(" \t")
    return stripped == "" or stripped.startswith(";") or rest == ""


def refusal(value: str | None, soap12: bool) -> str | None:
    """None when WCF's text encoder takes this Content-Type; otherwise why HttpInput answers 415."""
    if not value:
        return "The request has a body but no Content-Type header (HttpContentTypeHeaderRequired)."
    supported, media = _SUPPORTED[soap12]
    if _prefix_match(value, supported):
        return None
    parsed = parse(value)
    if parsed is None:
        return f"The Content-Type '{value}' does not parse as a MIME type (System.Net.Mime.ContentType)."
    if parsed[0].lower() != media:
        return f"The media type is '{parsed[0]}', not '{media}' (compared case-insensitively)."
    charset = parsed[1].get("charset")
    if charset is not None and charset.lower() not in _CHARSETS:
        return (
            f"The charset '{charset}' is not one the text encoder reads (utf-8, utf-16LE, utf-16BE, utf-16, or "
            "none)."
        )
    return None


def _action_value(raw: str) -> str:
    value = unquote_plus(raw)
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
    return value


@functools.lru_cache(maxsize=64)
def action(content_type: str | None, soap_action: str | None, soap12: bool) -> str | None:
    """HttpInput.ProcessHttpAddressing's action: SOAPAction (1.1) or the Content-Type action parameter (1.2).

    Cached: a pure function of the two header values, read twice per request (routing, then the WS-Addressing
    check), and a client sends the same few values again and again; System.Net.Mime's grammar, walked
    character by character, costs about 9 µs per SOAP 1.2 Content-Type. 64 entries bound the memory."""
    if not soap12:
        return _action_value(soap_action) if soap_action is not None else None
    if not content_type:
        return None
    parsed = parse(content_type)
    if parsed is None:
        # .NET's ContentType throws here (an unquoted action holds ':' and '/'); WCF's own client always
        # quotes it, so this reading is a choice: take the parameter as written (design.md, ambiguities).
        for part in content_type.split(";")[1:]:
            key, _, raw = part.strip().partition("=")
            if key.strip().lower() == "action":
                return _action_value(raw.strip())
        return None
    raw = parsed[1].get("action")
    return _action_value(raw) if raw is not None else None


_CHARSET_PARAM = re.compile(r";[ \t]*charset=\"?([^;\"]*)", re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def charset(value: str | None) -> str | None:
    """MessageEncoder.GetEncodingFromContentType's charset: its quick scan for a `charset=` parameter (value up
    to the next ';', one pair of quotes off), and System.Net.Mime's parse only when the scan finds nothing.
    Cached like `action`: a pure function of a header value clients repeat (a hit costs a fifth of the scan)."""
    if not value:
        return None
    m = _CHARSET_PARAM.search(value)
    if m:
        return m.group(1)
    parsed = parse(value)
    return parsed[1].get("charset") if parsed is not None else None


def require_supported(value: str, soap12: bool, encoder_content_type: str) -> None:
    """HttpInput.ValidateContentType: the 415 WCF answers, with a hint when it is the other SOAP version."""
    why = refusal(value, soap12)
    if why is None:
        return
    parsed = parse(value)
    media = parsed[0].lower() if parsed else ""
    other = ""
    if media == "application/soap+xml" and not soap12:
        other = " The request looks like SOAP 1.2 sent to a SOAP 1.1 (basicHttpBinding) endpoint."
    elif media == "text/xml" and soap12:
        other = " The request looks like SOAP 1.1 sent to a SOAP 1.2 endpoint."
    raise Rejection(
        codes.ContentTypeMismatch,
        f"Cannot process the message because the content type '{value}' was not the expected type "
        f"'{encoder_content_type}'. {why}{other}",
        step="http",
        http_status=415,
    )


def require_matching_action(headers: Mapping[str, str], wsa_action: str | None, soap12: bool) -> None:
    """ProcessHttpAddressing with WS-Addressing: a non-empty HTTP action must equal wsa:Action (ordinal)."""
    http_action = action(headers.get("content-type"), headers.get("soapaction"), soap12)
    if http_action and http_action != wsa_action:
        raise Rejection(
            codes.HttpSoapActionMismatchFault,
            f"The SOAP action specified on the message, '{wsa_action or ''}', does not match the HTTP SOAP "
            f"Action, '{http_action}'.",
            step="http",
        )

"""wsu:Created / wsu:Expires read the way WCF reads them (issue 14).

WCF: WSUtilitySpecificationVersionOneDotZero.ReadTimestamp -> XmlDictionaryReader.ReadContentAsDateTime ->
XmlConverter.ToDateTime -> XmlConvert.ToDateTime(s, XmlDateTimeSerializationMode.RoundtripKind) ->
XsdDateTime.Parser.Parse(s, XsdDateTimeFlags.AllXsd), then .ToUniversalTime(). The grammar tests call
mockwcf.xsdtime directly; the wire tests send the same values to a real server in a wsu:Timestamp.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mockwcf import ns, xsdtime
from tests import wss
from tests.conftest import SCENARIOS

NOW = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)
HTTP_USERNAME = SCENARIOS / "username-over-http.yaml"


def ticks(text: str) -> int:
    return xsdtime.parse(text, NOW).ticks


def at(*args: int) -> int:
    return xsdtime.Instant.of(datetime(*args, tzinfo=UTC)).ticks


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01 10:00:00Z",  # a space is not the 'T' ParseChar(start + Lzyyyy_MM_dd, 'T') wants
        "2026-12-01t10:00:00Z",  # lower-case t
        "2026-12-01T10:00Z",  # ParseTime requires seconds
        "2026-12-01T10:00:00.Z",  # "cannot end with ."
        "2026-12-01T24:00:00Z",  # hour < 24
        "2026-12-01T10:00:60Z",  # second < 60: no leap second
        "2026-02-29T10:00:00Z",  # DaysInMonth(2026, 2) is 28
        "0000-01-01T00:00:00Z",  # 1 <= year
        "26-12-01T10:00:00Z",  # Parse4Dig
        "+2026-12-01T10:00:00Z",  # no sign on the year
        "2026-12-01T10:00:00+5:00",  # zone needs two digits each side
        "2026-12-01T10:00:00+0500",  # and the colon
        "2026-12-01T10:00:00 Z",  # white space only after the zone
        "2026-12-01T10:00:00ZZ",
        "20261201T100000Z",  # ISO 8601 basic format (datetime.fromisoformat reads it)
        "2026-W49-2",  # an ISO week date (so does fromisoformat)
        "",
        "now",
    ],
)
def test_xsddatetime_parser_refuses(text):
    """XsdDateTime.Parser.Parse with XsdDateTimeFlags.AllXsd refuses these."""
    with pytest.raises(ValueError):
        xsdtime.parse(text, NOW)


def test_xsddatetime_fraction_any_number_of_digits_rounded_half_even_at_seven():
    """XsdDateTime.Parser.ParseTime: 'We allow any number of digits, but keep only first 7', then rounds."""
    base = at(2026, 12, 1, 10, 0, 0)
    assert ticks("2026-12-01T10:00:00.5Z") == base + 5_000_000
    assert ticks("2026-12-01T10:00:00.1234567Z") == base + 1_234_567
    assert ticks("2026-12-01T10:00:00.12345678Z") == base + 1_234_568  # 8 > 5: up
    assert ticks("2026-12-01T10:00:00.12345665Z") == base + 1_234_566  # tie, 6 is even: stays
    assert ticks("2026-12-01T10:00:00.12345675Z") == base + 1_234_568  # tie, 7 is odd: up
    assert ticks("2026-12-01T10:00:00.123456650001Z") == base + 1_234_567  # past the tie: up
    assert ticks("2026-12-01T10:00:00.99999999Z") == at(2026, 12, 1, 10, 0, 1)  # carries into the second


def test_xsddatetime_zone_forms():
    """XsdDateTime.Parser.ParseZoneAndWhitespace: Z or z, +hh:mm / -hh:mm with hh and mm 00-99, or none."""
    ten = at(2026, 12, 1, 10, 0, 0)
    assert ticks("2026-12-01T10:00:00Z") == ten
    assert ticks("2026-12-01T10:00:00z") == ten
    assert ticks("2026-12-01T12:00:00+02:00") == ten
    assert ticks("2026-12-01T05:30:00-04:30") == ten
    assert ticks("2026-12-01T10:00:00") == ten  # no zone: server local time, UTC on mockwcf's servers
    assert ticks("2026-12-02T01:00:00+15:00") == ten  # the parser does not limit the hours to 14
    assert ticks("2026-12-01T11:39:00+00:99") == ten  # nor the minutes to 59


def test_xsddatetime_white_space_is_char_iswhitespace_around_the_value():
    """XsdDateTime.Parser.Parse skips char.IsWhiteSpace before the value and after the zone (NBSP included)."""
    ten = at(2026, 12, 1, 10, 0, 0)
    assert ticks(" \t\n2026-12-01T10:00:00Z\r\n ") == ten
    assert ticks("\u00a02026-12-01T10:00:00Z\u2003") == ten


def test_xsddatetime_allxsd_reads_date_time_and_gregorian_forms():
    """XmlConvert.ToDateTime passes XsdDateTimeFlags.AllXsd: every XSD date/time type is a DateTime."""
    assert ticks("2026-12-01") == at(2026, 12, 1)
    assert ticks("2026-12-01+01:00") == at(2026, 11, 30, 23, 0, 0)
    assert ticks("10:00:00Z") == at(2026, 12, 1, 10, 0, 0)  # xs:time takes today's date
    assert ticks("2026-12") == at(2026, 12, 1)
    assert ticks("2026") == at(2026, 1, 1)
    assert ticks("--02-29") == at(1904, 2, 29)  # gMonthDay keeps XsdDateTime's leap year 1904
    assert ticks("--03") == at(2026, 3, 1)  # gMonth takes this year
    assert ticks("--03--") == at(2026, 3, 1)
    assert ticks("---15") == at(2026, 1, 15)  # gDay: this year, January
    assert ticks("2026-01-05:30") == at(2026, 1, 1, 5, 30, 0)  # gYearMonth 2026-01 in zone -05:30


def test_xsddatetime_offsets_past_the_range_clamp():
    """XsdDateTime's implicit DateTime operator clamps an offset that leaves DateTime's range."""
    assert ticks("0001-01-01T00:00:00+01:00") == 0
    assert xsdtime.parse("9999-12-31T23:59:59-01:00", NOW).ticks == 3_155_378_975_999_999_999


# -- the same rule on the wire ------------------------------------------------------------------------


def _timestamp(created: str, expires: str | None = "2026-12-01T10:05:00Z", body: str | None = None) -> str:
    inner = (
        body
        if body is not None
        else f"<wsu:Created>{created}</wsu:Created>"
        + (f"<wsu:Expires>{expires}</wsu:Expires>" if expires is not None else "")
    )
    return f'<wsu:Timestamp wsu:Id="TS-1" xmlns:wsu="{ns.WSU}">{inner}</wsu:Timestamp>'


def _send(server, timestamp: str):
    server.set_clock(frozen_at="2026-12-01T10:01:00Z")
    doc = wss.envelope(wss.security(timestamp, wss.username_token()))
    return wss.post(server.url, doc)


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
@pytest.mark.parametrize(
    "created",
    [
        "2026-12-01T10:00:00Z",
        "2026-12-01T10:00:00.1234567891Z",
        "2026-12-01T11:00:00+01:00",
        "2026-12-01T10:00:00",
        " 2026-12-01T10:00:00z ",
        "2026-12-01T10:00:00<!-- a comment -->Z",  # ReadContentAsString skips comments
    ],
)
def test_wire_readtimestamp_accepts_what_xmlconvert_reads(mockwcf_server, created):
    """ReadTimestamp -> ReadContentAsDateTime: these Created values are accepted."""
    wss.expect(mockwcf_server, _send(mockwcf_server, _timestamp(created)), None)


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
@pytest.mark.parametrize(
    "created", ["2026-12-01 10:00:00Z", "2026-12-01T10:00Z", "2026-12-01T10:00:00.Z", "2026-12-01T10:00:00 Z"]
)
def test_wire_readtimestamp_refuses_what_xmlconvert_refuses(mockwcf_server, created):
    """ReadTimestamp -> XmlConvert.ToDateTime throws: a conversion XmlException, InvalidSecurity on the wire."""
    resp = _send(mockwcf_server, _timestamp(created))
    entry = wss.expect(mockwcf_server, resp, "MessageSecurityVerificationFailed", wire=b"InvalidSecurity")
    assert "XmlConvert" in entry.reason


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_wire_zone_offsets_count_when_comparing_created_and_expires(mockwcf_server):
    """SecurityTimestamp compares UTC values: Created 11:00+01:00 equals Expires 10:00Z -> not before it."""
    resp = _send(mockwcf_server, _timestamp("2026-12-01T11:00:00+01:00", "2026-12-01T10:00:00Z"))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("TimeStampHasCreationAheadOfExpiry")


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
@pytest.mark.parametrize(
    "body",
    [
        "<wsu:Expires>2026-12-01T10:05:00Z</wsu:Expires><wsu:Created>2026-12-01T10:00:00Z</wsu:Created>",
        "<wsu:Expires>2026-12-01T10:05:00Z</wsu:Expires>",
        "<wsu:Created>2026-12-01T10:00:00Z</wsu:Created><wsu:Created>2026-12-01T10:00:00Z</wsu:Created>",
        "<wsu:Created>2026-12-01T10:00:00Z</wsu:Created><wsu:Expires>2026-12-01T10:05:00Z</wsu:Expires>"
        "<wsu:Expires>2026-12-01T10:05:00Z</wsu:Expires>",
        "<wsu:Created>2026-12-01T10:00:00Z</wsu:Created>stray text",
        "<wsu:Created><x>2026-12-01T10:00:00Z</x></wsu:Created>",
    ],
)
def test_wire_readtimestamp_order_and_cardinality(mockwcf_server, body):
    """ReadTimestamp: ReadStartElement(Created), IsStartElement(Expires), ReadEndElement - in order, once each."""
    resp = _send(mockwcf_server, _timestamp("", body=body))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("MessageSecurityVerificationFailed")


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_wire_readtimestamp_created_only_and_white_space_between_elements(mockwcf_server):
    """ReadTimestamp: Expires is optional; MoveToContent skips white space and comments between the elements."""
    body = "\n  <wsu:Created>2026-12-01T10:00:00Z</wsu:Created>\n  <!-- c -->\n"
    resp = _send(mockwcf_server, _timestamp("", body=body))
    assert resp.status_code == 200, resp.text


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_wire_usernametoken_created_is_skipped_not_parsed(mockwcf_server):
    """UserNamePasswordTokenEntry.ParseToken: 'wsu:Created can be safely ignored' - reader.Skip(), never parsed."""
    mockwcf_server.set_clock(frozen_at="2026-12-01T10:01:00Z")
    token = wss.username_token(
        extra=f'<wsu:Created xmlns:wsu="{ns.WSU}">2026-12-01 10:00:00 yesterday</wsu:Created>'
    )
    resp = wss.post(mockwcf_server.url, wss.envelope(wss.security(_timestamp("2026-12-01T10:00:00Z"), token)))
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01T10:00:00Z",
        "2026-12-01T10:00:00.1Z",
        "2026-12-01T10:00:00.1234567Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.9999999Z",
        "2024-02-29T23:59:59.5Z",
    ],
)
def test_xmlconverter_tryparsedatetime_fast_path_agrees_with_xsddatetime(text):
    """XmlConverter.TryParseDateTime reads the common form before XmlConvert; both must give the same instant."""
    fast = xsdtime._common(text)
    f = xsdtime._Parser(text).parse()
    assert fast is not None and f is not None
    assert fast.ticks == xsdtime._ticks(f.year, f.month, f.day, f.hour, f.minute, f.second) + f.fraction
    assert xsdtime._common("2025-02-29T00:00:00Z") is None  # left to the general parser, which refuses it

"""Reply values written as WCF's DataContractSerializer writes them: DateTime kinds and fractions, constants
written at load, templated and echoed values per request, flat and Spyne-written (list) operations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from mockwcf import replyvalue
from mockwcf.scenario import load_text
from mockwcf.service import Contract


@pytest.mark.parametrize(
    "value,text",
    [
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z"),  # Zulu: DateTimeKind.Utc, 'Z'
        ("2026-01-02T03:04:05z", "2026-01-02T03:04:05Z"),
        ("2026-01-02T03:04:05", "2026-01-02T03:04:05"),  # no zone: Unspecified, no suffix
        ("2026-01-02T03:04:05+00:00", "2026-01-02T03:04:05+00:00"),  # an offset: Local (the server's UTC)
        ("2026-01-02T03:04:05+05:30", "2026-01-01T21:34:05+00:00"),  # converted to the server's zone
        ("2026-01-02T23:00:00-02:00", "2026-01-03T01:00:00+00:00"),
        ("2026-01-02T03:04:05.1200000Z", "2026-01-02T03:04:05.12Z"),  # ToCharsD7 trims trailing zeros
        ("2026-01-02T03:04:05.1234567Z", "2026-01-02T03:04:05.1234567Z"),  # all 7 digits kept
        ("2026-01-02T03:04:05.12345675Z", "2026-01-02T03:04:05.1234568Z"),  # 8th rounds half to even
        ("2026-01-02T03:04:05.0000000", "2026-01-02T03:04:05"),  # no fraction when the ticks are 0
        ("2026-01-02", "2026-01-02T00:00:00"),  # xs:date reads as midnight, Unspecified
        ("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00+00:00"),
        ("0001-01-01T00:00:00.0000001", "0001-01-01T00:00:00.0000001"),  # ToCharsD4: four-digit year
        ("9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59.9999999Z"),
        (" 2026-01-02T03:04:05Z\n", "2026-01-02T03:04:05Z"),  # XmlConvert trims white space
        (dt.datetime(2026, 1, 2, 3, 4, 5, 120000), "2026-01-02T03:04:05.12"),
        (dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2026-01-02T03:04:05Z"),
        (
            dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            "2026-01-02T02:04:05+00:00",
        ),
    ],
)
def test_datetime_text_is_xmlconverter_tochars_of_what_xmlconvert_reads(value, text):
    assert replyvalue.datetime_text(value) == text


@pytest.mark.parametrize(
    "value,name,why",
    [
        ("not a number", "int", "not a whole number"),
        (2**31, "int", "outside the range of int"),
        (2**63, "long", "outside the range of long"),
        (1.5, "long", "not a whole number"),
        ("maybe", "boolean", "true, false, 1 or 0"),
        ("NaN", "decimal", "finite"),
        ("1,5", "decimal", "not a decimal"),
        ("x", "double", "not a number"),
        ("2026-01-02 03:04:05Z", "dateTime", "not a valid AllXsd value"),  # XmlConvert takes only 'T'
        ("yesterday", "dateTime", "not a valid AllXsd value"),
    ],
)
def test_values_a_type_cannot_hold_are_refused_with_the_reason(value, name, why):
    with pytest.raises(ValueError, match=why):
        replyvalue.scalar(value, name)


SCENARIO = """\
service:
  operations:
  - name: Dates
    input: {t: dateTime, day: string}
    output: {utc: dateTime, bare: dateTime, zero: dateTime, plain: dateTime, echo: dateTime, made: dateTime}
    reply:
      utc: '2026-01-02T03:04:05.5000000Z'
      bare: '2026-01-02T03:04:05'
      zero: '2026-01-02T03:04:05+00:00'
      plain: 2026-01-02T03:04:05.1234567Z
      echo: '{t}'
      made: '{day}T10:00:00'
  - name: Many
    input: {t: dateTime}
    output: {when: "dateTime[]", one: dateTime, tag: base64Binary}
    reply: {when: ['{t}', '2026-01-02T03:04:05', null], one: '2026-01-02T03:04:05.25Z'}
"""


def _dispatch(contract: Contract, op_name: str, body: str) -> str:
    op = next(o for o in contract.scenario.service.operations if o.name == op_name)
    payload = etree.fromstring(f'<{op_name} xmlns="http://tempuri.org/">{body}</{op_name}>')
    return contract.dispatch(op, payload).decode()


@pytest.mark.parametrize(
    "sent,echoed",
    [
        ("2026-05-06T07:08:09.12Z", "2026-05-06T07:08:09.12Z"),
        ("2026-05-06T07:08:09", "2026-05-06T07:08:09"),
        ("2026-05-06T07:08:09+00:00", "2026-05-06T07:08:09+00:00"),
        ("2026-05-06T07:08:09+02:00", "2026-05-06T05:08:09+00:00"),
    ],
)
def test_constant_templated_and_echoed_datetimes_are_written_as_wcf_writes_them(sent, echoed):
    contract = Contract(load_text(SCENARIO, "d.yaml", Path(".")))
    dates = {f.name: f.fixed for f in contract.bound["Dates"].outputs}
    assert dates["utc"] == "<utc>2026-01-02T03:04:05.5Z</utc>"  # written once, at load
    assert dates["bare"] == "<bare>2026-01-02T03:04:05</bare>"
    assert dates["zero"] == "<zero>2026-01-02T03:04:05+00:00</zero>"
    assert dates["plain"] == "<plain>2026-01-02T03:04:05.1234567Z</plain>"  # unquoted YAML keeps its text
    reply = _dispatch(contract, "Dates", f"<t>{sent}</t><day>2026-03-04</day>")
    assert f"<echo>{echoed}</echo><made>2026-03-04T10:00:00</made>" in reply
    many = etree.fromstring(_dispatch(contract, "Many", f"<t>{sent}</t>"))  # a list: Spyne writes the rest
    texts = [e.text for e in many.iter("{http://tempuri.org/}dateTime")]
    assert texts == [echoed, "2026-01-02T03:04:05", None]
    assert many.findtext("{http://tempuri.org/}one") == "2026-01-02T03:04:05.25Z"

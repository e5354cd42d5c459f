"""The journal page in a real headless browser (Debian's chromium driven by its chromedriver through
selenium; `make test` installs both when missing): the live table, opening an exchange, and the element
the rejection blamed highlighted in the pretty-printed request."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from mockwcf import page
from tests import wss
from tests.conftest import CERTS, SCENARIOS

# What Chromium needs on these machines: no sandbox as root, and no background connections (the
# network is closed, and each refused connection costs time); a fresh profile for every run.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)


def _find(name: str) -> str:
    found = shutil.which(name)
    if found is None:  # a failure that says how to fix it, never a skip
        raise AssertionError(
            f"{name} is not installed; `make browser` installs Debian's chromium and chromium-driver"
        )
    return found


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = _find("chromium")
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=_find("chromedriver")))
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: webdriver.Chrome, what, timeout: float = 10.0):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(what)


def test_page_opens_an_exchange_and_highlights_the_blamed_element(mockwcf_server, browser):
    mockwcf_server.load(SCENARIOS / "seed001-mutual-certificate.yaml")
    url = mockwcf_server.url
    items = [wss.timestamp(), wss.bst(CERTS / "client.pem"), wss.username_token()]

    def signed(text: str) -> str:
        doc = wss.envelope(wss.security(*items), text=text)
        return wss.sign(doc, CERTS / "client.key", CERTS / "client.pem", ["TS-1", "Body-1", "UT-1"])

    assert wss.post(url, signed("hi")).status_code == 200
    # another signature (a replayed one is refused first), then the Body changed after signing
    assert wss.post(url, signed("bye").replace("<text>bye</text>", "<text>BYE</text>")).status_code == 500
    tampered = mockwcf_server.assert_fault("DigestVerificationFailedForReference")

    browser.get(mockwcf_server.base_url + "/_mockwcf/")
    assert browser.title == "mockwcf journal: seed001-mutual-certificate"
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.x")
    assert [r.get_attribute("data-id") for r in rows] == [
        str(tampered.id),
        str(tampered.id - 1),
    ]  # newest first
    cells = [c.text for c in rows[0].find_elements(By.TAG_NAME, "td")]
    assert cells[2:6] == ["rejected", "1", "Echo", "DigestVerificationFailedForReference"]
    assert cells[6].startswith("Digest verification failed for Reference '#Body-1'") and cells[7].endswith(
        " ms"
    )

    rows[0].click()
    mark = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, f"#exchange-{tampered.id} mark.culprit"))
    assert mark.text.startswith('<Reference URI="#Body-1">') and mark.text.endswith("</Reference>")
    assert mark.is_displayed()
    assert mark.value_of_css_property("background-color") == "rgba(255, 224, 138, 1)"
    opened = browser.find_element(By.ID, f"exchange-{tampered.id}")
    assert "Diagnosis: Digest verification failed" in opened.text
    assert "Hint: " in opened.text
    steps = [li.text for li in opened.find_elements(By.CSS_SELECTOR, "ol.steps li")]
    assert steps[-1].startswith("signature FAILED DigestVerificationFailedForReference: Digest verification")
    assert any(s.startswith("timestamp OK") for s in steps)
    replies = opened.find_elements(By.CSS_SELECTOR, "pre.xml")
    assert "<s:Fault>" in replies[1].text  # the reply, pretty-printed
    assert len(browser.find_elements(By.CSS_SELECTOR, "mark.culprit")) == 1

    # live: a new exchange appears on top without a reload; the opened one stays open
    wss.post(url, wss.envelope())
    newest = mockwcf_server.last().id
    _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "tr.x").get_attribute("data-id") == str(newest))
    assert browser.find_element(By.CSS_SELECTOR, "tr.x").find_elements(By.TAG_NAME, "td")[5].text == (
        "UnableToFindSecurityHeaderInMessage"
    )
    assert browser.find_element(By.ID, f"exchange-{tampered.id}").is_displayed()
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.x")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", rows[1])
    rows[1].click()  # clicking the opened row closes it
    _wait(browser, lambda d: not d.find_elements(By.ID, f"exchange-{tampered.id}"))


def test_page_filters_deep_link_and_no_external_assets(mockwcf_server, browser):
    mockwcf_server.load(SCENARIOS / "username-over-http.yaml")
    wss.post(mockwcf_server.url, wss.envelope(wss.security(wss.username_token(), wss.timestamp(shift=900))))
    future = mockwcf_server.assert_fault("TimeStampHasCreationTimeInFuture")
    wss.post(mockwcf_server.url, wss.envelope(wss.security(wss.timestamp(), wss.username_token())))
    # a deep link opens the exchange server-side; the filter keeps only rejections
    browser.get(f"{mockwcf_server.base_url}/_mockwcf/?verdict=rejected&open={future.id}")
    assert [r.get_attribute("data-id") for r in browser.find_elements(By.CSS_SELECTOR, "tr.x")] == [
        str(future.id)
    ]
    mark = browser.find_element(By.CSS_SELECTOR, f"#culprit-{future.id}")
    assert mark.text.startswith("<wsu:Timestamp") and "<wsu:Created>" in mark.text
    assert "[redacted: 8 characters]" in browser.find_element(By.ID, f"exchange-{future.id}").text
    # everything the page uses is inline (no src/href to another resource), and the policy says so
    html = requests.get(mockwcf_server.base_url + "/_mockwcf/", timeout=10)
    csp = html.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert " src=" not in html.text and "<link" not in html.text
    logs = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert logs == []  # no script error, no CSP violation


def test_page_escapes_what_clients_sent(mockwcf_server):
    """The journal holds attacker-shaped input: markup in a request shows as text, never as markup."""
    hostile = wss.envelope(
        body='<Echo xmlns="http://tempuri.org/"><text>&lt;script&gt;alert(1)&lt;/script&gt;</text></Echo>'
    )
    requests.post(
        mockwcf_server.url,
        data=hostile.encode(),
        headers={"Content-Type": "text/xml", "SOAPAction": '"<img src=x onerror=alert(1)>"'},
        timeout=10,
    )
    entry = mockwcf_server.last()
    fragment = page.detail(entry)
    assert "<script>" not in fragment and "<img" not in fragment
    assert "&lt;img src=x onerror=alert(1)&gt;" in fragment


def test_page_renders_the_newest_rows_of_a_full_journal(mockwcf_server):
    with requests.Session() as http:
        for _ in range(page.ROWS + 5):
            http.get(mockwcf_server.base_url + "/nowhere", timeout=10)
        html = http.get(mockwcf_server.base_url + "/_mockwcf/", timeout=10).text
        rows = http.get(mockwcf_server.base_url + "/_mockwcf/page/rows?after=0&verdict=rejected", timeout=10)
    assert html.count('<tr class="x rejected"') == page.ROWS
    assert f"{page.ROWS + 5}</span> exchange(s) kept · the newest {page.ROWS} shown" in html
    assert rows.text.count('<tr class="x rejected"') == page.ROWS + 5
    assert rows.headers["X-MockWcf-Count"] == str(page.ROWS + 5)


def test_page_rows_refuses_an_after_that_is_not_an_id(mockwcf_server):
    resp = requests.get(mockwcf_server.base_url + "/_mockwcf/page/rows?after=x", timeout=10)
    assert resp.status_code == 400
    assert resp.json()["problems"] == ["after: 'x' is not an exchange id (a number)"]

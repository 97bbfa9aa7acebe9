"""The county office's day in a real browser: Debian's chromium, headless, driven by selenium
through Debian's chromedriver (nothing downloaded at test time), against a real server holding
a laptop's synced work. Sign in (a wrong password first), read the 总览 figures, open an
evaluation with its photos, return it with a comment, assign three units from a hold-back list,
sign out; another station's evaluation and a form without its token are refused."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from fieldapp.server import figures
from fieldapp.server import models as sm
from fieldapp.server.accounts import caller_of
from tests.integration import test_sync_support as support
from tests.integration.console_support import PASSWORD, County, build_county
from tests.integration.test_sync_support import LiveServer

server_config, live, demo_cache = support.server_config, support.live, support.demo_cache

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (scripts/system-packages.sh installs them)",
)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'server.sqlite3'}"  # the pages are the same on PostgreSQL


@pytest.fixture
def county(live: LiveServer, tmp_path: Path, demo_cache: Path) -> County:
    return build_county(live, tmp_path, demo_cache)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1366,768",
        "--lang=zh-CN",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(10)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def _sign_in(driver: Any, url: str, name: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    d = driver
    d.get(url + "/")
    d.find_element(By.NAME, "name").clear()
    d.find_element(By.NAME, "name").send_keys(name)
    d.find_element(By.NAME, "password").send_keys(password)
    d.find_element(By.CSS_SELECTOR, "form button.primary").click()


def test_the_county_office_reviews_and_assigns_in_a_browser(
    county: County, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    d = browser
    url = county.live.url
    shots = tmp_path / "screenshots"
    shots.mkdir()

    _sign_in(d, url, "李所长", "not-the-password")
    assert "姓名或密码不对" in d.find_element(By.CSS_SELECTOR, ".error").text
    _sign_in(d, url, "李所长", PASSWORD)
    # The click posts the form; wait for the redirect's page rather than read the old address.
    WebDriverWait(d, 30).until(lambda drv: drv.current_url.endswith("/overview"))

    # 总览: the station's target and achieved figures, as the API's fold counts them.
    with county.live.db().session() as session:
        head = session.scalar(select(sm.Account).where(sm.Account.name == "李所长"))
        assert head is not None
        report, _plan = figures.figures(session, caller_of(head), date.today().year)
    row = d.find_element(
        By.XPATH, f"//table[contains(@class,'chart')]//tr[td/a[text()='{county.station}']]"
    )
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    target = sum(c.target for c in report.cells if c.unit_type.group == "units")
    achieved = sum(c.achieved for c in report.cells if c.unit_type.group == "units")
    assert cells[1:3] == [str(target), str(achieved)], cells
    d.save_screenshot(str(shots / "overview.png"))

    # 审核: open an evaluation; its photo thumbnails load.
    d.find_element(By.LINK_TEXT, "审核").click()
    d.find_element(By.CSS_SELECTOR, "table.list tbody tr td a").click()
    WebDriverWait(d, 30).until(lambda drv: "/review/" in urlparse(drv.current_url).path)
    images = d.find_elements(By.CSS_SELECTOR, "ul.photos img")
    assert images, "the evaluation shows its photos"
    d.execute_script("arguments[0].scrollIntoView()", images[0])
    loaded = d.execute_script(
        "return Array.from(arguments[0]).every(i => i.complete && i.naturalWidth > 0)", images
    )
    assert loaded, "every thumbnail loaded"
    uuid = urlparse(d.current_url).path.rsplit("/", 1)[-1]
    d.find_element(By.NAME, "comment").send_keys("缺营业执照照片，请补拍后重新提交")
    d.find_element(By.CSS_SELECTOR, "button.warn[value='returned']").click()
    assert "已退回" in d.find_element(By.CSS_SELECTOR, "p.ok").text
    with county.live.db().session() as session:
        row_ = session.get(sm.Evaluation, uuid)
        assert row_ is not None and row_.review_status == "returned"
        assert row_.reviewed_by == "李所长" and row_.review_comment.startswith("缺营业执照")

    # Another station's evaluation, typed into the address bar: refused.
    theirs = next(u for u, s in county.evaluations.items() if s == county.other)
    d.get(f"{url}/review/{theirs}")
    assert "无权访问" in d.find_element(By.TAG_NAME, "h1").text

    # A form whose token was taken out: refused, nothing written.
    mine = next(u for u, s in county.evaluations.items() if s == county.station and u != uuid)
    d.get(f"{url}/review/{mine}")
    d.execute_script(
        "document.querySelector(\"form[action^='/review/'] input[name=csrf]\").remove()"
    )
    d.find_element(By.CSS_SELECTOR, "button.primary[value='accepted']").click()
    assert "安全令牌" in d.find_element(By.CSS_SELECTOR, ".error").text
    with county.live.db().session() as session:
        kept = session.get(sm.Evaluation, mine)
        assert kept is not None and kept.review_status == "pending"

    # 暂缓清单: tick three units and assign them to an inspector.
    d.get(f"{url}/holdbacks")
    boxes = d.find_elements(By.CSS_SELECTOR, "input[type=checkbox][name=unit]")
    assert len(boxes) >= 3
    chosen = [b.get_attribute("value") for b in boxes[:3]]
    for box in boxes[:3]:
        box.click()
    Select(d.find_element(By.NAME, "inspector")).select_by_value("陈检查")
    d.save_screenshot(str(shots / "holdbacks.png"))
    d.find_element(By.CSS_SELECTOR, "form[action='/assign'] button.primary").click()
    assert "已把 3 家单位分派给 陈检查" in d.find_element(By.CSS_SELECTOR, "p.ok").text
    with county.live.db().session() as session:
        assigned = set(
            session.scalars(
                select(sm.Assignment.unit_uuid).where(sm.Assignment.inspector == "陈检查")
            )
        )
    assert set(chosen) <= assigned

    d.find_element(By.CSS_SELECTOR, "form.who button").click()
    assert d.find_element(By.NAME, "password")  # back at the sign-in page
    d.get(f"{url}/overview")
    WebDriverWait(d, 30).until(lambda drv: "/?next=" in drv.current_url)  # signed out

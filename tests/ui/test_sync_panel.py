"""Sync from the window against a real county server on loopback: the status indicator, the
dialog's progress and ledger, and a returned evaluation showing its comment in the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from fieldapp import settings
from fieldapp.storage.models import Evaluation
from fieldapp.store import Store
from fieldapp.ui.first_run import SettingsDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.sync_panel import SyncDialog
from fieldapp.ui.tasks import TaskRunner
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import LiveServer, add_account, demo_store

pytestmark = pytest.mark.gui

WAIT_MS = 60_000
server_config, demo_cache = support.server_config, support.demo_cache


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'server.sqlite3'}"


@pytest.fixture
def live(server_config: Any) -> Iterator[LiveServer]:
    server = LiveServer(server_config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def window(qtbot: Any, live: LiveServer, tmp_path: Path, demo_cache: Path) -> Iterator[MainWindow]:
    token = add_account(live.db(), "县局管理员", "县局", "county")
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=3)
    settings.save(
        folder,
        settings.Settings(inspector_name="张三", server_url=live.url, server_token=token),
    )
    store = Store.open(folder)
    runner = TaskRunner()
    main = MainWindow(store, runner)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.shutdown()
    store.close()


def sync_once(qtbot: Any, window: MainWindow) -> SyncDialog:
    dialog = window.open_sync()
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=WAIT_MS)
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: dialog.ledger.rowCount() > 0 and not window.runner.busy, timeout=WAIT_MS
    )
    return dialog


def test_sync_from_the_window_shows_status_and_ledger(qtbot: Any, window: MainWindow) -> None:
    indicator = window.sync_indicator
    qtbot.waitUntil(lambda: "待同步 3 份" in indicator.text.text(), timeout=WAIT_MS)
    assert "从未同步" in indicator.text.text()

    dialog = sync_once(qtbot, window)
    assert dialog.stage.text() == "同步完成"
    assert "上传评价 3/3 份（服务器已确认）" in dialog.summary.toPlainText()
    ledger = dialog.ledger.item(0, 2).text()
    assert ledger.startswith("3 份评价，") and "张照片" in ledger and "待传" not in ledger
    assert dialog.ledger.item(0, 3).text() == "已确认"
    qtbot.waitUntil(lambda: "待同步 0 份" in indicator.text.text(), timeout=WAIT_MS)
    assert "从未同步" not in indicator.text.text()
    dialog.close()


def test_a_returned_evaluation_comes_back_with_its_comment(
    qtbot: Any, window: MainWindow, live: LiveServer
) -> None:
    sync_once(qtbot, window).close()
    with window.store.read() as session:
        evaluation = session.scalars(select(Evaluation).order_by(Evaluation.id)).first()
        assert evaluation is not None
        target, evaluation_id, station = (
            evaluation.uuid,
            evaluation.id,
            evaluation.unit.station.name,
        )
    head = add_account(live.db(), "所长", station, "station")
    answer = requests.post(
        f"{live.url}/api/v1/evaluations/{target}/review",
        json={"status": "returned", "comment": "缺少营业执照照片，请补拍"},
        headers={"Authorization": f"Bearer {head}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text

    dialog = sync_once(qtbot, window)
    assert "缺少营业执照照片，请补拍" in dialog.returned.toPlainText()
    assert "被退回" in dialog.summary.toPlainText()
    dialog.close()
    qtbot.waitUntil(lambda: "被退回 1 份" in window.sync_indicator.text.text(), timeout=WAIT_MS)
    view = window.open_evaluation(evaluation_id)
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    # The reviewer's decision, name and comment in a banner over the evaluation...
    banner = view.review_banner
    assert banner.isVisible()
    assert "已退回" in banner.text() and "所长" in banner.text() and "请补拍" in banner.text()
    assert "修订" in banner.text()
    # ...and over its revision, which answers it.
    view.revise()
    qtbot.waitUntil(
        lambda: view.data is not None and view.data.replaces == evaluation_id, timeout=WAIT_MS
    )
    assert view.review_banner.isVisible()
    assert f"所修订的评价 {evaluation_id}" in view.review_banner.text()
    assert "请补拍" in view.review_banner.text() and "所长" in view.review_banner.text()


def test_without_a_server_the_dialog_says_how_to_set_one(
    qtbot: Any, tmp_path: Path, store: Any
) -> None:
    window = MainWindow(store, TaskRunner(synchronous=True))
    qtbot.addWidget(window)
    assert "未设置县局服务器" in window.sync_indicator.text.text()
    dialog = window.open_sync()
    assert "设置" in dialog.server.text() and "fieldapp sync --server" in dialog.server.text()
    assert not dialog.start_button.isEnabled()
    dialog.close()
    window.shutdown()


def test_a_record_of_another_station_is_listed_and_the_others_arrive(
    qtbot: Any, live: LiveServer, tmp_path: Path, demo_cache: Path
) -> None:
    folder = demo_store(tmp_path / "inspector", demo_cache, evaluations=3)
    with Store.open(folder) as store, store.read() as session:
        stations = [e.unit.station.name for e in session.scalars(select(Evaluation))]
    mine = stations[0]
    token = add_account(live.db(), "张三", mine, "inspector")
    settings.save(
        folder, settings.Settings(inspector_name="张三", server_url=live.url, server_token=token)
    )
    store = Store.open(folder)
    runner = TaskRunner()
    main = MainWindow(store, runner)
    qtbot.addWidget(main)
    main.show()
    try:
        dialog = sync_once(qtbot, main)
        summary = dialog.summary.toPlainText()
        arrived = stations.count(mine)
        assert f"上传评价 {arrived}/3 份（服务器已确认）" in summary, summary
        others = len(stations) - arrived
        assert others > 0, stations  # the demo spreads its evaluations over stations
        assert summary.count("无权访问") >= others and "其他记录照常上传" in summary
        assert dialog.stage.text() == "同步完成"
        dialog.close()
    finally:
        main.shutdown()
        store.close()


# --- 测试连接 in 设置 and the wizard -----------------------------------------------------------


def test_test_connection_names_the_account_and_chooses_its_station(
    qtbot: Any, live: LiveServer
) -> None:
    token = add_account(live.db(), "张三", "五云所", "inspector")
    runner = TaskRunner()
    dialog = SettingsDialog(settings.Settings(inspector_name="张三"), ["舒洪所"], runner=runner)
    qtbot.addWidget(dialog)
    try:
        check = dialog.server.check
        assert check is not None
        dialog.server_url.setText(live.url)
        dialog.server_token.setText("wrong-token")
        check.button.click()
        qtbot.waitUntil(lambda: "连接失败" in check.answer.text(), timeout=WAIT_MS)
        assert "令牌" in check.answer.text()
        assert dialog.station.currentData() == ""

        dialog.server_token.setText(token)
        check.button.click()
        qtbot.waitUntil(lambda: "连接成功" in check.answer.text(), timeout=WAIT_MS)
        assert "张三" in check.answer.text() and "五云所" in check.answer.text()
        assert dialog.station.currentData() == "五云所"  # the server's station, chosen
        assert dialog.value().station == "五云所"
    finally:
        runner.shutdown()

"""A process killed mid-evaluation loses nothing it reported as saved, and the draft continues."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fieldapp import paths
from fieldapp.imports.units import import_units
from fieldapp.photos import prepare
from fieldapp.services import evaluations as ev
from fieldapp.services import units as unit_service
from fieldapp.store import Store

SHOP = "92331122MA2A00018H"
PHOTO = Path(__file__).resolve().parents[1] / "data" / "photos" / "Landscape_6.jpg"
KILL_AFTER = 10

SCRIPT = textwrap.dedent(
    """
    import sys
    from fieldapp.services import evaluations as ev
    from fieldapp.services import units as unit_service
    from fieldapp.store import Store

    folder, photo = sys.argv[1], sys.argv[2]
    store = Store.open(folder)
    with store.session() as session:
        unit = unit_service.by_code(session, "92331122MA2A00018H")
        evaluation_id = ev.start(session, store.library, unit, "post_evaluation", "张三").id
    print("started", evaluation_id, flush=True)
    with store.read() as session:
        evaluation = ev.get(session, evaluation_id)
        refs = [
            f"{c.id}:{i.code}"
            for c in ev.checklists_of(session, store.library, evaluation)
            for i in c.items
            if not i.same_as  # answered through the items it is the same as
        ]
    for n, ref in enumerate(refs, start=1):
        with store.session() as session:
            evaluation = ev.get(session, evaluation_id)
            ev.answer(session, store.library, evaluation, ref, "pass")
        print("answered", ref, flush=True)
        if n == 5:
            with store.session() as session:
                evaluation = ev.get(session, evaluation_id)
                ev.attach(session, store.photos, evaluation, [photo], ref, library=store.library)
            print("attached", ref, flush=True)
    print("done", flush=True)
    sys.stdin.read()  # wait to be killed
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_mid_evaluation(isolated_data_dir: Path, data_path: Path) -> None:
    with Store.open(isolated_data_dir, create=True) as store, store.session() as session:
        import_units(session, data_path / "units-sample.csv", actor="测试")

    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(isolated_data_dir), str(PHOTO)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert process.stdout is not None
    answered: list[str] = []
    attached: list[str] = []
    evaluation_id = 0
    try:
        for line in process.stdout:
            word, _, rest = line.strip().partition(" ")
            if word == "started":
                evaluation_id = int(rest)
            elif word == "answered":
                answered.append(rest)
            elif word == "attached":
                attached.append(rest)
            elif word == "done":
                break
            if len(answered) >= KILL_AFTER:
                break
    finally:
        process.send_signal(signal.SIGKILL)
        _, err = process.communicate()
    assert process.returncode == -signal.SIGKILL, err
    assert evaluation_id and len(answered) == KILL_AFTER and len(attached) == 1, err

    database = paths.database_path(isolated_data_dir)
    with sqlite3.connect(database) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    sha = prepare(PHOTO).sha256
    with Store.open(isolated_data_dir) as store:
        with store.read() as session:
            evaluation = ev.get(session, evaluation_id)
            saved = {f"{a.checklist_id}:{a.item_code}" for a in evaluation.answers}
            assert set(answered) <= saved
            assert [(f"{p.checklist_id}:{p.item_code}", p.sha256) for p in evaluation.photos] == [
                (attached[0], sha)
            ]
            assert evaluation.status == "draft"
        assert store.photos.verify(sha)  # kept by the start-up sweep
        with store.session() as session:  # the draft can continue
            evaluation = ev.get(session, evaluation_id)
            missing_before = len(ev.missing(session, store.library, evaluation))
            unanswered = next(
                f"{c.id}:{i.code}"
                for c in ev.checklists_of(session, store.library, evaluation)
                for i in c.items
                if f"{c.id}:{i.code}" not in saved and not i.same_as
            )
            ev.answer(session, store.library, evaluation, unanswered, "na")
            assert len(ev.missing(session, store.library, evaluation)) == missing_before - 1
        with store.read() as session:
            assert unit_service.by_code(session, SHOP).name == "缙云县五云好又多超市"

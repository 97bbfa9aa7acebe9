"""``fieldapp demo --evaluations``: finalized 后评价 with photos and signatures, via the service."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from fieldapp.cli import main
from fieldapp.services import demo
from fieldapp.storage.models import Evaluation
from fieldapp.store import Store

PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"


def test_synthetic_images(tmp_path: Path) -> None:
    rng = random.Random(1)
    with Image.open(demo.synthetic_photo(tmp_path / "a.jpg", "B1a", rng)) as img:
        assert (img.format, img.size) == ("JPEG", (800, 600))
    with Image.open(demo.signature_png(tmp_path / "s.png", rng)) as img:
        assert img.format == "PNG"


def test_demo_makes_finalized_evaluations(capsys, isolated_data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert main(["demo", "--units", "40", "--evaluations", "6", "--seed", "7"]) == 0
    captured = capsys.readouterr()
    assert "演示评价：已定稿 6 次后评价" in captured.out
    assert "生成演示评价" in captured.err
    with Store.open(isolated_data_dir) as store, store.read() as session:
        found = list(session.scalars(select(Evaluation)))
        assert len(found) == 6
        for evaluation in found:
            assert evaluation.status == "finalized" and evaluation.kind == "post_evaluation"
            assert {s.role for s in evaluation.signatures} == {"inspector", "unit"}
            assert evaluation.photos and all(
                store.photos.verify(p.sha256) for p in evaluation.photos
            )
            fails = [a for a in evaluation.answers if a.result == "fail"]
            assert len(fails) <= 1 and all(a.rectify and a.due for a in fails)


def test_demo_with_photo_folder(capsys, isolated_data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    argv = ["demo", "--units", "20", "--evaluations", "2", "--photos", str(PHOTOS)]
    assert main(argv) == 0
    with Store.open(isolated_data_dir) as store, store.read() as session:
        names = {p.original_name for e in session.scalars(select(Evaluation)) for p in e.photos}
        assert names and names <= {p.name for p in PHOTOS.iterdir()}
    assert main(["demo", "--units", "5", "--photos", "/nonexistent"]) == 2
    assert main(["demo", "--units", "5", "--evaluations", "-1"]) == 2

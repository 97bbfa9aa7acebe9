"""The long side photos are stored at is a setting (default 2048 px), used by every way in."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from fieldapp import settings
from fieldapp.cli import main
from fieldapp.services import evaluations as ev
from fieldapp.store import Store

SHOP = "92331122MA2A00018H"


def test_default_is_2048_and_bounds_are_checked() -> None:
    assert settings.Settings().photo_long_side == 2048
    with pytest.raises(ValueError):
        settings.Settings(photo_long_side=10)


def test_cli_attach_uses_the_setting(
    store: Store, data_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.jpg"
    Image.new("RGB", (1600, 1200), (180, 40, 40)).save(big, quality=90)
    settings.save(store.folder, settings.Settings(inspector_name="张三", photo_long_side=800))
    assert main(["units", "import", str(data_path / "units-sample.csv")]) == 0
    assert (
        main(["evaluations", "new", "--inspector", "张三", "--unit", SHOP, "--kind", "routine"])
        == 0
    )
    evaluation_id = int(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["evaluations", "attach", str(evaluation_id), str(big)]) == 0
    with store.read() as session:
        (photo,) = ev.get(session, evaluation_id).photos
        assert max(photo.width, photo.height) == 800
        sha = photo.sha256
    with Image.open(store.photos.path(sha)) as stored:
        assert max(stored.size) == 800


def test_settings_refuse_what_they_cannot_hold_and_load_survives_a_damaged_file(
    tmp_path: Path,
) -> None:
    """Each setting is checked where it is made (a wrong kind, a bound, a choice); a damaged or
    foreign settings.json gives the defaults, and a newer version's extra keys are ignored."""
    import json

    from fieldapp.domain.events import Role

    for bad in (
        {"backup_keep": 0},
        {"backup_keep": True},
        {"photo_long_side": "2048"},
        {"language": "fr"},
        {"role": "admin"},
        {"inspector_name": 7},
    ):
        with pytest.raises(ValueError, match="设置"):
            settings.Settings(**bad)
    with pytest.raises(ValueError, match="没有这些设置"):
        settings.Settings().replace(colour="red")
    chosen = settings.Settings(inspector_name="王芳", role=Role.COUNTY).replace(backup_keep=3)
    settings.save(tmp_path, chosen)
    assert settings.load(tmp_path) == chosen
    stored = json.loads((tmp_path / settings.SETTINGS_FILE).read_text("utf-8"))
    assert stored["role"] == "county" and stored["inspector_name"] == "王芳"
    (tmp_path / settings.SETTINGS_FILE).write_text(
        json.dumps({**stored, "from_a_newer_version": 1}), "utf-8"
    )
    assert settings.load(tmp_path) == chosen
    for damaged in ("{", "[]", '{"backup_keep": -1}'):
        (tmp_path / settings.SETTINGS_FILE).write_text(damaged, "utf-8")
        assert settings.load(tmp_path) == settings.Settings()

from pathlib import Path

import pytest

from fieldapp import paths


def test_environment_variable_sets_the_data_dir(isolated_data_dir: Path) -> None:
    assert paths.data_dir() == isolated_data_dir.resolve()
    assert isolated_data_dir.is_dir()


def test_explicit_dir_wins(tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere"
    assert paths.data_dir(chosen) == chosen.resolve()


def test_platform_default_without_configuration(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("FIELDAPP_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.data_dir() == (tmp_path / "xdg" / "fieldapp").resolve()


def test_resource_path_points_into_resources() -> None:
    assert paths.resource_path("fonts").parent.name == "resources"

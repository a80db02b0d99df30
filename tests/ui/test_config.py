"""The till's settings file in its data folder: read when valid, ignored (with defaults) when not."""

from __future__ import annotations

from pathlib import Path

from desktop.config import SETTINGS_FILE, TillSettings


def test_settings_are_read_from_the_data_folder(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_text('{"idle_lock_minutes": 1.5, "device_name": "Till 2", "unknown": 1}')

    settings = TillSettings.load(tmp_path)

    assert (settings.idle_lock_minutes, settings.device_name) == (1.5, "Till 2")


def test_a_broken_settings_file_falls_back_to_the_defaults(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_text("{not json")

    assert TillSettings.load(tmp_path) == TillSettings()


def test_no_settings_file_means_the_defaults(tmp_path: Path) -> None:
    assert TillSettings.load(tmp_path).idle_lock_minutes == TillSettings().idle_lock_minutes


def test_a_setting_of_the_wrong_type_is_ignored(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_text('{"idle_lock_minutes": "soon", "full_screen": true}')

    settings = TillSettings.load(tmp_path)

    assert settings.idle_lock_minutes == TillSettings().idle_lock_minutes
    assert settings.full_screen is True

"""Configuration: embedded defaults, the documented example, clear errors for bad files."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kiosk.config import DEFAULTS, ConfigError, load_config, make_config

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_the_kiosk_runs_with_no_config_file(monkeypatch):
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    config = load_config(None)
    assert config.language == "fr" and config["currency"]["units_per_hour"] == 10
    assert config["printer"]["kind"] == "preview"
    assert config["kiosk"]["host"] == "127.0.0.1" and config["kiosk"]["port"] == 8080


def test_the_example_documents_every_key_with_its_default():
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert example == DEFAULTS
    text = EXAMPLE.read_text(encoding="utf-8")
    for keys in DEFAULTS.values():
        for key in (key for key, value in keys.items() if not isinstance(value, dict)):
            # each key has a comment line somewhere above it in its section
            assert f"\n{key} = " in text, key


def test_kiosk_config_points_to_a_file(tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text(
        '[building]\nname = "Les Lilas"\n[currency]\ncredit_floor = -50\n', encoding="utf-8"
    )
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    config = load_config()
    assert config["building"]["name"] == "Les Lilas"
    assert config.amount("credit_floor") == -5000
    assert config["currency"]["credit_ceiling"] == 300  # untouched keys keep their default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[kiosk]\nlanguage = 'de'\n", "[kiosk] language must be one of fr, en"),
        (
            "[kiosk]\ntimezone = 'Mars/Olympus'\n",
            "[kiosk] timezone 'Mars/Olympus' is not a known time zone",
        ),
        (
            "[currency]\nunits_per_hour = 'ten'\n",
            "[currency] units_per_hour must be a whole number",
        ),
        ("[currency]\ncredit_floor = 10\n", "[currency] credit_floor must be 0 or below"),
        ("[printer]\nkind = 'fax'\n", "[printer] kind must be one of"),
        ("[printer]\npaper_width_mm = 70\n", "paper_width_mm must be 58 or 80"),
        ("[receipts]\nshow_balances = 'yes'\n", "must be true or false"),
        ("[nonsense]\nx = 1\n", "unknown section [nonsense]"),
        ("[kiosk]\ncolour = 'red'\n", "unknown key 'colour' in [kiosk]"),
        ("[kiosk\n", "is not valid TOML"),
    ],
)
def test_a_bad_config_file_names_the_key_and_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_a_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_paths_default_under_the_data_dir(tmp_path):
    config = make_config({"storage": {"data_dir": str(tmp_path)}})
    assert config.database_path == tmp_path / "kiosk.sqlite3"
    assert config.secret_key_path == tmp_path / "secret_key"
    assert config.preview_dir == tmp_path / "previews"

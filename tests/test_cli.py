"""The `kiosk` command line: init, demo, add-resident, print-card, set-pin, rebuild, errors."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kiosk import store
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.residents import auth, residents


@pytest.fixture
def cli(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    run.config = load_config(path)
    return run


def test_init_creates_the_database_secret_key_and_first_admin(cli):
    result = cli(
        "init", "--admin-apartment", "a-001", "--admin-name", "Claire Petit", "--admin-pin", "4821"
    )
    assert result.exit_code == 0, result.output
    assert "Administrator added: Claire Petit (A-001)" in result.output
    assert cli.config.secret_key_path.stat().st_mode & 0o777 == 0o600
    pepper = cli.config.secret_key_path.with_name("pin_pepper")  # beside it, never in the db
    assert pepper.stat().st_mode & 0o777 == 0o600 and "PIN pepper" in result.output
    db = store.connect(cli.config.database_path)
    [claire] = residents.all_residents(db)
    assert claire.is_admin
    # running it again is harmless
    assert cli("init").exit_code == 0
    assert len(residents.all_residents(store.connect(cli.config.database_path))) == 1


def test_demo_builds_a_believable_building_once(cli):
    result = cli("demo", "--if-empty")
    assert result.exit_code == 0, result.output
    db = store.connect(cli.config.database_path)
    people = residents.all_residents(db)
    assert 28 <= len(people) <= 35
    assert len({p.apartment[:3] for p in people}) >= 8  # several floors and stairs
    assert store.scalar(db, "SELECT COUNT(*) FROM transfers") >= 80
    assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0
    months = store.scalar(db, "SELECT COUNT(DISTINCT substr(created_at, 1, 7)) FROM transfers")
    assert months >= 3
    assert "already has residents" in cli("demo", "--if-empty").output


def test_the_readme_order_init_then_demo_gives_the_demo_building_with_the_own_admin_pin(cli):
    """README: `kiosk init --admin-apartment A-001 --admin-name "Claire Petit"`, then
    `kiosk demo --if-empty`: the demo is added around the administrator init made, whose PIN
    stays the one chosen at init."""
    cli("init", "--admin-apartment", "A-001", "--admin-name", "Claire Petit", "--admin-pin", "4821")
    result = cli("demo", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "Demo building ready" in result.output
    db = store.connect(cli.config.database_path)
    people = residents.all_residents(db)
    assert 28 <= len(people) <= 35
    [claire] = [p for p in people if p.name == "Claire Petit"]
    assert claire.is_admin and claire.apartment == "A-001"
    auth.verify_pin(db, cli.config, claire.id, "4821")  # raises WrongPin otherwise
    assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0
    # once the building has exchanges, --if-empty leaves it alone
    assert "already has residents" in cli("demo", "--if-empty").output
    assert len(residents.all_residents(store.connect(cli.config.database_path))) == len(people)


def test_add_resident_then_print_card(cli):
    result = cli("add-resident", "B-204", "Jeanne Martin", "--pin", "2580")
    assert result.exit_code == 0 and "Member card queued" in result.output
    result = cli("print-card", "b-204")
    assert result.exit_code == 0 and "New card for Jeanne Martin" in result.output
    db = store.connect(cli.config.database_path)
    assert store.scalar(db, "SELECT COUNT(*) FROM print_jobs WHERE layout = 'member_card'") == 2


def test_the_volunteer_sets_a_pin_from_the_command_line(cli):
    """On a kiosk restored without its pepper file (or from the hub), nobody can log in to the
    admin pages: the volunteer sets their own PIN again from the command line."""
    cli("init", "--admin-apartment", "A-001", "--admin-name", "Claire Petit", "--admin-pin", "4821")
    result = cli("set-pin", "a-001", "--pin", "1357")
    assert result.exit_code == 0 and "New PIN set for Claire Petit" in result.output
    db = store.connect(cli.config.database_path)
    [claire] = residents.all_residents(db)
    auth.verify_pin(db, cli.config, claire.id, "1357")  # raises WrongPin otherwise


def test_bad_input_on_the_command_line_is_a_clear_message(cli):
    result = cli("add-resident", "B-204", "Jeanne", "--pin", "12")
    assert result.exit_code != 0 and "4 à 6 chiffres" in result.output
    result = cli("print-card", "Z-999")
    assert result.exit_code != 0 and "nobody" in result.output


def test_a_bad_config_file_is_named(tmp_path, monkeypatch):
    path = tmp_path / "bad.toml"
    path.write_text("[currency]\ncredit_floor = 'low'\n", encoding="utf-8")
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code != 0
    assert "configuration error" in result.output and "[currency] credit_floor" in result.output


def test_rebuild_replays_the_log(cli, tmp_path):
    cli("demo")
    result = cli("rebuild", str(tmp_path / "rebuilt.sqlite3"))
    assert result.exit_code == 0 and "identical" in result.output


def test_every_command_has_an_example_in_its_help(cli):
    for name, command in main.commands.items():
        assert "Example" in (command.help or ""), f"kiosk {name} has no example in its help"

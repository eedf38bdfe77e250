"""Upgrades from every earlier schema level: the kiosks and the hub of each level, made by that
level's own code (make_fixtures.py, run by hand), holding a demo building's exchanges, a board
post and a project, a voucher redeemed at two kiosks while offline, a kiosk restored from the
hub, open with today's code. Each kiosk passes `kiosk check-db`, its projections equal a rebuild
from its log and its balances sum to zero; the hub upgrades, judges the voucher redeemed twice
once, and serves its events to the upgraded kiosks, which converge."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from app_fixtures import make_test_config
from click.testing import CliRunner
from sync_fixtures import FaultyNetwork, Hub, Kiosk, sync_until_quiet

from kiosk import cli_ops, store
from kiosk.store import keys
from kiosk.vouchers import reports as voucher_reports
from kiosk.vouchers import vouchers
from sync.hub.app import create_hub_app
from sync.hub.schema import connect_hub
from sync.hub.schema import migrations as hub_migrations
from sync.hub.vouchers import VERDICT_TYPE

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LEVELS = sorted(path for path in FIXTURES.iterdir() if (path / "manifest.json").exists())
KIOSKS = ("tilleuls", "hall", "lilas", "restored")


def manifest(level: Path) -> dict:
    return json.loads((level / "manifest.json").read_text(encoding="utf-8"))


def unpack(level: Path, name: str, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(level / f"{name}.sqlite3.gz") as packed, target.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return target


def kiosk_of(level: Path, name: str, tmp_path: Path, **sync) -> Kiosk:
    """The level's kiosk ``name`` in a data folder of its own, with its signing key."""
    building = manifest(level)["nodes"][name]["building"]
    config = make_test_config(tmp_path / name, building={"name": building}, sync=sync)
    unpack(level, name, config.database_path)
    if (level / f"{name}.key").exists():
        keys.key_path(config).write_bytes((level / f"{name}.key").read_bytes())
        keys.key_path(config).chmod(0o600)
    return Kiosk(name=name, config=config, db=None)


def check_db(config, *args: str) -> str:
    result = CliRunner().invoke(cli_ops.main, ["check-db", *args], obj={"config": config})
    assert result.exit_code == 0, result.output
    return result.output


def assert_sound(kiosk: Kiosk, tmp_path: Path) -> None:
    """What a volunteer checks after an upgrade, and what the books must say."""
    assert "Schema: up to date." in check_db(kiosk.config)
    rebuilt = store.rebuild(kiosk.db, tmp_path / f"{kiosk.name}-rebuilt-{id(kiosk)}.sqlite3")
    assert store.projection_snapshot(rebuilt) == store.projection_snapshot(kiosk.db)
    rebuilt.close()
    assert (store.scalar(kiosk.db, "SELECT COALESCE(SUM(balance), 0) FROM accounts") or 0) == 0
    if store.scalar(kiosk.db, "SELECT COUNT(*) FROM vouchers"):
        assert voucher_reports.circulation_check(kiosk.db).ok
        # Codes printed before secret codes are kept nowhere once upgraded: not in the
        # vouchers table, not in the jobs that printed them (kiosk/vouchers/codes.py).
        assert "qr" not in kiosk.db["vouchers"].columns_dict
        printed = store.query(
            kiosk.db,
            "SELECT payload FROM print_jobs WHERE layout = 'voucher' AND state = 'done'",
        )
        for row in printed:
            payload = json.loads(row["payload"])
            assert payload["qr"] is None and payload["check_code"] is None


def test_there_is_one_fixture_per_level_and_the_oldest_has_no_hub():
    levels = [manifest(level) for level in LEVELS]
    assert len(levels) >= 10
    assert "hub" not in levels[0]["nodes"]  # the first release: a kiosk on its own
    kiosk_levels = {tuple(m["kiosk_level"]) for m in levels}
    hub_levels = {tuple(m["hub_level"]) for m in levels if m["hub_level"]}
    assert len(kiosk_levels) >= 10 and len(hub_levels) >= 6
    # The level of the crash: a hub from before the voucher registry holding a voucher
    # redeemed at two kiosks.
    assert any(
        m["hub_level"] == ["m001_hub"] and len(m.get("redeemed_at", [])) == 2 for m in levels
    )


@pytest.mark.parametrize("level", LEVELS, ids=lambda path: path.name)
def test_every_kiosk_of_an_earlier_level_upgrades_and_equals_a_rebuild_of_its_log(level, tmp_path):
    names = [name for name in KIOSKS if (level / f"{name}.sqlite3.gz").exists()]
    assert names
    for name in names:
        kiosk = kiosk_of(level, name, tmp_path)
        rehearsal = check_db(kiosk.config, "--try-migrations")  # what an upgrade runs first
        assert "rehearsed on a copy: ok." in rehearsal or "up to date" in rehearsal
        kiosk.db = store.connect(kiosk.config.database_path)  # the upgrade, as at a start
        try:
            assert_sound(kiosk, tmp_path)
        finally:
            kiosk.db.close()


HUB_LEVELS = [level for level in LEVELS if (level / "hub.sqlite3.gz").exists()]


@pytest.mark.parametrize("level", HUB_LEVELS, ids=lambda path: path.name)
def test_the_hub_of_an_earlier_level_upgrades_judges_once_and_serves_the_upgraded_kiosks(
    level, tmp_path
):
    facts = manifest(level)
    path = unpack(level, "hub", tmp_path / "hub" / "hub.sqlite3")
    db = connect_hub(path)  # the upgrade that crashed on "no column named facts"
    assert [m.name for m in hub_migrations.pending(db)] == []
    serial = facts.get("voucher", {}).get("serial")
    if serial and len(facts.get("redeemed_at", [])) == 2:
        verdicts = store.scalar(
            db,
            "SELECT COUNT(*) FROM events WHERE type = ? "
            "AND json_extract(body, '$.payload.serial') = ?",
            (VERDICT_TYPE, serial),
        )
        conflicts = store.scalar(db, "SELECT COUNT(*) FROM conflicts WHERE kind = 'voucher'")
        assert (verdicts, conflicts) == (1, 1)  # judged once, whatever the level
    held = store.scalar(db, "SELECT COUNT(*) FROM events")
    db.close()
    db = connect_hub(path)  # opening it again changes nothing
    assert store.scalar(db, "SELECT COUNT(*) FROM events") == held
    db.close()

    hub = Hub(path=path, network=FaultyNetwork(create_hub_app(path)))
    hub.start()
    live = [name for name in ("tilleuls", "lilas") if name in facts["nodes"]]
    if any(
        s["step"].startswith("hall is restored") and s["outcome"] == "done" for s in facts["steps"]
    ):
        live.append("restored")
    kiosks = [kiosk_of(level, name, tmp_path, hub_url=hub.url) for name in live]
    try:
        for kiosk in kiosks:
            kiosk.db = store.connect(kiosk.config.database_path)
        sync_until_quiet(kiosks, rounds=6)
        assert all(result.pulled >= 0 for kiosk in kiosks for result in kiosk.results)
        for kiosk in kiosks:
            assert_sound(kiosk, tmp_path)
        if serial:
            settled = {vouchers.get_voucher(k.db, serial).settled_origin for k in kiosks}
            assert len(settled) == 1 and None not in settled  # one winner, the same everywhere
    finally:
        for kiosk in kiosks:
            if kiosk.db is not None:
                kiosk.db.close()
        hub.stop()

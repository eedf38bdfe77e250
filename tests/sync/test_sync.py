"""Sync through a real hub: kiosks of one building share their events, neighbouring buildings
share only network events, private events never leave, clocks do not matter, a dead kiosk is
restored from the hub; the command line and the admin page."""

from __future__ import annotations

from urllib.error import HTTPError

import pytest
from app_fixtures import PIN, login, post, text_of
from click.testing import CliRunner
from sync_fixtures import dashboard, shared_events, shared_snapshot

from kiosk import clock, store
from kiosk.app import create_app
from kiosk.cli import main
from kiosk.ledger import exchanges
from kiosk.residents import residents
from kiosk.store.registry import Authority, EventType, PayloadCheck, registry
from sync import state as sync_state
from sync.enrolment import restore_from_hub
from sync.errors import (
    BackupTooOld,
    EventNotApplicable,
    HubRefused,
    HubUnreachable,
    SyncError,
    error_kind,
)
from sync.hub import dashboard as hub_dashboard
from sync.hub.kiosks import revoke
from sync.hub.refusals import HubRefusal
from sync.scheduler import runner_for

# The hub's core behaviour, on both of its stores (PostgreSQL: two hub apps, one database).
pytestmark = pytest.mark.both_stores


def a_small_building(kiosk):
    jeanne = residents.register(kiosk.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(kiosk.db, apartment="A-101", name="Paul Durand", pin=PIN)
    residents.issue_card(kiosk.db, jeanne.id, print_it=False)
    exchanges.record_exchange(
        kiosk.db,
        kiosk.config,
        payer_id=jeanne.id,
        payee_id=paul.id,
        description="Montage d'une étagère",
        minutes=90,
    )
    return jeanne, paul


def test_two_kiosks_of_one_building_share_their_building_events(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    a_small_building(a)
    a.sync()
    b.sync()
    a.sync()
    assert shared_events(a.db) == shared_events(b.db)
    assert shared_snapshot(a.db) == shared_snapshot(b.db)
    assert store.scalar(b.db, "SELECT balance FROM accounts WHERE label = 'A-101'") == 1500


def test_a_neighbouring_building_gets_network_events_only_and_private_events_never_leave(
    hub, make_kiosk
):
    tilleuls = make_kiosk("tilleuls", enrol_at=hub)
    lilas = make_kiosk("lilas", building="Les Lilas", enrol_at=hub)
    a_small_building(tilleuls)
    tilleuls.sync()
    lilas.sync()
    tilleuls.sync()
    assert store.scalar(lilas.db, "SELECT COUNT(*) FROM residents") == 0
    assert {r["building"] for r in store.query(lilas.db, "SELECT building FROM kiosk_keys")} == {
        "Résidence des Tilleuls",
        "Les Lilas",
    }
    assert shared_snapshot(lilas.db)["kiosk_keys"] == shared_snapshot(tilleuls.db)["kiosk_keys"]
    db = hub.db
    bodies = " ".join(r["body"] for r in store.query(db, "SELECT body FROM events"))
    assert "pin_hash" not in bodies and "token_hash" not in bodies
    assert (
        store.scalar(db, "SELECT COUNT(*) FROM events WHERE scope NOT IN ('building', 'network')")
        == 0
    )
    db.close()
    # the neighbours' kiosk was not asked to apply events of another building
    assert not store.query(
        lilas.db, "SELECT * FROM events WHERE scope = 'building' AND origin = ?", (tilleuls.origin,)
    )


def test_an_event_of_a_type_this_kiosk_does_not_know_is_kept_but_not_projected(
    hub, make_kiosk, monkeypatch
):
    # The hub and a kiosk run a newer version that declares a type this older kiosk's code
    # does not: the older kiosk stores it (signed by its kiosk, as any event), never projects
    # it (it can change nothing here). The hub itself refuses a type it does not declare
    # (tests/sync/test_sync_authority.py): upgrade the hub first.
    newer = make_kiosk("newer", enrol_at=hub)
    older = make_kiosk("older", building="Les Lilas", enrol_at=hub)
    newer_type = EventType(
        "board.offer_posted",
        scope="network",
        authority=Authority.ANY_KIOSK,
        about=None,
        payload=PayloadCheck(fields={"title": str}),
        projector=None,
    )
    monkeypatch.setitem(registry._types, newer_type.name, newer_type)  # the newer code
    with store.write(newer.db):
        store.record(newer.db, newer_type.name, {"title": "Cours de guitare", "neighbours": True})
    newer.sync()
    monkeypatch.delitem(registry._types, newer_type.name)  # the older kiosk's code
    older.sync()
    held = store.query_one(older.db, "SELECT * FROM events WHERE type = 'board.offer_posted'")
    assert held is not None and held["origin"] == newer.origin
    assert store.scalar(older.db, "SELECT COUNT(*) FROM refused_events") == 0


@pytest.mark.parametrize(
    "years", [(-56, 4), (0, 1 / 365), (4, -56)], ids=["1970-2030", "a-day-apart", "2030-1970"]
)
def test_kiosk_clocks_years_or_a_day_apart_do_not_matter(hub, make_kiosk, years):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    clock.shift(years[0] * 365.25 * 86400)
    a_small_building(a)
    a.sync()
    clock.reset()
    clock.shift(years[1] * 365.25 * 86400)
    jeanne = residents.register(b.db, apartment="C-301", name="Nouveau Voisin", pin=PIN)
    b.sync()
    a.sync()
    assert jeanne.id in {r["id"] for r in store.query(a.db, "SELECT id FROM residents")}
    assert shared_snapshot(a.db) == shared_snapshot(b.db)


def test_a_dead_kiosk_is_restored_from_the_hub_and_continues_its_numbering(hub, make_kiosk):
    old = make_kiosk("old", enrol_at=hub)
    neighbour = make_kiosk("neighbour", enrol_at=hub)
    jeanne, paul = a_small_building(old)
    residents.set_pin(old.db, paul.id, "9999")  # private: the last seqs are never sent
    old.sync()
    before = shared_snapshot(old.db)
    acked = old.state()["acked_seq"]
    # the SD card dies; a new card, an empty data folder, a restore code from the hub
    new = make_kiosk("new")
    new_db_events = store.scalar(new.db, "SELECT COUNT(*) FROM events")
    assert new_db_events == 1  # its own key, from the fixture: restore wants an empty database
    new.db.close()
    new.config.database_path.unlink()
    new.db = store.connect(new.config.database_path)
    result = restore_from_hub(
        new.db, new.config, hub.url, hub.enrol_code("", restore_origin=old.origin)
    )
    assert result.origin == old.origin and result.residents == 2
    assert store.kiosk_id(new.db) == old.origin
    restored = shared_snapshot(new.db)
    assert (
        restored["residents"] == before["residents"]
        and restored["transfers"] == before["transfers"]
    )
    assert restored["accounts"] == before["accounts"]
    # cards and PINs never left the old kiosk: everyone needs new ones
    assert [
        tuple(r) for r in store.query(new.db, "SELECT pin_hash, card_token_hash FROM credentials")
    ] == [(None, None)] * 2
    # the numbering continues above everything the hub acknowledged, marked in the log
    marker = store.query_one(new.db, "SELECT * FROM events WHERE type = 'kiosk.restored'")
    assert marker["seq"] == acked + 1
    exchanges.record_exchange(
        new.db, new.config, payer_id=paul.id, payee_id=jeanne.id, description="Courses", amount=500
    )
    new.sync()
    neighbour.sync()
    assert shared_snapshot(neighbour.db)["transfers"] == shared_snapshot(new.db)["transfers"]
    with pytest.raises(SyncError):  # the old key no longer works
        old.sync()


def test_restore_refuses_a_database_that_already_has_events(hub, make_kiosk):
    old = make_kiosk("old", enrol_at=hub)
    other = make_kiosk("other")
    with pytest.raises(SyncError, match="already has events"):
        restore_from_hub(
            other.db, other.config, hub.url, hub.enrol_code("", restore_origin=old.origin)
        )


def test_the_hub_dashboard_shows_buildings_lag_and_conflicts(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    make_kiosk("b", building="Les Lilas", enrol_at=hub)
    a_small_building(a)
    a.sync()
    a.sync()  # the hub learns what a's last page held (the hub's own events) at its next pull
    db = hub.db
    summary = hub_dashboard.dashboard(db)
    db.close()
    assert summary["buildings"] == ["Les Lilas", "Résidence des Tilleuls"]
    lilas = next(k for k in summary["kiosks"] if k["building"] == "Les Lilas")
    assert lilas["lag"] == 3  # a's public key, the hub's introductions of a's and b's keys
    tilleuls = next(k for k in summary["kiosks"] if k["origin"] == a.origin)
    assert tilleuls["lag"] == 0  # its own events never wait for it
    db = hub.db
    hub_dashboard.set_dashboard_password(db, "correct horse battery")
    db.close()
    page = dashboard(hub, "admin", "correct horse battery")
    assert "Les Lilas" in page and a.origin in page and "Conflicts" in page


def test_the_hub_dashboard_is_for_its_administrator_only(hub, make_kiosk):

    make_kiosk("a", enrol_at=hub)
    with pytest.raises(HTTPError) as locked:  # no password yet: closed, and says how to open it
        dashboard(hub)
    assert (
        locked.value.code == 403 and "kiosk hub dashboard-password" in locked.value.read().decode()
    )
    with pytest.raises(HTTPError) as locked_fr:
        dashboard(hub, language="fr")
    assert "n'a pas encore de mot de passe" in locked_fr.value.read().decode()
    db = hub.db
    with pytest.raises(HubRefusal, match="at least 10"):
        hub_dashboard.set_dashboard_password(db, "short")
    hub_dashboard.set_dashboard_password(db, "correct horse battery")
    assert "correct horse" not in str(
        store.query(db, "SELECT value FROM hub_settings")
    )  # a hash only
    db.close()
    for user, password in ((None, None), ("admin", "wrong password!"), ("admin", "")):
        with pytest.raises(HTTPError) as refused:
            dashboard(hub, user, password)
        assert refused.value.code == 401 and "Basic" in refused.value.headers["WWW-Authenticate"]
        assert "Résidence des Tilleuls" not in refused.value.read().decode()
    assert "Résidence des Tilleuls" in dashboard(hub, "anyone", "correct horse battery")
    french = dashboard(hub, "anyone", "correct horse battery", language="fr-FR,fr;q=0.9")
    assert '<html lang="fr">' in french and "Bornes" in french and "Dernier contact" in french
    assert '<html lang="en">' in dashboard(hub, "anyone", "correct horse battery", language="en-GB")


# --------------------------------------------------------------------------- command line


def test_the_command_line_enrols_syncs_revokes_and_restores(hub, make_kiosk, tmp_path, monkeypatch):
    def kiosk_cli(name, *args):
        path = tmp_path / f"{name}.toml"
        # The hub's administrator works where the hub keeps its key (PostgreSQL: its data folder)
        data_dir = hub.files.parent if name == "admin" and hub.files else tmp_path / name
        path.write_text(
            f'[storage]\ndata_dir = "{data_dir}"\n[sync]\nhub_database = "{hub.path}"\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("KIOSK_CONFIG", str(path))
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        return result

    result = kiosk_cli("admin", "hub", "dashboard-password", "--password", "correct horse battery")
    assert result.exit_code == 0 and "Dashboard password set" in result.output
    db = hub.db
    assert hub_dashboard.check_dashboard_password(db, "correct horse battery")
    db.close()
    result = kiosk_cli("admin", "hub", "enrol-code", "Résidence des Tilleuls")
    assert result.exit_code == 0, result.output
    code = result.output.split("Enrolment code: ")[1].split()[0]
    assert kiosk_cli("a", "init").exit_code == 0
    result = kiosk_cli("a", "enrol", hub.url, code)
    assert result.exit_code == 0 and "Enrolled" in result.output, result.output
    kiosk_cli("a", "add-resident", "B-204", "Jeanne Martin", "--pin", "2580", "--no-print-card")
    result = kiosk_cli("a", "sync")
    assert result.exit_code == 0 and "Waiting to be sent: 0" in result.output, result.output
    result = kiosk_cli("admin", "hub", "kiosks")
    assert "Résidence des Tilleuls" in result.output and "active" in result.output
    origin = result.output.split()[0]
    code = (
        kiosk_cli("admin", "hub", "enrol-code", "x", "--restore", origin)
        .output.split("code: ")[1]
        .split()[0]
    )
    assert kiosk_cli("admin", "hub", "revoke", origin).exit_code == 0
    result = kiosk_cli("a", "sync")
    assert result.exit_code != 0 and "revoked" in result.output
    result = kiosk_cli("b", "restore-from-hub", hub.url, code)
    assert result.exit_code == 0 and "1 residents" in result.output, result.output
    assert kiosk_cli("b", "sync").exit_code == 0  # the restore code lifted the revocation


def test_every_sync_command_has_an_example():
    hub_group = main.commands["hub"]
    for name, command in hub_group.commands.items():
        assert "Example" in (command.help or ""), f"kiosk hub {name} has no example"
    for name in ("enrol", "sync", "restore-from-hub", "hub"):
        assert "Example" in main.commands[name].help


# --------------------------------------------------------------------------- admin page


@pytest.fixture
def admin_client(hub, make_kiosk):
    kiosk = make_kiosk("web", enrol_at=hub)
    app = create_app(kiosk.config)
    app.config["TESTING"] = True
    client = app.test_client()
    admin = residents.register(
        kiosk.db, apartment="A-001", name="Claire Petit", pin=PIN, role="admin"
    )
    login(client, admin)
    client.kiosk = kiosk
    return client


def test_the_status_bar_shows_the_last_sync_and_events_waiting(admin_client):
    page = text_of(admin_client.get("/admin/sync/"))
    assert "Jamais" in page or "never" in page
    assert 'data-testid="status-sync"' in page and "à envoyer" in page
    admin_client.kiosk.sync()
    page = text_of(admin_client.get("/admin/sync/"))
    assert "Synchronisé" in page and "à envoyer" not in page


def test_sync_now_answers_at_once_even_when_the_hub_is_down(admin_client, hub):
    hub.stop()
    response = post(admin_client, "/admin/sync/now")
    assert response.status_code == 302
    runner_for(admin_client.kiosk.config).thread.join(10)
    page = text_of(admin_client.get("/admin/sync/"))
    assert "La dernière tentative a échoué" in page


def test_the_sync_page_says_what_to_do_about_each_kind_of_failure(admin_client, hub):
    kiosk = admin_client.kiosk
    db = hub.db
    revoke(db, kiosk.origin)  # refused: trying again will not help
    db.close()
    with pytest.raises(HubRefused):
        kiosk.sync()
    page = text_of(admin_client.get("/admin/sync/"))
    assert (
        "Le hub a refusé la dernière tentative de cette borne ; réessayer n'y changera rien" in page
    )
    assert (
        "tries again by itself" not in page and "revoked" in page
    )  # the detail stays, for support
    failures = {
        BackupTooOld("x"): "restaurée, hors de portée du hub, depuis une sauvegarde plus ancienne",
        EventNotApplicable(
            "x"
        ): "Un événement venu du hub ne peut pas être appliqué sur cette borne",
        HubUnreachable("x"): "La dernière tentative a échoué ; la borne continue de fonctionner",
    }
    for exc, sentence in failures.items():
        with store.write(kiosk.db):
            kiosk.db.execute(
                "UPDATE sync_state SET last_error = ?, last_error_kind = ? WHERE id = 1",
                [str(exc), error_kind(exc)],
            )
        assert sentence in text_of(admin_client.get("/admin/sync/"))


def test_an_admin_enrols_the_kiosk_from_the_page(hub, make_kiosk):
    kiosk = make_kiosk("fresh")
    app = create_app(kiosk.config)
    client = app.test_client()
    admin = residents.register(
        kiosk.db, apartment="A-001", name="Claire Petit", pin=PIN, role="admin"
    )
    login(client, admin)
    response = post(
        client, "/admin/sync/enrol", {"url": hub.url, "code": "WRONG-CODE"}, follow_redirects=True
    )
    assert "a refusé ce code" in text_of(response)
    typed_wrong = (
        "http://hub.example.org:99999",
        "https://",
        "http://[::1",
        "http://" + "a" * 5000,
        "http://<b>hub</b>",
    )
    for url in typed_wrong:  # typed wrong on the screen
        response = post(
            client, "/admin/sync/enrol", {"url": url, "code": "ABCD-EFGH"}, follow_redirects=True
        )
        assert response.status_code == 200 and "Vérifiez-la" in text_of(response)
    code = hub.enrol_code("Résidence des Tilleuls")
    response = post(
        client, "/admin/sync/enrol", {"url": hub.url, "code": code}, follow_redirects=True
    )
    assert "est maintenant reliée au hub" in text_of(response)
    assert sync_state.is_enrolled(kiosk.db)

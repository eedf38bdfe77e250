"""The hub's ``/health`` for monitoring: which store, which schema, the last event number, and
nothing a stranger may not see (no URL, no password, no path); 503 while the store cannot be
reached, and the hub answers again by itself once it is back (a PostgreSQL restarted under
two hub processes)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import psycopg
import pytest
from sync_fixtures import record_notes, sync_until_quiet

from kiosk import store
from sync.errors import SyncError
from sync.hub import schema, schema_pg

pytestmark = pytest.mark.both_stores


def health(hub, path: str = "/health") -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(hub.url + path, timeout=10) as answer:
            text = answer.read().decode()
            return answer.status, json.loads(text), text
    except urllib.error.HTTPError as exc:
        with exc:
            text = exc.read().decode()
            return exc.code, json.loads(text), text


def test_health_names_the_store_its_schema_and_the_last_event_and_no_secret(hub, make_kiosk):
    status, answer, text = health(hub)
    assert status == 200
    last = (
        schema_pg.MIGRATIONS[-1][0]
        if hub.store == "postgresql"
        else schema.migrations._migrations[-1].name
    )
    assert answer == {
        "ok": True,
        "store": hub.store,
        "schema": last,
        "schema_current": True,
        "last_hub_seq": 0,
    }
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    record_notes(a, 3)
    sync_until_quiet([a, b])
    db = hub.db
    try:
        held = store.scalar(db, "SELECT MAX(hub_seq) FROM events")
    finally:
        db.close()
    status, answer, text = health(hub, "/healthz")  # the kiosk's name for it works too
    assert status == 200 and answer["last_hub_seq"] == held > 0
    for secret in (
        "postgresql://",
        "postgres@",
        "127.0.0.1:",
        str(hub.files or hub.path),
        "hub.sqlite3",
        "key",
    ):
        assert secret not in text


def test_a_store_that_cannot_be_reached_is_a_503_until_it_is_back(hub, postgres_if_any):
    assert health(hub)[0] == 200
    if hub.store == "sqlite":
        db = hub.db
        db.execute("ALTER TABLE events RENAME TO events_gone")
        db.close()
        status, answer, text = health(hub)
        assert status == 503
        assert answer == {"ok": False, "store": "sqlite", "error": "store unreachable"}
        db = hub.db
        db.execute("ALTER TABLE events_gone RENAME TO events")
        db.close()
        assert health(hub)[0] == 200
        return
    # PostgreSQL restarted under the hub: every connection of both hub apps is cut, and no
    # new one is let in for a while.
    name = hub.path.rsplit("/", 1)[1]
    with psycopg.connect(postgres_if_any.url(), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        for _ in range(6):
            status, answer, text = health(hub)
            assert status == 503 and answer["store"] == "postgresql" and "5432" not in text
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
    answers = []
    while answers[-5:] != [200] * 5 and len(answers) < 30:
        answers.append(health(hub)[0])
    assert answers[-5:] == [200] * 5
    assert answers.count(503) <= 4  # at most one per connection lost (2 apps x 2 threads)


@pytest.fixture
def postgres_if_any(request, hub):
    return request.getfixturevalue("postgres") if hub.store == "postgresql" else None


def test_a_kiosk_syncs_again_after_the_store_came_back(hub, make_kiosk, postgres_if_any):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    record_notes(a, 2)
    sync_until_quiet([a, b])
    if hub.store == "postgresql":
        name = hub.path.rsplit("/", 1)[1]
        with psycopg.connect(postgres_if_any.url(), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [name],
            )
    record_notes(a, 2, start=10)
    for _ in range(5):  # a kiosk tries again at its next sync: a lost connection costs one
        try:
            sync_until_quiet([a, b])
            break
        except SyncError:
            continue
    assert store.scalar(b.db, "SELECT name FROM residents") == "Claire 11"

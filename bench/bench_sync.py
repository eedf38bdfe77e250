"""Benchmark (run by hand, not a test): push then pull N events through a hub on loopback.

    .venv/bin/python bench/bench_sync.py [--events 100000] [--batch-size N]

A fresh kiosk records N building events (not timed), pushes them to a hub running in its own
process (waitress on 127.0.0.1), and a second kiosk of the same building pulls them. Reported:
events per second of push, pull and both, against a raw SQLite bulk insert of the same rows
in the same run (goal: within 5x), and the peak memory (VmHWM) of the hub process and of this
kiosk process (goal: under 150 MB each). ``--batch-size`` defaults to the kiosk's own default
(``[sync] batch_size``), so the figures are those of a kiosk as shipped.

The baseline, as the issue defines it: the same rows (every shared event of the first kiosk,
read back from its log) inserted with one ``executemany`` in one transaction, WAL and
``synchronous=FULL`` like the kiosk, into a copy of the kiosk's ``events`` table (same columns,
AUTOINCREMENT, both UNIQUE keys) without its CHECK constraints. Also timed, for information:

- ``raw_multi_row_*``: the same rows with multi-row INSERTs of 512 rows (how sync inserts),
  much faster than the baseline; the goal is judged against the baseline as defined.
- ``storage_floor_vs_raw_insert``: the SQLite work sync cannot skip, in this process with no
  network, JSON, compression or signatures: the hub stores every batch (one commit each), then
  a kiosk inserts and projects every page (one commit each). What sync adds is the rest.

The cost of signatures (issue #15): each round also pushes then pulls the same events with
seals and their checks (as kiosks do) and without (``seal_events`` / ``check_signatures``
off), each through its own fresh hub, in turn first; ``signatures_vs_none`` is the ratio of
the two push-then-pull times (goal: under 1.30). Figures (100,000 events, batch 500, 3 rounds,
2 cores shared with other work): signed 11,800 events/s against 12,600 unsigned, median ratio
1.18 (rounds 1.07, 1.18, 1.40); push 1.08, pull 1.27. Checking each event's own signature
instead would cost about 100 µs an event (three times a whole unsigned push and pull): hence
one seal a batch, a digest an event.

Each of the ``--rounds`` rounds (default 5) has its own fresh hub, a copy of the kiosk recorded
once, a new second kiosk and its own baselines; medians are reported, with every round's
ratio. ``kiosk_sync_peak_mb`` is this process's peak during push and pull only (VmHWM reset
before); ``hub_peak_mb`` the hub process's peak over its life.

Figures (100,000 events, 2 noisy cores: one round's ratio ranged from 4.4x to 10x, so compare
medians of several runs). At the default batch of 500: push 34,000-52,000 events/s, pull
38,000-52,000, push then pull 19,000-26,000 events/s; medians of four 5-round runs 7.1x, 7.6x,
8.0x and 8.1x the baseline (7.1x and 7.7x at the final commit). The storage floor alone is
2.9-3.6x. The 5x goal is not met.
Peak memory: hub 51 MB, kiosk during sync 64-77 MB. The code as it was before orjson, the
kept connection, the bulk projector and the dropped hub index, run interleaved with it one
round at a time (9 rounds each): 7.5-11.7x (median 9.1x) against 6.5-9.7x (median 7.7x).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk import store
from kiosk.config import DEFAULTS, make_config
from kiosk.store import events as eventlog
from kiosk.store import keys
from kiosk.store.db import insert_multi_row
from sync import protocol
from sync.client import SyncClient
from sync.enrolment import enrol
from sync.hub.kiosks import create_enrol_code
from sync.hub.schema import connect_hub
from sync.hub.store import _insert_events

HUB_SCRIPT = """
import sys
from waitress import serve
from sync.hub.app import create_hub_app
serve(create_hub_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), threads=2, ident="bench-hub")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    """Start this process's peak memory (VmHWM) afresh (Linux: clear_refs 5); False if not."""
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def start_hub(path: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HUB_SCRIPT, str(path), str(port)], cwd=ROOT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the hub did not start")


def make_kiosk(folder: Path, name: str, batch_size: int):
    config = make_config(
        {
            "storage": {"data_dir": str(folder / name)},
            "sync": {"batch_size": batch_size, "timeout_seconds": 120},
        }
    )
    db = store.connect(config.database_path)
    keys.publish_public_key(db, config)
    return config, db


def record_events(db, count: int) -> None:
    with store.write(db):
        store.record(
            db,
            "resident.registered",
            {
                "resident_id": "r1",
                "apartment": "A-001",
                "name": "Claire Petit",
                "role": "admin",
                "status": "verified",
            },
        )
        for i in range(count - 1):
            store.record(db, "resident.updated", {"resident_id": "r1", "name": f"Claire {i}"})


RAW_INSERT = "INSERT INTO events (id, origin, seq, type, scope, payload, created_at)"
RAW_ROWS_PER_INSERT = 512  # as sync does (kiosk/store/events.py)


def raw_bulk_insert(rows: list[tuple], path: Path, *, multi_row: bool = False) -> float:
    """Seconds to insert ``rows`` in one transaction with one ``executemany`` (the baseline), or
    with multi-row INSERTs of 512 rows (the way sync now inserts; reported for information)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE events (local_id INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
        "origin TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, scope TEXT NOT NULL, "
        "payload TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (origin, seq))"
    )
    started = time.perf_counter()
    conn.execute("BEGIN")
    if multi_row:
        insert_multi_row(
            conn,
            RAW_INSERT,
            [value for row in rows for value in row],
            7,
            rows_per_insert=RAW_ROWS_PER_INSERT,
        )
    else:
        conn.executemany(RAW_INSERT + " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def storage_floor(db_a, folder: Path, batch_size: int) -> float:
    """Seconds of the SQLite work sync cannot skip, with no network, JSON, compression or
    signatures: the hub stores each batch (its table and keys, one commit a batch), then a
    kiosk inserts and projects each page (one commit a page). Rows and bodies are made before
    the clock starts."""
    shared = [
        eventlog.Event.from_row(row)
        for row in store.query(db_a, "SELECT * FROM events WHERE scope <> 'private' ORDER BY seq")
    ]
    origin = shared[0].origin
    bodies = [protocol.canonical_json(protocol.event_to_wire(e)) for e in shared]
    hub_rows = [
        (
            e.id,
            e.origin,
            e.seq,
            e.type,
            e.scope,
            "Bench",
            body,
            hashlib.sha256(body.encode()).hexdigest(),
            "2026-01-01T00:00:00Z",
            None,  # no seal
        )
        for e, body in zip(shared, bodies, strict=True)
    ]
    pages = [
        (shared[i : i + batch_size], eventlog.insert_values(shared[i : i + batch_size]))
        for i in range(0, len(shared), batch_size)
    ]
    hub_db = connect_hub(folder / "floor-hub.sqlite3")
    hub_db.execute(
        "INSERT INTO kiosks (origin, building, public_key, enrolled_at) VALUES (?, 'Bench', '', '')",
        [origin],
    )
    kiosk_db = store.connect(folder / "floor-kiosk.sqlite3")
    started = time.perf_counter()
    for i in range(0, len(hub_rows), batch_size):
        with store.write(hub_db):
            _insert_events(hub_db.conn, hub_rows[i : i + batch_size])
            hub_db.conn.execute(
                "UPDATE kiosks SET acked_seq = ? WHERE origin = ?", (hub_rows[i][2], origin)
            )
    for events, values in pages:
        with store.write(kiosk_db):
            eventlog.apply_foreign_many(kiosk_db, events, values)
            kiosk_db.conn.execute(
                "UPDATE sync_state SET pull_cursor = ? WHERE id = 1", (events[-1].seq,)
            )
    elapsed = time.perf_counter() - started
    hub_db.close()
    kiosk_db.close()
    return elapsed


def push_then_pull(
    template: Path, folder: Path, batch_size: int, *, signatures: bool
) -> tuple[float, float, int, int, int, float, float]:
    """A fresh hub in its own process, a copy of the recorded kiosk and a new kiosk of the
    same building; push then pull, timed: (push s, pull s, pushed, received, applied, hub peak
    MB, kiosk peak MB). ``signatures``: seal the pushed batches and check every pulled event's
    seal, as kiosks do; without, neither (the cost of verification is the difference)."""
    folder.mkdir()
    shutil.copytree(template, folder / "a")
    hub_path = folder / "hub.sqlite3"
    connect_hub(hub_path).close()
    port = free_port()
    hub = start_hub(hub_path, port)
    try:
        url = f"http://127.0.0.1:{port}"
        config_a, db_a = make_kiosk(folder, "a", batch_size)
        config_b, db_b = make_kiosk(folder, "b", batch_size)
        hub_db = connect_hub(hub_path)
        for config, db in ((config_a, db_a), (config_b, db_b)):
            enrol(db, config, url, create_enrol_code(hub_db, config["building"]["name"]))
        hub_db.close()
        measured = reset_peak()  # what push and pull hold, not the baselines' rows
        pusher, puller = SyncClient(db_a, config_a), SyncClient(db_b, config_b)
        pusher.seal_events = puller.check_signatures = signatures
        started = time.perf_counter()
        pushed = pusher.push()
        push_seconds = time.perf_counter() - started
        started = time.perf_counter()
        received, applied = puller.pull()
        pull_seconds = time.perf_counter() - started
        if puller.refused_events:
            raise SystemExit(f"{puller.refused_events} events refused for their signature")
        hub_peak = peak_mb(hub.pid)
        kiosk_peak = peak_mb() if measured else float("nan")
        db_a.close()
        db_b.close()
    finally:
        hub.terminate()
        hub.wait(10)
    return push_seconds, pull_seconds, pushed, received, applied, hub_peak, kiosk_peak


def one_round(template: Path, folder: Path, batch_size: int, events: int, n: int) -> dict:
    """The baselines, then push and pull with and without signatures (in turn first), all
    timed in this round."""
    folder.mkdir()
    _config, db_a = make_kiosk(template.parent, template.name, batch_size)
    rows = [
        tuple(r)
        for r in store.query(
            db_a,
            "SELECT id, origin, seq, type, scope, payload, created_at FROM events "
            "WHERE scope <> 'private' ORDER BY seq",
        )
    ]
    raw_seconds = raw_bulk_insert(rows, folder / "raw.sqlite3")
    multi_row_seconds = raw_bulk_insert(rows, folder / "raw-multi-row.sqlite3", multi_row=True)
    del rows
    floor_seconds = storage_floor(db_a, folder, batch_size)
    db_a.close()
    runs = {}
    for signatures in (True, False) if n % 2 == 0 else (False, True):
        name = "signed" if signatures else "unsigned"
        runs[name] = push_then_pull(template, folder / name, batch_size, signatures=signatures)
    push_seconds, pull_seconds, pushed, received, applied, hub_peak, kiosk_peak = runs["signed"]
    unsigned_total = runs["unsigned"][0] + runs["unsigned"][1]
    if not pushed == received - 2 == applied - 2 >= events:  # + the hub's two introductions
        raise SystemExit(f"sync moved {pushed} / {received} / {applied} events, not {events}")
    total = push_seconds + pull_seconds
    return {
        "push_events_per_s": round(pushed / push_seconds),
        "pull_events_per_s": round(received / pull_seconds),
        "push_then_pull_events_per_s": round(pushed / total),
        "unsigned_push_then_pull_events_per_s": round(pushed / unsigned_total),
        "signatures_vs_none": round(total / unsigned_total, 3),
        "signed_push_vs_unsigned": round(push_seconds / runs["unsigned"][0], 3),
        "signed_pull_vs_unsigned": round(pull_seconds / runs["unsigned"][1], 3),
        "raw_sqlite_insert_events_per_s": round(pushed / raw_seconds),
        "slowdown_vs_raw_insert": round(total / raw_seconds, 2),
        "raw_multi_row_insert_events_per_s": round(pushed / multi_row_seconds),
        "slowdown_vs_raw_multi_row_insert": round(total / multi_row_seconds, 2),
        "storage_floor_vs_raw_insert": round(floor_seconds / raw_seconds, 2),
        "hub_peak_mb": round(max(hub_peak, runs["unsigned"][5]), 1),
        "kiosk_peak_mb": round(kiosk_peak, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=DEFAULTS["sync"]["batch_size"])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        template = folder / "recorded"
        _config, db = make_kiosk(template.parent, template.name, args.batch_size)
        record_events(db, args.events)
        db.close()
        rounds = [
            one_round(template, folder / f"round-{n}", args.batch_size, args.events, n)
            for n in range(args.rounds)
        ]

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in rounds), 2)

    result = {
        "events": args.events,
        "batch_size": args.batch_size,
        "rounds": args.rounds,
        **{f"median_{key}": median(key) for key in rounds[0] if not key.endswith("_peak_mb")},
        "slowdown_vs_raw_insert_by_round": [r["slowdown_vs_raw_insert"] for r in rounds],
        "signatures_vs_none_by_round": [r["signatures_vs_none"] for r in rounds],
        "hub_peak_mb": max(r["hub_peak_mb"] for r in rounds),
        "kiosk_sync_peak_mb": max(r["kiosk_peak_mb"] for r in rounds),
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

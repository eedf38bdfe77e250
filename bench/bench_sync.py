"""Benchmark (run by hand, not a test): push then pull N events through a hub on loopback.

    .venv/bin/python bench/bench_sync.py [--events 100000] [--batch-size N]

A fresh kiosk records N building events (not timed), pushes them to a hub running in its own
process (waitress on 127.0.0.1), and a second kiosk of the same building pulls them. Reported:
events per second of push, pull and both, against a raw SQLite bulk insert of the same rows
in the same run (goal: within 5x), and the peak memory (VmHWM) of the hub process and of this
kiosk process (goal: under 150 MB each). ``--batch-size`` defaults to the kiosk's own default
(``[sync] batch_size``), so the figures are those of a kiosk as shipped.

The baseline, as the issue defines it: the same rows (every event of the first kiosk, read back
from its log) inserted with one ``executemany`` in one transaction, WAL and ``synchronous=FULL``
like the kiosk, into a copy of the kiosk's ``events`` table (same columns, AUTOINCREMENT, both
UNIQUE keys) without its CHECK constraints. Two things are said openly here, one each way:

- The baseline is generous to itself: it has no CHECK constraints. The kiosk's real table was
  about 1.5x slower to fill with ``executemany``, mostly because of its ``CHECK (scope IN
  (...))`` (SQLite sets the list up again for every row); since migration m012 (hub: m003) that
  check is written as comparisons, which took a third off every event insert.
- Sync now inserts with multi-row INSERTs (512 rows a statement), which also spares SQLite the
  per-statement set-up; the same rows inserted that way into the same table are much faster
  than the baseline. That insert is timed too (``raw_multi_row_*``, with its own ratio), for
  information: the goal is judged against the baseline as defined, not against this one.

``kiosk_peak_mb`` is the whole run's peak of this process: recording the events and holding
the baseline's rows count too, so it is an upper bound of what push and pull need.

Figures (100,000 events, 2 noisy cores; the baseline itself varies by 20%): at the default
batch of 500, push then pull 15,400-20,500 events/s, 8.9-11.6x the baseline (12.8-15.4x the
multi-row insert); at 2,000, 8.5x; with ``--batch-size 5000``, 17,800-24,600 events/s,
5.7-7.5x. The 5x goal is not met. Peak memory: hub 48 MB (62 MB at 5000), this process
124 MB. Before the pipelined, multi-row version: 11,200 events/s, 13-16x (first version 27-41x).
"""

from __future__ import annotations

import argparse
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

from kiosk import keys, store  # noqa: E402
from kiosk.config import DEFAULTS, make_config  # noqa: E402
from sync import client as sync_client  # noqa: E402
from sync import hub_store  # noqa: E402

HUB_SCRIPT = """
import sys
from waitress import serve
from sync.hub import create_hub_app
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
    config = make_config({
        "storage": {"data_dir": str(folder / name)},
        "sync": {"batch_size": batch_size, "timeout_seconds": 120},
    })
    db = store.connect(config.database_path)
    keys.publish_public_key(db, config)
    return config, db


def record_events(db, count: int) -> None:
    with store.write(db):
        store.record(db, "resident.registered", {"resident_id": "r1", "apartment": "A-001",
                                                 "name": "Claire Petit", "role": "admin", "status": "verified"})
        for i in range(count - 1):
            store.record(db, "resident.updated", {"resident_id": "r1", "name": f"Claire {i}"})


RAW_INSERT = "INSERT INTO events (id, origin, seq, type, scope, payload, created_at) VALUES "
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
        for start in range(0, len(rows), RAW_ROWS_PER_INSERT):
            chunk = rows[start:start + RAW_ROWS_PER_INSERT]
            conn.execute(RAW_INSERT + ",".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(chunk)),
                         [value for row in chunk for value in row])
    else:
        conn.executemany(RAW_INSERT + "(?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def one_round(template: Path, folder: Path, batch_size: int, events: int) -> dict:
    """A fresh hub in its own process, a copy of the recorded kiosk and a new kiosk of the same
    building: the baselines, then push and pull, all timed in this round."""
    shutil.copytree(template, folder / "a")
    hub_path = folder / "hub.sqlite3"
    hub_store.connect_hub(hub_path).close()
    port = free_port()
    hub = start_hub(hub_path, port)
    try:
        url = f"http://127.0.0.1:{port}"
        config_a, db_a = make_kiosk(folder, "a", batch_size)
        config_b, db_b = make_kiosk(folder, "b", batch_size)
        hub_db = hub_store.connect_hub(hub_path)
        for config, db in ((config_a, db_a), (config_b, db_b)):
            sync_client.enrol(db, config, url, hub_store.create_enrol_code(hub_db, "Bench"))
        hub_db.close()
        rows = [tuple(r) for r in store.query(
            db_a, "SELECT id, origin, seq, type, scope, payload, created_at FROM events "
                  "WHERE scope <> 'private' ORDER BY seq")]
        raw_seconds = raw_bulk_insert(rows, folder / "raw.sqlite3")
        multi_row_seconds = raw_bulk_insert(rows, folder / "raw-multi-row.sqlite3", multi_row=True)
        del rows

        started = time.perf_counter()
        pushed = sync_client.SyncClient(db_a, config_a).push()
        push_seconds = time.perf_counter() - started
        started = time.perf_counter()
        received, applied = sync_client.SyncClient(db_b, config_b).pull()
        pull_seconds = time.perf_counter() - started
        hub_peak = peak_mb(hub.pid)
        db_a.close()
        db_b.close()
    finally:
        hub.terminate()
        hub.wait(10)
    if not pushed == received == applied >= events:
        raise SystemExit(f"sync moved {pushed} / {received} / {applied} events, not {events}")
    total = push_seconds + pull_seconds
    return {
        "push_events_per_s": round(pushed / push_seconds),
        "pull_events_per_s": round(received / pull_seconds),
        "push_then_pull_events_per_s": round(pushed / total),
        "raw_sqlite_insert_events_per_s": round(pushed / raw_seconds),
        "slowdown_vs_raw_insert": round(total / raw_seconds, 2),
        "raw_multi_row_insert_events_per_s": round(pushed / multi_row_seconds),
        "slowdown_vs_raw_multi_row_insert": round(total / multi_row_seconds, 2),
        "hub_peak_mb": round(hub_peak, 1),
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
        rounds = [one_round(template, folder / f"round-{n}", args.batch_size, args.events)
                  for n in range(args.rounds)]

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in rounds), 2)

    result = {
        "events": args.events,
        "batch_size": args.batch_size,
        "rounds": args.rounds,
        **{f"median_{key}": median(key) for key in rounds[0] if key != "hub_peak_mb"},
        "slowdown_vs_raw_insert_by_round": [r["slowdown_vs_raw_insert"] for r in rounds],
        "hub_peak_mb": max(r["hub_peak_mb"] for r in rounds),
        "kiosk_peak_mb": round(peak_mb(), 1),
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

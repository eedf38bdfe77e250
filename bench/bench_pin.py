"""PIN check timings, run by hand (not a test): ``.venv/bin/python bench/bench_pin.py``.

Prints, in milliseconds (median of a few rounds): the old check (werkzeug scrypt at its
defaults, N=2^15), the peppered check (HMAC-SHA256 then scrypt at ``pin_hashing.COST``), a
hash made before the pepper and wrapped by the upgrade (as costly as the old check, once, until
the next login rehashes it), and a whole ``auth.verify_pin`` (write transaction included); each
as a ratio to the old check. The target: a PIN check costs at most 50 ms.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.security import check_password_hash, generate_password_hash

from kiosk import pin_hashing, store
from kiosk.config import make_config
from kiosk.residents import auth, residents

ROUNDS = 15
PIN = "2580"


def median_ms(action) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = make_config({"storage": {"data_dir": folder}})
        db = store.connect(config.database_path)
        resident = residents.register(db, apartment="A-001", name="Claire Petit", pin=PIN)
        old = generate_password_hash(PIN, method="scrypt")
        new = pin_hashing.hash_pin(db, PIN)
        wrapped = pin_hashing.wrap_legacy(db, old)
        figures = {
            "old check (werkzeug scrypt N=2^15)": median_ms(lambda: check_password_hash(old, PIN)),
            f"peppered check (HMAC + scrypt N={pin_hashing.COST})": median_ms(
                lambda: pin_hashing.check(db, new, PIN)
            ),
            "wrapped old hash (until next login)": median_ms(
                lambda: pin_hashing.check(db, wrapped, PIN)
            ),
            "auth.verify_pin (transaction included)": median_ms(
                lambda: auth.verify_pin(db, config, resident.id, PIN)
            ),
        }
        db.close()
    base = figures["old check (werkzeug scrypt N=2^15)"]
    for name, value in figures.items():
        print(f"{name:45s} {value:8.1f} ms   x{value / base:5.2f}")


if __name__ == "__main__":
    main()

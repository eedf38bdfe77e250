"""The scenario that makes one level's fixtures, run by make_fixtures.py with THAT level's code
(an old commit's files on ``sys.path``, never today's): it uses only what the old code offers
(its ``kiosk`` CLI through click, its domain functions) and skips, with a note in the manifest,
a step the level does not have yet.

Usage (by make_fixtures.py): ``python scenario.py OUT_DIR`` with the old tree as the working
directory and first on PYTHONPATH. Writes OUT_DIR/<node>.sqlite3 (VACUUMed), <node>.key (the
kiosk's signing key) and manifest.json (the level's migrations, the origins, what each step
did or why it was skipped).

The building: kiosk ``tilleuls`` (Résidence des Tilleuls: init, demo, a board post, a project,
a notice, a voucher), kiosk ``hall`` (a second kiosk of Les Tilleuls), kiosk ``lilas`` (Les
Lilas), a hub served on 127.0.0.1 by ``kiosk hub serve``. The voucher is redeemed twice while
the kiosks are offline (at Les Tilleuls and at Les Lilas, or at the hall where vouchers do not
travel between buildings yet), then everyone syncs: the hub holds both redemptions. The hall
kiosk is then restored from the hub onto a new data folder (``restored``), records an
exchange and syncs.
"""

# The old level's modules are imported where used, after the editable finder is gone (below).
# ruff: noqa: PLC0415

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

# Only the old tree's code: the venv's editable install of the repository (a finder that maps
# ``kiosk.*`` to today's files) must not fill in a module the old level does not have.
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path_hooks[:] = [h for h in sys.path_hooks if "editable" not in repr(h).lower()]
sys.path_importer_cache.clear()
import kiosk  # noqa: E402

assert Path(kiosk.__file__).resolve().is_relative_to(Path.cwd().resolve()), kiosk.__file__
assert not any("editable" in repr(f).lower() for f in sys.meta_path)

OUT = Path(sys.argv[1]).resolve()
WORK = OUT / "work"
TILLEULS, LILAS = "Résidence des Tilleuls", "Les Lilas"
PIN = "2580"
manifest: dict = {"steps": [], "nodes": {}}


def note(step: str, outcome: str) -> None:
    manifest["steps"].append({"step": step, "outcome": outcome})
    print(f"  {step}: {outcome}", flush=True)


@contextlib.contextmanager
def step(name: str):
    try:
        yield
    except Exception as exc:  # noqa: BLE001 (an old level may lack anything: say so, go on)
        note(name, f"failed: {type(exc).__name__}: {exc}")
    else:
        note(name, "done")


def has(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def api(name: str, *modules: str):
    """``name`` from the first of ``modules`` (today's package layout first, then the flat
    modules of the levels before the move into packages) that has it."""
    import importlib

    for module in modules:
        if has(module):
            found = getattr(importlib.import_module(module), name, None)
            if found is not None:
                return found
    raise ImportError(f"no {name} in {', '.join(modules)}")


BOARD = ("kiosk.board.board", "kiosk.board")
PROJECTS = ("kiosk.projects.projects", "kiosk.projects")
NOTICES = ("kiosk.community.notices", "kiosk.notices")
VOUCHERS = ("kiosk.vouchers.vouchers", "kiosk.vouchers")
REDEEMING = ("kiosk.vouchers.redeeming", "kiosk.vouchers")
LEDGER = ("kiosk.ledger.exchanges", "kiosk.ledger")
RESIDENTS = ("kiosk.residents.residents", "kiosk.residents")
KEYS = ("kiosk.store.keys", "kiosk.keys")


class Node:
    """One kiosk (or the hub) of this level: a data folder and a config file with only the
    keys this level knows."""

    def __init__(self, name: str, building: str, *, hub_db: Path | None = None) -> None:
        from kiosk.config import DEFAULTS

        self.name, self.building = name, building
        self.dir = WORK / name
        self.dir.mkdir(parents=True)
        lines = ["[storage]", f'data_dir = "{self.dir}"', "[building]", f'name = "{building}"']
        if hub_db is not None and "hub_database" in DEFAULTS.get("sync", {}):
            lines += ["[sync]", f'hub_database = "{hub_db}"']
        self.config_path = self.dir / "config.toml"
        self.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._db = None

    def cli(self, *args: str) -> str:
        from kiosk.cli import main

        result = CliRunner().invoke(main, list(args), env={"KIOSK_CONFIG": str(self.config_path)})
        if result.exit_code != 0:
            raise RuntimeError(f"kiosk {' '.join(args)} -> {result.exit_code}: {result.output}")
        return result.output

    @property
    def config(self):
        from kiosk.config import load_config

        return load_config(str(self.config_path))

    @property
    def db(self):
        from kiosk import store

        if self._db is None:
            self._db = store.connect(self.config.database_path)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def origin(self) -> str:
        from kiosk import store

        return store.kiosk_id(self.db)

    def sync(self) -> None:
        self.close()
        with step(f"{self.name} syncs"):
            self.cli("sync")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


HUB_SERVE = (  # the old tree's hub, without the editable install's finder (see the top)
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path "
    "if 'editable' not in repr(f).lower()]; from kiosk.cli import main; main()"
)


def serve_hub(hub: Node) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, KIOSK_CONFIG=str(hub.config_path))
    process = subprocess.Popen(
        [sys.executable, "-c", HUB_SERVE, "hub", "serve", "--port", str(port)],
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return process, f"http://127.0.0.1:{port}"
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the hub did not start")


def enrol_code(hub: Node, building: str, restore: str | None = None) -> str:
    args = ["hub", "enrol-code", building] + (["--restore", restore] if restore else [])
    output = hub.cli(*args)
    return output.split("Enrolment code:")[1].split()[0]


def resident(db, offset: int = 0, *, building_of: str | None = None) -> str:
    """A verified resident with money (the richest first)."""
    rows = db.execute(
        "SELECT a.resident_id FROM accounts a JOIN residents r ON r.id = a.resident_id "
        "WHERE r.status = 'verified' ORDER BY a.balance DESC, r.id"
    ).fetchall()
    return rows[offset][0]


def domain_data(node: Node) -> None:
    """Board post, project and notice, where the level has them."""
    db, config = node.db, node.config
    author = resident(node.db, 1)
    if has("kiosk.board"):
        with step("tilleuls posts on the board"):
            api("publish", *BOARD)(
                db,
                config,
                poster_id=author,
                direction=next(iter(api("DIRECTIONS", *BOARD))),
                kind=next(iter(api("KINDS", *BOARD))),
                category=next(iter(api("categories", *BOARD)(config))),
                title="Perceuse à prêter",
                description="Le week-end",
                network=True,
            )
    if has("kiosk.projects"):
        with step("tilleuls proposes a project"):
            project = api("propose", *PROJECTS)(
                db,
                resident_id=author,
                title="Jardin partagé",
                description="Dans la cour",
                kind=next(iter(api("KINDS", *PROJECTS))),
            )
            with contextlib.suppress(Exception):
                api("contribute", "kiosk.projects.fund", *PROJECTS)(
                    db, config, project.id, author, 100
                )
    if has("kiosk.notices") or has("kiosk.community.notices"):
        with step("tilleuls posts a notice"):
            import datetime

            today = datetime.date.today()
            api("post_notice", *NOTICES)(
                db,
                config,
                author_id=resident(node.db, 0),
                title="Coupure d'eau",
                body="Mardi matin",
                category=next(iter(api("CATEGORIES", *NOTICES))),
                starts_on=today,
                ends_on=today + datetime.timedelta(days=7),
            )


def issue_voucher(node: Node):
    holder = resident(node.db, 0)
    amount = api("denominations", *VOUCHERS)(node.config)[0]
    (voucher,) = api("issue_vouchers", *VOUCHERS)(
        node.db, node.config, resident_id=holder, counts={amount: 1}
    )
    manifest["voucher"] = {"serial": voucher.serial, "amount": amount}
    return voucher


def redeem(node: Node, voucher, resident_id: str) -> None:
    api("redeem_voucher", *REDEEMING)(node.db, node.config, voucher.qr, resident_id=resident_id)
    manifest.setdefault("redeemed_at", []).append(node.name)


def save(nodes: list[Node], hub: Node | None) -> None:
    try:
        key_path = api("key_path", *KEYS)
    except ImportError:  # a level before the kiosks' signing keys
        key_path = None
    for node in nodes:
        node.close()
        if not node.config.database_path.exists():
            continue
        source = sqlite3.connect(node.config.database_path)
        source.execute(f"VACUUM INTO '{OUT / (node.name + '.sqlite3')}'")
        manifest["nodes"][node.name] = {
            "building": node.building,
            "origin": source.execute(
                "SELECT value FROM kiosk_meta WHERE key = 'kiosk_id'"
            ).fetchone()[0],
            "migrations": [r[0] for r in source.execute("SELECT name FROM _sqlite_migrations")],
        }
        source.close()
        key = key_path(node.config) if key_path else None
        if key is not None and key.exists():
            (OUT / (node.name + ".key")).write_bytes(key.read_bytes())
    if hub is not None:
        path = hub.dir / "hub.sqlite3"
        if path.exists():
            source = sqlite3.connect(path)
            source.execute(f"VACUUM INTO '{OUT / 'hub.sqlite3'}'")
            manifest["nodes"]["hub"] = {
                "migrations": [r[0] for r in source.execute("SELECT name FROM _sqlite_migrations")]
            }
            source.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    tilleuls = Node("tilleuls", TILLEULS)
    with step("tilleuls: kiosk init"):
        tilleuls.cli(
            "init", "--admin-apartment", "A-001", "--admin-name", "Claire Petit", "--admin-pin", PIN
        )
    with step("tilleuls: kiosk demo"):
        tilleuls.cli("demo", "--seed", "7")
    domain_data(tilleuls)
    voucher = None
    if has("kiosk.vouchers"):  # a module, later a package
        with step("tilleuls issues a voucher"):
            voucher = issue_voucher(tilleuls)
    if not (has("sync.cli") and has("sync.client")):
        if voucher is not None:
            with step("tilleuls redeems the voucher"):
                redeem(tilleuls, voucher, resident(tilleuls.db, 2))
        note("sync", "skipped: this level has no hub")
        save([tilleuls], None)
        return

    hub = Node("hub", "", hub_db=WORK / "hub" / "hub.sqlite3")
    hall = Node("hall", TILLEULS)
    lilas = Node("lilas", LILAS)
    process, url = serve_hub(hub)
    try:
        for node in (hall, lilas):
            with step(f"{node.name}: kiosk init"):
                node.cli("init")
        with step("lilas registers Louise"):
            api("register", *RESIDENTS)(lilas.db, apartment="C-3", name="Louise Bernard", pin=PIN)
            lilas.close()
        for node in (tilleuls, hall, lilas):
            node.close()
            with step(f"{node.name}: kiosk enrol"):
                node.cli("enrol", url, enrol_code(hub, node.building))
        for node in (tilleuls, hall, lilas, hall):
            node.sync()
        if voucher is not None:
            # Offline: the same voucher redeemed at two kiosks.
            with step("tilleuls redeems the voucher (offline)"):
                redeem(tilleuls, voucher, resident(tilleuls.db, 2))
            louise = lilas.db.execute(
                "SELECT id FROM residents WHERE name = 'Louise Bernard'"
            ).fetchone()[0]
            try:
                redeem(lilas, voucher, louise)
                note("lilas redeems the same voucher (offline)", "done")
                second = lilas
            except Exception as exc:  # noqa: BLE001
                note("lilas redeems the same voucher (offline)", f"refused: {exc}")
                with step("hall redeems the same voucher (offline)"):
                    redeem(hall, voucher, resident(hall.db, 3))
                second = hall
            second.sync()  # its redemption reaches the hub first
            for node in (tilleuls, hall, lilas, tilleuls, hall, lilas):
                node.sync()
        with step("tilleuls records an exchange"):
            api("record_exchange", *LEDGER)(
                tilleuls.db,
                tilleuls.config,
                payer_id=resident(tilleuls.db, 0),
                payee_id=resident(tilleuls.db, 4),
                description="Ourlets",
                amount=250,
            )
        tilleuls.sync()
        hall.close()
        restored = Node("restored", TILLEULS)
        with step("hall is restored from the hub onto a new data folder"):
            code = enrol_code(hub, TILLEULS, restore=hall.origin())
            hall.close()
            restored.cli("restore-from-hub", url, code)
        with step("the restored kiosk records an exchange"):
            api("record_exchange", *LEDGER)(
                restored.db,
                restored.config,
                payer_id=resident(restored.db, 0),
                payee_id=resident(restored.db, 5),
                description="Courses",
                amount=300,
            )
        for node in (restored, tilleuls, lilas, restored, tilleuls, lilas):
            node.sync()
    finally:
        for node in (tilleuls, hall, lilas):
            node.close()
        process.terminate()
        process.wait(timeout=30)
    save([tilleuls, hall, lilas, restored], hub)


if __name__ == "__main__":
    try:
        main()
    finally:
        (OUT / "manifest.json").write_text(
            json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )

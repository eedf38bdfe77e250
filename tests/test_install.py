"""install.sh: lint, dry run, and a real install into a throwaway root, run twice, served,
upgraded (and refused when a migration fails), then uninstalled.

The real install builds a virtual environment with pip (dependencies from the package index),
so it takes a minute or so; it is marked slow but runs in the default suite. It never touches
this machine's /etc, /opt, /var/lib or systemd: everything goes under a temporary prefix.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSTALL = ROOT / "install.sh"
SOURCE_ITEMS = [
    "install.sh",
    "deploy",
    "pyproject.toml",
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
    "config.example.toml",
    "kiosk",
    "printing",
    "sync",
    "home",
]


def run_install(*args: str, source: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DESTDIR", "KIOSK_CONFIG", "SUDO_USER", "PYTHONPATH")
    }
    result = subprocess.run(
        ["bash", str(source / "install.sh"), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


def tree(prefix: Path) -> dict[str, tuple]:
    """Every file and link under ``prefix``: (mode, mtime, content hash). SQLite's -wal/-shm and
    Python's bytecode caches are left out: they belong to running programs, not to the install."""
    found = {}
    for path in sorted(prefix.rglob("*")):
        if "__pycache__" in path.parts or path.name.endswith(("-wal", "-shm")):
            continue
        stat = path.lstat()
        if path.is_symlink():
            found[str(path.relative_to(prefix))] = ("link", os.readlink(path))
        elif path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[str(path.relative_to(prefix))] = (stat.st_mode, stat.st_mtime_ns, digest)
        else:
            found[str(path.relative_to(prefix))] = (stat.st_mode,)
    return found


def test_install_sh_is_shellcheck_clean():
    if shutil.which("shellcheck") is None:
        if os.environ.get("CI"):
            pytest.fail("shellcheck is missing in CI: .ci/run must apt-get install shellcheck")
        pytest.skip(
            "shellcheck is not installed here (apt-get install shellcheck); CI runs this test"
        )
    result = subprocess.run(
        [
            "shellcheck",
            "--external-sources",
            str(INSTALL),
            str(ROOT / "deploy" / "kiosk-session.sh"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_help_lists_every_option():
    result = run_install("--help")
    for option in (
        "--dry-run",
        "--dev",
        "--hub",
        "--uninstall",
        "--purge",
        "--prefix",
        "--desktop-user",
        "--screen-hours",
        "--scanner",
        "--hub-domain",
        "--postgresql",
    ):
        assert option in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--frobnicate"],
        ["--screen-hours", "25-3"],
        ["--scanner", "nope"],
        ["--hub-domain", "hub.example.org;rm -rf /"],
        ["--hub-domain", "localhost"],
        ["--hub-domain", "hub.example.org\n}\n:80 {"],
        ["--hub-domain"],
        ["--postgresql=postgresql://hub:s3cret@db.example.org/kiosk_hub;rm -rf /"],
        ["--postgresql", 'postgresql://hub:s3cret@db.example.org/kiosk_hub"\n[storage]'],
        ["--postgresql", "postgresql://hub:s3cret@db.example.org/$(reboot)"],
        ["--postgresql", "postgresql://hub:s3cret@db.example.org/kiosk hub"],
        ["--postgresql", "postgresql://hub:s3 cret@db.example.org/kiosk_hub"],
        ["--postgresql="],
        ["--postgresql", "mysql://hub@db.example.org/kiosk_hub"],
    ],
)
def test_a_wrong_option_is_refused_with_a_reason(args):
    result = run_install(*args, check=False)
    assert result.returncode == 2
    assert result.stderr.strip()
    assert "s3cret" not in result.stdout + result.stderr  # a password is never echoed


def test_dry_run_prints_every_action_and_changes_nothing(tmp_path):
    prefix = tmp_path / "root"
    result = run_install("--dry-run", "--prefix", str(prefix), "--hub")
    out = result.stdout
    assert not prefix.exists()
    assert "DRY RUN: every action is printed, nothing is changed." in out
    assert "skip (not a system install): apt-get update" in out or "all installed" in out
    for action in (
        "-m venv",
        "/bin/pip install",
        "/bin/kiosk init",
        "systemd/system/kiosk.service",
        "systemd/system/kiosk-hub.service",
        "rules.d/60-building-kiosk.rules",
        "bin/building-kiosk-session",
        "autostart/building-kiosk.desktop",
        "etc/building-kiosk/config.toml",
        "skip (not a system install): systemctl enable --now kiosk.service",
    ):
        assert action in out, action
    assert out.rstrip().endswith("Dry run finished: nothing was changed.")


def test_hub_domain_writes_a_caddy_config_that_caddy_accepts(tmp_path):
    """``--hub-domain``: Caddy in the packages, its site for the hub (TLS by Let's Encrypt,
    proxied to the hub on 127.0.0.1), imported by the main Caddyfile, Caddy reloaded; the
    config as written is one that Caddy itself validates."""
    prefix = tmp_path / "root"
    out = run_install(
        "--dry-run", "--dev", "--prefix", str(prefix), "--hub-domain", "hub.tilleuls.example.org"
    ).stdout
    assert "--no-install-recommends caddy" in out or "all installed" in out
    assert f"install -m 0644 /dev/stdin {prefix}/etc/caddy/building-kiosk-hub.caddy" in out
    assert f"import /etc/caddy/building-kiosk-hub.caddy' >> {prefix}/etc/caddy/Caddyfile" in out
    assert "systemctl reload-or-restart caddy.service" in out
    assert "systemctl enable --now kiosk-hub.service" in out  # --hub-domain implies --hub
    site = "\n".join(
        line.split("| ", 1)[1] for line in out.splitlines() if line.startswith("          | ")
    )
    assert "hub.tilleuls.example.org {" in site and "reverse_proxy 127.0.0.1:8470" in site
    if shutil.which("caddy") is None and not os.environ.get("CI"):
        pytest.skip("caddy is not installed here (.ci/run installs it)")
    (tmp_path / "hub.caddy").write_text(site + "\n")
    (tmp_path / "Caddyfile").write_text(f"import {tmp_path / 'hub.caddy'}\n")
    checked = subprocess.run(
        ["caddy", "adapt", "--config", str(tmp_path / "Caddyfile"), "--validate"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert '"upstreams":[{"dial":"127.0.0.1:8470"}]' in checked.stdout


def test_postgresql_without_url_sets_up_a_local_server_with_a_generated_password(tmp_path):
    """``--postgresql``: Debian's postgresql in the packages, the role and database kiosk_hub
    made by psql as postgres with the password on its standard input (never an argument),
    ``[hub] database`` written into the config with the password hidden from the output,
    and the hub service (--postgresql implies --hub) restarted on it."""
    prefix = tmp_path / "root"
    out = run_install("--dry-run", "--dev", "--prefix", str(prefix), "--postgresql").stdout
    assert not prefix.exists()
    assert "--no-install-recommends postgresql" in out or re.search(
        r"all installed:.* postgresql", out
    )
    assert "runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres -v pw=****" in out
    config = prefix / "etc" / "building-kiosk" / "config.toml"
    assert (
        '[hub] database = "postgresql://kiosk_hub:****@127.0.0.1:5432/kiosk_hub" '
        f"into {config} (mode 0600)"
    ) in out
    assert "GENERATED" not in out
    assert "psycopg\\[binary\\]\\>=3.2" in out  # the driver, in the app's environment
    assert "systemctl enable --now kiosk-hub.service" in out


def test_postgresql_with_a_url_checks_it_connects_and_never_shows_its_password(tmp_path):
    prefix = tmp_path / "root"
    url = "postgresql://hub:s3cret@db.example.org:5432/kiosk_hub?sslmode=require"
    result = run_install("--dry-run", "--dev", "--prefix", str(prefix), "--postgresql", url)
    out = result.stdout
    assert (
        "check that postgresql://hub:****@db.example.org:5432/kiosk_hub?sslmode=require answers"
        in out
    )
    assert '[hub] database = "postgresql://hub:****@db.example.org' in out
    assert "runuser -u postgres" not in out and "--no-install-recommends postgresql" not in out
    assert "s3cret" not in out + result.stderr


def test_postgresql_is_refused_while_the_hub_holds_its_data_in_sqlite(tmp_path):
    """A hub with data in SQLite is not silently switched to an empty database: the installer
    says how to copy it (kiosk hub migrate-store) and changes nothing."""
    prefix = tmp_path / "root"
    data = prefix / "var" / "lib" / "building-kiosk"
    data.mkdir(parents=True)
    (data / "hub.sqlite3").write_bytes(b"")
    result = run_install("--dry-run", "--dev", "--prefix", str(prefix), "--postgresql", check=False)
    assert result.returncode == 1
    assert "kiosk hub migrate-store --to URL" in result.stderr
    assert "[hub] database" not in result.stdout


def test_dev_dry_run_has_no_kiosk_browser_or_system_user(tmp_path):
    out = run_install("--dry-run", "--dev", "--prefix", str(tmp_path / "root")).stdout
    assert "bin/building-kiosk-session" not in out and "useradd --system" not in out
    assert "chromium" not in out and "60-building-kiosk.rules" not in out


def test_uninstall_dry_run_changes_nothing(tmp_path):
    prefix = tmp_path / "root"
    (prefix / "etc" / "building-kiosk").mkdir(parents=True)
    out = run_install("--dry-run", "--uninstall", "--purge", "--prefix", str(prefix)).stdout
    assert "rm -rf -- " + str(prefix / "etc" / "building-kiosk") in out
    assert (prefix / "etc" / "building-kiosk").is_dir()


def test_the_session_script_keeps_the_screen_on_during_the_chosen_hours():
    script = ROOT / "deploy" / "kiosk-session.sh"
    env = {**os.environ, "SCREEN_ON_HOUR": "7"}

    def state(hour: int, on: int, off: int) -> str:
        code = (
            f"SESSION_ENV=/nonexistent; set -- --check-hour {hour}; "
            f'source <(sed -e "s/^SCREEN_ON_HOUR=7$/SCREEN_ON_HOUR={on}/" -e "s/^SCREEN_OFF_HOUR=22$/SCREEN_OFF_HOUR={off}/" {script})'
        )
        return subprocess.run(
            ["bash", "-c", code], capture_output=True, text=True, env=env
        ).stdout.strip()

    assert [state(h, 7, 22) for h in (6, 7, 21, 22)] == ["off", "on", "on", "off"]
    assert [state(h, 22, 6) for h in (21, 23, 2, 6)] == [
        "off",
        "on",
        "on",
        "off",
    ]  # across midnight


# ----------------------------------------------------------------------- the real install


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def set_port(config: Path, port: int) -> str:
    """What an operator does: edit the installed config (here, the [kiosk] port)."""
    text = config.read_text()
    if re.search(r"(?m)^\[kiosk\]\s*$", text):
        head, _, rest = text.partition("[kiosk]")
        body, sep, tail = rest.partition("\n[")
        body = re.sub(r"(?m)^\s*port\s*=.*\n?", "", body)
        text = f"{head}[kiosk]\nport = {port}{body}{sep}{tail}"
    else:
        text += f"\n[kiosk]\nport = {port}\n"
    config.write_text(text)
    return text


def unit_commands(unit: Path) -> tuple[dict[str, str], list[str], list[str]]:
    env, pre, start = {}, [], []
    for line in unit.read_text().splitlines():
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").partition("=")
            env[key] = value
        elif line.startswith("ExecStartPre="):
            pre = line.removeprefix("ExecStartPre=").split()
        elif line.startswith("ExecStart="):
            start = line.removeprefix("ExecStart=").split()
    return env, pre, start


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A snapshot of the source tree, so edits made meanwhile never change the version."""
    copy = tmp_path_factory.mktemp("source")
    for item in SOURCE_ITEMS:
        path = ROOT / item
        if path.is_dir():
            shutil.copytree(
                path, copy / item, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        elif path.exists():
            shutil.copy2(path, copy / item)
    return copy


@pytest.fixture(scope="module")
def installed(source, tmp_path_factory) -> dict:
    prefix = tmp_path_factory.mktemp("root")
    result = run_install("--prefix", str(prefix), source=source)
    return {"prefix": prefix, "first_output": result.stdout}


def paths(prefix: Path) -> dict[str, Path]:
    return {
        "config": prefix / "etc/building-kiosk/config.toml",
        "data": prefix / "var/lib/building-kiosk",
        "db": prefix / "var/lib/building-kiosk/kiosk.sqlite3",
        "current": prefix / "opt/building-kiosk/current",
        "venvs": prefix / "opt/building-kiosk/venvs",
        "unit": prefix / "etc/systemd/system/kiosk.service",
        "udev": prefix / "etc/udev/rules.d/60-building-kiosk.rules",
    }


@pytest.mark.slow
def test_a_real_install_lays_out_every_piece(installed):
    prefix = installed["prefix"]
    p = paths(prefix)
    assert p["current"].is_symlink() and (p["current"] / ".complete").exists()
    assert p["db"].exists(), "kiosk init created the database"
    assert (p["data"] / "secret_key").exists()
    assert oct(p["config"].stat().st_mode & 0o777) == "0o640"
    assert f'data_dir = "{p["data"]}"' in p["config"].read_text()
    unit = p["unit"].read_text()
    for line in (
        "Restart=on-failure",
        "ProtectSystem=strict",
        "NoNewPrivileges=true",
        f"Environment=KIOSK_CONFIG={p['config']}",
        f"ExecStart={p['current']}/bin/kiosk serve",
    ):
        assert line in unit
    assert "hidraw" in p["udev"].read_text()
    session = (prefix / "usr/local/bin/building-kiosk-session").read_text()
    for flag in (
        "--kiosk",
        "--noerrdialogs",
        "--disable-translate",
        "--disable-pinch",
        "--overscroll-history-navigation=0",
        "--no-first-run",
        "--disable-features=Translate",
    ):
        assert flag in session
    assert not re.search(r"@[A-Z_]+@", unit + session + p["udev"].read_text())  # all filled in


@pytest.mark.slow
def test_a_second_run_changes_nothing(installed, source):
    prefix = installed["prefix"]
    before = tree(prefix)
    out = run_install("--prefix", str(prefix), source=source).stdout
    assert tree(prefix) == before
    assert "already installed" in out and "kept" in out


@pytest.mark.slow
def test_an_edited_config_is_kept_and_applied(installed, source):
    prefix = installed["prefix"]
    port = free_port()
    edited = set_port(paths(prefix)["config"], port)
    run_install("--prefix", str(prefix), source=source)
    assert paths(prefix)["config"].read_text() == edited
    assert (
        f'KIOSK_URL="http://127.0.0.1:{port}/"'
        in (prefix / "usr/local/bin/building-kiosk-session").read_text()
    )
    before = tree(prefix)
    run_install("--prefix", str(prefix), source=source)
    assert tree(prefix) == before


@pytest.mark.slow
def test_a_dry_run_on_an_installed_kiosk_changes_nothing(installed, source):
    prefix = installed["prefix"]
    before = tree(prefix)
    run_install("--dry-run", "--prefix", str(prefix), source=source)
    assert tree(prefix) == before


@pytest.mark.slow
def test_the_installed_server_starts_and_answers(installed, tmp_path):
    prefix = installed["prefix"]
    p = paths(prefix)
    env, pre, start = unit_commands(p["unit"])
    run_env = {**os.environ, **env}
    run_env.pop("DESTDIR", None)
    check = subprocess.run(pre, capture_output=True, text=True, env=run_env, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    port = re.search(r"(?m)^port = (\d+)", p["config"].read_text())
    if port is None:
        port = set_port(p["config"], free_port()) and re.search(
            r"(?m)^port = (\d+)", p["config"].read_text()
        )
    base = f"http://127.0.0.1:{port[1]}"
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        start,
        env=run_env,
        cwd=p["data"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        status = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = fetch(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.2)  # the server is still importing; nothing to wait on but its port
        assert status is not None, (
            "the installed server never answered:\n" + (tmp_path / "server.log").read_text()
        )
        assert status == 200, body[:500]
        health = json.loads(body)
        assert health["database"]["ok"] is True
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def add_migration(source: Path, name: str, body: str) -> None:
    schema = source / "kiosk" / "store" / "schema.py"
    schema.write_text(schema.read_text() + f"\n\n@migrations()\ndef {name}(db):\n    {body}\n")


@pytest.mark.slow
def test_an_upgrade_whose_migration_fails_keeps_the_old_version(installed, source, tmp_path):
    prefix = installed["prefix"]
    p = paths(prefix)
    broken = tmp_path / "broken-source"
    shutil.copytree(source, broken)
    add_migration(
        broken, "m990_fails_on_purpose", 'raise RuntimeError("this migration fails on purpose")'
    )
    old_current = os.readlink(p["current"])
    old_db = p["db"].read_bytes()
    venvs_before = sorted(x.name for x in p["venvs"].iterdir())

    result = run_install("--prefix", str(prefix), source=broken, check=False)

    assert result.returncode == 1
    assert "this migration fails on purpose" in result.stdout + result.stderr
    assert "the installed version keeps running" in result.stderr
    assert os.readlink(p["current"]) == old_current
    assert sorted(x.name for x in p["venvs"].iterdir()) == venvs_before
    assert p["db"].read_bytes() == old_db
    assert list((p["data"] / "backups").glob("kiosk-*.sqlite3")), "a backup was taken first"


@pytest.mark.slow
def test_an_upgrade_backs_up_migrates_and_switches(installed, source, tmp_path):

    prefix = installed["prefix"]
    p = paths(prefix)
    newer = tmp_path / "newer-source"
    shutil.copytree(source, newer)
    add_migration(newer, "m991_upgrade_test", 'db.execute("CREATE TABLE upgrade_test (x)")')
    old_current = os.readlink(p["current"])
    backups_before = set((p["data"] / "backups").glob("kiosk-*.sqlite3"))

    out = run_install("--prefix", str(prefix), source=newer).stdout

    assert "Migrations applied: m991_upgrade_test." in out
    assert os.readlink(p["current"]) != old_current
    assert (p["current"].parent / old_current).is_dir(), (
        "the previous version is kept for a rollback"
    )
    assert set((p["data"] / "backups").glob("kiosk-*.sqlite3")) - backups_before
    conn = sqlite3.connect(p["db"])
    assert (
        conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'upgrade_test'").fetchone()[0]
        == 1
    )
    conn.close()


@pytest.mark.slow
def test_uninstall_keeps_the_data_and_purge_removes_it(installed, source):
    prefix = installed["prefix"]
    p = paths(prefix)
    out = run_install("--uninstall", "--prefix", str(prefix), source=source).stdout
    assert not p["unit"].exists() and not p["current"].exists() and not p["udev"].exists()
    assert p["config"].exists() and p["db"].exists()
    assert "--purge deletes them" in out
    run_install("--purge", "--prefix", str(prefix), source=source)
    assert not p["config"].exists() and not p["data"].exists()

"""Make the upgrade fixtures: one set of databases per schema level of the kiosk and the hub,
each made BY THE CODE OF THAT LEVEL. Run by hand (minutes), then commit what it writes:

    cd <repository root>
    /work/main/.venv/bin/python tests/store/upgrades/make_fixtures.py [--only COMMIT ...]

It walks the git history of the migration sets (kiosk/store/schema.py; the hub's in
sync/hub/schema.py, earlier sync/hub/store.py and sync/hub_store.py) and keeps the first commit
of each distinct level (the set of kiosk migrations and the set of hub migrations it defines):
the last one, whose code wrote that level in its most complete form (the first commit of the
oldest level has no command line yet).
For each, it exports that commit's files (``git archive``: a plain copy in a temporary folder,
no change to the repository or its worktrees) and runs scenario.py there with the current
Python (the project's venv: the old code's libraries are a subset of today's). The kiosk and
hub databases the scenario leaves are VACUUMed and gzipped into
tests/store/upgrades/fixtures/<NN>-<commit>/ with the kiosks' signing keys and a manifest of
what each step did. test_upgrades.py upgrades copies of them with today's code.

A level added later (a new migration) gets its fixture by running this again: existing
folders are kept unless ``--only`` names their commit.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
FIXTURES = HERE / "fixtures"
KIOSK_SCHEMA = ("kiosk/store/schema.py",)
HUB_SCHEMA = ("sync/hub/schema.py", "sync/hub/store.py", "sync/hub_store.py")
# Levels that existed only between two merges of one stop and never landed: the hub migration
# they add was renumbered (m010_auth_refused_events) before release, so no hub ever ran them.
# The same for the three merges of issue #19's parts (m022 named i19a, then renumbered, then
# with m023 alone): one stop released them together as m022..m025; and the hub's m012 under its
# helper's name (aceedf1), renamed before release.
# They keep their number so that later folders keep theirs.
NEVER_RELEASED = (
    "1a09932",
    "3449e2a",
    "e73e6cf",
    "9692e9b",
    "6a78319",
    "aceedf1",
    "6194762",
    "f559c19",
    "dc38f09",
    "3c9a367",
    "1f64587",  # merged in one session (issue #20)
)
MIGRATION = re.compile(r"^def (m\d{3}_\w+)\(", re.MULTILINE)


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def migrations_at(commit: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    for path in paths:
        try:
            source = git("show", f"{commit}:{path}")
        except subprocess.CalledProcessError:
            continue
        found = tuple(MIGRATION.findall(source))
        if found:
            return found
    return ()


def levels() -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(commit, kiosk migrations, hub migrations): the last commit of each distinct level,
    oldest level first, following first parents (the history a release took)."""
    commits = git(
        "log", "--reverse", "--first-parent", "--format=%H", "--", *KIOSK_SCHEMA, *HUB_SCHEMA
    ).split()
    last: dict[tuple, str] = {}  # in the order levels first appear; the last commit of each
    for commit in commits:
        last[(migrations_at(commit, KIOSK_SCHEMA), migrations_at(commit, HUB_SCHEMA))] = commit
    return [(commit, *level) for level, commit in last.items()]


def make(number: int, commit: str, kiosk: tuple, hub: tuple) -> Path:
    target = FIXTURES / f"{number:02d}-{commit[:7]}"
    with tempfile.TemporaryDirectory(prefix="kiosk-level-") as tmp:
        tree, out = Path(tmp) / "tree", Path(tmp) / "out"
        tree.mkdir()
        archive = subprocess.run(
            ["git", "archive", commit], cwd=ROOT, check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        print(f"{target.name}: kiosk {kiosk[-1] if kiosk else '-'}, hub {hub[-1] if hub else '-'}")
        subprocess.run(
            [sys.executable, str(HERE / "scenario.py"), str(out)],
            cwd=tree,
            env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "HOME": tmp, "LANG": "C.UTF-8"},
            check=False,
            timeout=600,
        )
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        manifest.update(
            commit=commit,
            subject=git("log", "-1", "--format=%s", commit).strip()[:120],
            kiosk_level=list(kiosk),
            hub_level=list(hub),
        )
        for database in sorted(out.glob("*.sqlite3")):
            with gzip.GzipFile(target / (database.name + ".gz"), "wb", 9, mtime=0) as gz:
                gz.write(database.read_bytes())
        for key in sorted(out.glob("*.key")):
            shutil.copy(key, target / key.name)
        (target / "manifest.json").write_text(
            json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="commits (prefixes) to redo")
    parser.add_argument("--list", action="store_true", help="list the levels and stop")
    args = parser.parse_args()
    for number, (commit, kiosk, hub) in enumerate(levels(), start=1):
        if args.list:
            print(f"{number:02d} {commit[:7]} kiosk {len(kiosk)} hub {len(hub)}")
            continue
        if commit.startswith(NEVER_RELEASED):
            continue
        existing = list(FIXTURES.glob(f"{number:02d}-{commit[:7]}"))
        wanted = args.only is None and not existing
        if args.only is not None:
            wanted = any(commit.startswith(prefix) for prefix in args.only)
        if wanted:
            target = make(number, commit, kiosk, hub)
            size = sum(f.stat().st_size for f in target.iterdir())
            print(f"  -> {target.relative_to(ROOT)} ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()

"""Operator commands: ``kiosk backup``, ``kiosk restore FILE``, ``kiosk check-db``.

``register(group)`` adds them to the main ``kiosk`` click group, which puts the loaded config
in ``ctx.obj["config"]``. Each command is a thin wrapper around a function taking that
``Config``, and answers in plain words (which file, what to do next) instead of a traceback.
The module also runs on its own (``python -m kiosk.cli_ops check-db``), which ``install.sh``
uses so that an upgrade depends on nothing but these commands.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import click
from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config, ConfigError, load_config
from kiosk.store import backup, refused
from kiosk.store.schema import migrations
from sync import state as sync_state
from sync.catch_up import (
    catch_up_after_restore,
    jump_numbering_after_restore,
    mark_restored_from_backup,
)
from sync.errors import SyncError


def _config(ctx: click.Context) -> Config:
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    config = obj.get("config")
    if config is None:
        try:
            config = load_config()
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
    return config


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1024:.0f} kB"


def take_backup(config: Config, to: Path | None = None) -> Path:
    """Back up the database into ``to`` (default: the backup folder) and check the copy."""
    db_path = config.database_path
    if not db_path.exists():
        raise click.ClickException(
            f"There is no database at {db_path} yet: run `kiosk init` first."
        )
    dest = to or backup.backup_dir(config)
    try:
        path = backup.backup_database(db_path, dest)
    except (OSError, sqlite3.Error) as exc:
        raise click.ClickException(
            f"Could not back up {db_path} into {dest}: {exc}. Check that the folder is writable "
            "and the disk is not full."
        ) from exc
    problems = backup.check_integrity(path)
    if problems:
        raise click.ClickException(
            f"The backup {path} failed its check ({'; '.join(problems)}). The database itself may "
            "be damaged: run `kiosk check-db`."
        )
    return path


def restore_backup(config: Config, backup_file: Path) -> Path | None:
    """Put ``backup_file`` in place of the database; returns where the old one was kept."""
    try:
        return backup.restore_database(backup_file, config.database_path)
    except backup.RestoreRefused as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(
            f"Could not restore {backup_file} to {config.database_path}: {exc}. "
            "The current database is still in place."
        ) from exc


def pending_migrations(db_path: Path) -> list[str]:
    """Names of the schema migrations this version would apply to the database (read only)."""

    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [m.name for m in migrations.pending(Database(conn))]
    finally:
        conn.close()


def check_database(
    config: Config, *, try_migrations: bool = False, migrate: bool = False
) -> list[str]:
    """Check the database; optionally rehearse pending migrations on a copy, or apply them.

    Returns the report lines; raises ``click.ClickException`` saying what to do on a problem.
    """

    db_path = config.database_path
    if not db_path.exists():
        raise click.ClickException(
            f"There is no database at {db_path}: run `kiosk init` to create it."
        )
    problems = backup.check_integrity(db_path)
    if problems:
        raise click.ClickException(
            backup.what_to_do_when_damaged(config, backup.DatabaseDamaged(db_path, problems))
        )
    report = [f"Database {db_path} ({_size(db_path)}): integrity ok."]
    pending = pending_migrations(db_path)
    report.append(
        f"Schema: {len(pending)} migration(s) to apply: {', '.join(pending)}."
        if pending
        else "Schema: up to date."
    )
    if not pending:
        report.append(_authority_report(db_path))
    if try_migrations and pending:
        with tempfile.TemporaryDirectory(prefix="kiosk-check-") as tmp:
            copy = backup.backup_database(db_path, tmp)
            try:
                store.connect(copy).conn.close()
            except Exception as exc:
                raise click.ClickException(
                    f"A migration failed on a copy of the database: {exc}. The database itself was "
                    "not touched; keep running the installed version and report this error."
                ) from exc
            copy_problems = backup.check_integrity(copy)
            if copy_problems:
                raise click.ClickException(
                    f"After migrating a copy, the copy fails its check ({'; '.join(copy_problems)}). "
                    "The database itself was not touched; keep running the installed version."
                )
        report.append("Migrations rehearsed on a copy: ok.")
    if migrate and pending:
        try:
            store.connect(
                db_path, busy_timeout_ms=config["storage"]["busy_timeout_ms"]
            ).conn.close()
        except Exception as exc:
            raise click.ClickException(
                f"A migration failed on {db_path}: {exc}. Restore the backup taken before the "
                "upgrade with `kiosk restore FILE`."
            ) from exc
        report.append(f"Migrations applied: {', '.join(pending)}.")
    return report


def _authority_report(db_path: Path) -> str:
    """Whether the log holds events the authority check would refuse now (they entered before
    the check, or through a kiosk revoked since without the hub's word yet)."""
    db = store.connect(db_path, migrate=False)
    try:
        count, examples = refused.would_refuse(db)
        aside = refused.refused_count(db)
    finally:
        db.close()
    kept = f" {aside} refused event(s) kept aside." if aside else ""
    if not count:
        return f"Events: every event of the log passes the authority check.{kept}"
    return (
        f"Events: the log holds {count} event(s) this kiosk would refuse now "
        f"(e.g. {'; '.join(examples)}).{kept} Restore this kiosk from the hub "
        "(kiosk restore-from-hub) to rebuild its data from what the hub serves."
    )


@click.command("backup")
@click.option(
    "--to",
    "to",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write the backup to (default: [backup] dir).",
)
@click.pass_context
def backup_command(ctx: click.Context, to: Path | None) -> None:
    """Back up the database now, while the kiosk keeps running, and check the copy.

    Example:

        kiosk backup

        kiosk backup --to /media/pi/STICK/building-kiosk-backups
    """
    path = take_backup(_config(ctx), to)
    click.echo(f"Backup written and checked: {path} ({_size(path)}).")


@click.command("restore")
@click.argument("backup_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def restore_command(ctx: click.Context, backup_file: Path, yes: bool) -> None:
    """Replace the database with a backup FILE; the current one is kept aside.

    Stop the kiosk first (sudo systemctl stop kiosk). A damaged file or one that is not a
    kiosk database is refused and nothing changes.

    Example:

        kiosk restore /var/lib/building-kiosk/backups/kiosk-20260301-031700.sqlite3
    """
    config = _config(ctx)
    if not yes:
        click.confirm(
            f"Replace {config.database_path} with {backup_file}? Is the kiosk stopped "
            "(sudo systemctl stop kiosk)?",
            abort=True,
        )
    aside = restore_backup(config, backup_file)
    click.echo(f"Restored {backup_file} to {config.database_path}.")
    if aside is not None:
        click.echo(f"The previous database is kept as {aside}.")
    catch_up_with_hub(config, backup_file.name)
    click.echo("Start the kiosk again: sudo systemctl start kiosk")


def catch_up_with_hub(config: Config, backup_name: str) -> None:
    """A kiosk enrolled at a hub has sent it what it wrote after the backup: fetch that back
    now, or at the next sync (which does it before anything else) when the hub is out of reach."""

    db = store.connect(config.database_path, busy_timeout_ms=config["storage"]["busy_timeout_ms"])
    try:
        if not sync_state.is_enrolled(db):
            return
        mark_restored_from_backup(db, backup_name)
        try:
            caught = catch_up_after_restore(db, config)
        except SyncError as exc:
            jumped_to = jump_numbering_after_restore(db, backup_name)
            click.echo(
                f"The hub could not be reached ({exc}). It may hold exchanges this kiosk recorded "
                "after the backup: the kiosk fetches them back at its next sync, before sending "
                f"anything. Residents can go on meanwhile: new events are numbered from {jumped_to}, "
                "above anything the hub can hold."
            )
            return
        click.echo(
            f"The hub held {caught.recovered} event(s) this kiosk recorded after the backup: "
            "they are back in the database."
        )
    finally:
        db.close()


@click.command("check-db")
@click.option(
    "--try-migrations",
    is_flag=True,
    help="Also apply this version's pending migrations to a temporary copy.",
)
@click.option("--migrate", is_flag=True, help="Apply pending migrations to the database.")
@click.pass_context
def check_db_command(ctx: click.Context, try_migrations: bool, migrate: bool) -> None:
    """Check the database's integrity and schema; exit status 1 if something is wrong.

    Example:

        kiosk check-db

        kiosk check-db --try-migrations   (before an upgrade: the database is not changed)
    """
    for line in check_database(_config(ctx), try_migrations=try_migrations, migrate=migrate):
        click.echo(line)


COMMANDS = (backup_command, restore_command, check_db_command)


def register(group: click.Group) -> None:
    """Add the operator commands to the main ``kiosk`` group."""
    for command in COMMANDS:
        group.add_command(command)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """The operator commands alone (``python -m kiosk.cli_ops``); normally part of ``kiosk``."""
    ctx.ensure_object(dict)


register(main)

if __name__ == "__main__":
    main()

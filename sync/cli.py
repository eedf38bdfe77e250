"""Sync commands: ``kiosk hub serve|enrol-code|revoke|kiosks|migrate-store``, ``kiosk enrol``, ``kiosk sync``,
``kiosk restore-from-hub``. ``register(group)`` adds them to the main ``kiosk`` group."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk import formatting, serving, store
from kiosk.config import Config, ConfigError
from kiosk.store.restoring import progress as restore_progress
from kiosk.store.restoring import restoring
from sync import state as sync_state
from sync.client import SyncClient
from sync.enrolment import enrol, restore_from_hub
from sync.errors import SyncError
from sync.hub import dashboard as hub_dashboard
from sync.hub.app import create_hub_app, stop_hub_app
from sync.hub.dashboard import set_dashboard_password
from sync.hub.db import describe, is_postgresql
from sync.hub.kiosks import create_enrol_code, revoke
from sync.hub.mail import MailSettings
from sync.hub.migrate_store import BATCH_ROWS, StoreCopyRefused, check_copy, copy_store
from sync.hub.refusals import HubRefusal
from sync.hub.schema import connect_hub
from sync.hub.sms import SmsSettings


def _config(ctx: click.Context) -> Config:
    return ctx.obj["config"]


def hub_database_path(config: Config) -> Path | str:
    """The hub's store: ``[hub] database`` (a ``postgresql://`` URL, or a SQLite file), else
    ``[sync] hub_database``, else ``<data_dir>/hub.sqlite3``."""
    value = config["hub"]["database"] or config["sync"]["hub_database"]
    if is_postgresql(value):
        return value
    return Path(value).expanduser() if value else config.data_dir / "hub.sqlite3"


def hub_files(config: Config) -> Path:
    """Where a PostgreSQL hub keeps its key and mail secret: ``<data_dir>/hub-key.pem`` and
    ``<data_dir>/hub-mail-secret`` (a SQLite hub keeps them beside its file)."""
    return config.data_dir / "hub"


def connect_hub_store(config: Config):
    """The hub's store as the configuration names it, migrated."""
    return connect_hub(hub_database_path(config), files=hub_files(config))


def _kiosk_db(config: Config):
    return store.connect(config.database_path, busy_timeout_ms=config["storage"]["busy_timeout_ms"])


@click.group()
def hub() -> None:
    """Run the network's hub and manage the kiosks enrolled at it.

    \b
    Example:
        kiosk hub enrol-code "Résidence des Tilleuls"
        kiosk hub serve --port 8470
    """


@hub.command("serve")
@click.option("--host", help="Address to listen on (default from config: 127.0.0.1).")
@click.option("--port", type=int, help="Port (default from config: 8470).")
@click.option("--threads", type=int, default=4, show_default=True)
@click.pass_context
def hub_serve(ctx, host, port, threads):
    """Serve the hub with waitress (put a TLS reverse proxy in front of it on the internet).

    \b
    Example:
        kiosk hub serve --host 127.0.0.1 --port 8470
    """
    config = _config(ctx)
    path = hub_database_path(config)
    try:
        mail = MailSettings.from_config(config)
        sms = SmsSettings.from_config(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    # What a higher package serves beside the hub (the home site), named by the top-level
    # command (kiosk/cli.py): sync never imports it.
    extensions = ctx.obj.get("hub_extensions", ())
    app = create_hub_app(
        path, mail=mail, sms=sms, files=hub_files(config), config=config, extensions=extensions
    )
    host = host or config["sync"]["hub_host"]
    port = port or config["sync"]["hub_port"]
    click.echo(f"Hub at http://{host}:{port}/  (database {describe(path)})")
    if mail is None:
        click.echo("No [hub.mail] relay: no e-mail is sent.")
    if sms is None:
        click.echo("No [hub.sms] gateway: no SMS is sent.")
    try:
        serving.serve(app, host=host, port=port, threads=threads, ident="kiosk-hub")
    finally:
        stop_hub_app(app)


@hub.command("enrol-code")
@click.argument("building")
@click.option(
    "--restore",
    "restore_origin",
    metavar="ORIGIN",
    help="A code that gives a dead kiosk's id to its replacement (restore-from-hub).",
)
@click.pass_context
def hub_enrol_code(ctx, building, restore_origin):
    """Make a one-time code (valid 7 days) that enrols one kiosk of BUILDING.

    \b
    Example:
        kiosk hub enrol-code "Résidence des Tilleuls"
        kiosk hub enrol-code "Résidence des Tilleuls" --restore BCDFGH
    """
    db = connect_hub_store(_config(ctx))
    try:
        code = create_enrol_code(db, building, restore_origin=restore_origin)
    except HubRefusal as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.close()
    click.echo(f"Enrolment code: {code}")
    click.echo(
        "On the kiosk: kiosk "
        + ("restore-from-hub" if restore_origin else "enrol")
        + f" URL {code}"
    )


@hub.command("revoke")
@click.argument("origin")
@click.option(
    "--after-seq",
    type=click.IntRange(min=0),
    default=None,
    help="Also refuse, at the hub and at every kiosk, what ORIGIN sent after this number.",
)
@click.option("--reason", default="the kiosk was revoked", help="Shown beside each refused event.")
@click.pass_context
def hub_revoke(ctx, origin, after_seq, reason):
    """Refuse every further request of kiosk ORIGIN (a stolen or retired kiosk).

    With --after-seq N, what it sent after its event N is refused too: the hub stops serving
    it, and every kiosk that applied it sets it aside and rebuilds its data without it.

    \b
    Example:
        kiosk hub revoke BCDFGH
        kiosk hub revoke BCDFGH --after-seq 120 --reason "stolen on 3 March"
    """
    db = connect_hub_store(_config(ctx))
    try:
        revoked = revoke(db, origin, after_seq=after_seq, reason=reason)
    finally:
        db.close()
    if not revoked:
        raise click.ClickException(f"no kiosk {origin} is enrolled at this hub")
    click.echo(f"Kiosk {origin} revoked: the hub refuses its requests from now on.")
    if after_seq is not None:
        click.echo(
            f"What it sent after number {after_seq} is refused: kiosks set it aside at their "
            "next sync."
        )


@hub.command("dashboard-password")
@click.password_option(
    "--password", prompt="New dashboard password", help="Asked for (twice) when not given."
)
@click.pass_context
def hub_dashboard_password(ctx, password):
    """Set the password of the hub's dashboard (user name: anything; at least 10 characters).

    \b
    Example:
        kiosk hub dashboard-password
    """
    db = connect_hub_store(_config(ctx))
    try:
        set_dashboard_password(db, password)
    except HubRefusal as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.close()
    click.echo("Dashboard password set: open the hub's address in a browser and give it.")


@hub.command("kiosks")
@click.pass_context
def hub_kiosks(ctx):
    """List enrolled kiosks: building, last contact, events held, lag.

    \b
    Example:
        kiosk hub kiosks
    """
    config = _config(ctx)
    db = connect_hub_store(config)
    try:
        summary = hub_dashboard.dashboard(db)
    finally:
        db.close()
    for kiosk in summary["kiosks"]:
        state = "revoked" if kiosk["revoked"] else "active"
        # In UTC, in the kiosk's language: as the hub's dashboard writes it.
        last = formatting.when(kiosk["last_contact_at"], config.language, "UTC")
        click.echo(
            f"{kiosk['origin']}  {kiosk['building']}  {state}"
            f"  last contact {f'{last} UTC' if last else 'never'}"
            f"  held {kiosk['events_held']}  lag {kiosk['lag']}"
        )
    click.echo(f"{summary['events']} events held, {summary['conflict_count']} conflicts.")


def sqlite_hub_path(config: Config) -> Path:
    """The SQLite hub a migration copies by default: the configured store if it is a file,
    else ``[sync] hub_database`` or ``<data_dir>/hub.sqlite3`` (where it was before)."""
    value = hub_database_path(config)
    if not is_postgresql(value):
        return Path(value)
    old = config["sync"]["hub_database"]
    return Path(old).expanduser() if old else config.data_dir / "hub.sqlite3"


@hub.command("migrate-store")
@click.option(
    "--to", "target", metavar="URL", help="The PostgreSQL database (default: [hub] database)."
)
@click.option(
    "--from",
    "source",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The SQLite hub to copy (default: the configured one, else <data_dir>/hub.sqlite3).",
)
@click.option("--check", "check_only", is_flag=True, help="Only compare an existing copy.")
@click.option("--batch", type=click.IntRange(1, 100_000), default=BATCH_ROWS, show_default=True)
@click.pass_context
def hub_migrate_store(ctx, target, source, check_only, batch):
    """Copy a SQLite hub into an empty PostgreSQL database, then check the copy.

    Stop the hub first. The copy is one transaction: cut in the middle, it leaves the target
    empty; run it again. Every table is compared row by row (counts and digests); any
    difference is reported, nothing is kept, and the command fails. The hub's key and mail
    secret are copied to <data_dir>/hub-key.pem and <data_dir>/hub-mail-secret, where a
    PostgreSQL hub keeps them. Then set [hub] database to the URL and start the hub.
    A password is better in ~/.pgpass or PGPASSWORD than in the URL (ps shows arguments).

    \b
    Example:
        kiosk hub migrate-store --to postgresql://kiosk_hub@localhost/kiosk_hub
        kiosk hub migrate-store --to postgresql://kiosk_hub@localhost/kiosk_hub --check
    """
    config = _config(ctx)
    target = target or hub_database_path(config)
    if not is_postgresql(target):
        raise click.ClickException("give the PostgreSQL database: --to postgresql://...")
    source = source or sqlite_hub_path(config)
    files = hub_files(config)
    try:
        if check_only:
            report = check_copy(source, target, files_to=files)
        else:
            report = copy_store(source, target, files_to=files, batch=batch)
    except StoreCopyRefused as exc:
        raise click.ClickException(f"nothing copied: {exc}") from None
    for line in report.lines():
        click.echo(line)
    if not report.identical:
        ctx.exit(1)
    if not check_only:
        click.echo("Now set [hub] database to this URL in the config, then start the hub.")


@click.command("enrol")
@click.argument("url")
@click.argument("code")
@click.pass_context
def enrol_command(ctx, url, code):
    """Enrol this kiosk at the hub at URL with a one-time CODE from the hub's administrator.

    \b
    Example:
        kiosk enrol https://hub.example.org BCDF-GHJK-LNPR
    """
    config = _config(ctx)
    try:
        answer = enrol(_kiosk_db(config), config, url, code)
    except SyncError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Enrolled at {url} as kiosk {answer['origin']} of {answer['building']}.")


@click.command("sync")
@click.pass_context
def sync_command(ctx):
    """Sync with the hub now: send this kiosk's new events, receive the network's.

    \b
    Example:
        kiosk sync
    """
    config = _config(ctx)
    db = _kiosk_db(config)
    if not sync_state.is_enrolled(db):
        if restoring(db):
            raise click.ClickException(
                "the restore from the hub was cut before the hub gave this kiosk its id: "
                "run kiosk restore-from-hub URL CODE again (the same code works)"
            )
        raise click.ClickException("this kiosk is not enrolled at a hub: kiosk enrol URL CODE")
    try:
        result = SyncClient(db, config).sync()
    except SyncError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Sent {result.pushed} events, received {result.pulled} ({result.applied} new). "
        f"Waiting to be sent: {sync_state.pending_count(db)}."
    )


@click.command("restore-from-hub")
@click.argument("url")
@click.argument("code")
@click.pass_context
def restore_command(ctx, url, code):
    """Rebuild this kiosk (new SD card, empty data folder) from the hub's copy of its events.

    CODE comes from `kiosk hub enrol-code BUILDING --restore ORIGIN` on the hub. Cards and
    PINs never left the old kiosk: every resident needs a new card and PIN afterwards. If the
    restore is cut (network, power), run the same command again, or `kiosk sync`: it goes on
    from where it stopped; nothing can be recorded on the kiosk until it is complete.

    \b
    Example:
        kiosk restore-from-hub https://hub.example.org BCDF-GHJK-LNPR
    """
    config = _config(ctx)
    db = _kiosk_db(config)
    try:
        result = restore_from_hub(db, config, url, code)
    except SyncError as exc:
        now = restore_progress(db)
        if now is None:
            raise click.ClickException(str(exc)) from None
        raise click.ClickException(
            f"{exc}\nThe restore stopped at {now.done} events of {now.total}; nothing can be "
            "recorded on this kiosk until it is complete. Run this command again (the same "
            "code works) or `kiosk sync`: it goes on from there."
        ) from None
    click.echo(
        f"Kiosk {result.origin} of {result.building} restored"
        f"{' (resumed)' if result.resumed else ''}: {result.events} events, "
        f"{result.residents} residents. Print a new card and set a new PIN for each resident."
    )
    if result.sync_error:
        click.echo(
            f"The first sync after the restore failed ({result.sync_error}); the kiosk tries "
            "again by itself."
        )


def register(group: click.Group) -> None:
    group.add_command(hub)
    group.add_command(enrol_command)
    group.add_command(sync_command)
    group.add_command(restore_command)

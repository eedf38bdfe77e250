"""Sync commands: ``kiosk hub serve|enrol-code|revoke|kiosks``, ``kiosk enrol``, ``kiosk sync``,
``kiosk restore-from-hub``. ``register(group)`` adds them to the main ``kiosk`` group."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk import formatting, store
from kiosk.config import Config


def _config(ctx: click.Context) -> Config:
    return ctx.obj["config"]


def hub_database_path(config: Config) -> Path:
    value = config["sync"]["hub_database"]
    return Path(value).expanduser() if value else config.data_dir / "hub.sqlite3"


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
    from waitress import serve as waitress_serve

    from sync.hub import create_hub_app

    config = _config(ctx)
    path = hub_database_path(config)
    app = create_hub_app(path)
    host = host or config["sync"]["hub_host"]
    port = port or config["sync"]["hub_port"]
    click.echo(f"Hub at http://{host}:{port}/  (database {path})")
    waitress_serve(app, host=host, port=port, threads=threads, ident="kiosk-hub")


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
    from sync import hub_store

    db = hub_store.connect_hub(hub_database_path(_config(ctx)))
    try:
        code = hub_store.create_enrol_code(db, building, restore_origin=restore_origin)
    except hub_store.HubRefusal as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Enrolment code: {code}")
    click.echo(
        "On the kiosk: kiosk "
        + ("restore-from-hub" if restore_origin else "enrol")
        + f" URL {code}"
    )


@hub.command("revoke")
@click.argument("origin")
@click.pass_context
def hub_revoke(ctx, origin):
    """Refuse every further request of kiosk ORIGIN (a stolen or retired kiosk).

    \b
    Example:
        kiosk hub revoke BCDFGH
    """
    from sync import hub_store

    db = hub_store.connect_hub(hub_database_path(_config(ctx)))
    if not hub_store.revoke(db, origin):
        raise click.ClickException(f"no kiosk {origin} is enrolled at this hub")
    click.echo(f"Kiosk {origin} revoked: the hub refuses its requests from now on.")


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
    from sync import hub_store

    db = hub_store.connect_hub(hub_database_path(_config(ctx)))
    try:
        hub_store.set_dashboard_password(db, password)
    except hub_store.HubRefusal as exc:
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
    from sync import hub_store

    config = _config(ctx)
    summary = hub_store.dashboard(hub_store.connect_hub(hub_database_path(config)))
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
    from sync import client

    config = _config(ctx)
    try:
        answer = client.enrol(_kiosk_db(config), config, url, code)
    except client.SyncError as exc:
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
    from sync import client

    config = _config(ctx)
    db = _kiosk_db(config)
    if not client.is_enrolled(db):
        raise click.ClickException("this kiosk is not enrolled at a hub: kiosk enrol URL CODE")
    try:
        result = client.SyncClient(db, config).sync()
    except client.SyncError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Sent {result.pushed} events, received {result.pulled} ({result.applied} new). "
        f"Waiting to be sent: {client.pending_count(db)}."
    )


@click.command("restore-from-hub")
@click.argument("url")
@click.argument("code")
@click.pass_context
def restore_command(ctx, url, code):
    """Rebuild this kiosk (new SD card, empty data folder) from the hub's copy of its events.

    CODE comes from `kiosk hub enrol-code BUILDING --restore ORIGIN` on the hub. Cards and
    PINs never left the old kiosk: every resident needs a new card and PIN afterwards.

    \b
    Example:
        kiosk restore-from-hub https://hub.example.org BCDF-GHJK-LNPR
    """
    from sync import client

    config = _config(ctx)
    try:
        result = client.restore_from_hub(_kiosk_db(config), config, url, code)
    except client.SyncError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Kiosk {result.origin} of {result.building} restored: {result.events} events, "
        f"{result.residents} residents. Print a new card and set a new PIN for each resident."
    )


def register(group: click.Group) -> None:
    group.add_command(hub)
    group.add_command(enrol_command)
    group.add_command(sync_command)
    group.add_command(restore_command)

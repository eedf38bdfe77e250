"""The ``kiosk`` command: set up, fill with demo data, serve, manage residents.

Every command wraps the same domain functions as the web pages. ``kiosk --help`` is the
reference; each command's help has an example.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import click

import home
from kiosk import __version__, cli_ops, formatting, pin_hashing, serving, store
from kiosk import demo as demo_data
from kiosk.app import create_app
from kiosk.background import start_background
from kiosk.config import Config, ConfigError, load_config
from kiosk.errors import KioskError
from kiosk.i18n import fill, gettext_for, ngettext_for
from kiosk.residents import residents
from kiosk.secrets_file import load_or_create_secret_key
from kiosk.store import keys
from sync import cli as sync_cli


def _translate(exc: KioskError, config: Config) -> str:
    """A domain error in the kiosk's language, its dates, times and words written as on the
    screens."""
    if isinstance(exc.msgid, tuple):
        message = ngettext_for(config.language)(*exc.msgid, exc.params[exc.count_param])
    else:
        message = gettext_for(config.language)(exc.msgid)
    if not exc.params:
        return message
    values = formatting.message_values(exc.params, config.language, config.timezone)
    return fill(message, values, config.language)


def _open_db(config: Config):
    return store.connect(config.database_path, busy_timeout_ms=config["storage"]["busy_timeout_ms"])


class KioskGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise click.ClickException(f"configuration error: {exc}") from None
        except KioskError as exc:
            config = (ctx.obj or {}).get("config")
            raise click.ClickException(_translate(exc, config) if config else str(exc)) from None


@click.group(cls=KioskGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="KIOSK_CONFIG",
    help="TOML config file (default: $KIOSK_CONFIG, else the embedded defaults).",
)
@click.version_option(__version__, prog_name="kiosk")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """The building kiosk: neighbours' exchanges in CEEC, at a touchscreen in the hall.

    \b
    Example:
        kiosk init --admin-apartment A-001 --admin-name "Claire Petit"
        kiosk serve
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    # The hub serves the residents' home site beside it (``kiosk hub serve``).
    ctx.obj = {"config": config, "hub_extensions": (home.attach,)}


def _config(ctx: click.Context) -> Config:
    return ctx.obj["config"]


@main.command()
@click.option("--admin-apartment", help="Apartment of the first administrator, e.g. A-001.")
@click.option("--admin-name", help="Name of the first administrator.")
@click.option(
    "--admin-pin", help="PIN of the first administrator (4 to 6 digits); asked if missing."
)
@click.pass_context
def init(ctx, admin_apartment, admin_name, admin_pin):
    """Create the database, the secret key and (optionally) the first administrator.

    Running it again is harmless: an existing database is upgraded, never erased.

    \b
    Example:
        kiosk init --admin-apartment A-001 --admin-name "Claire Petit" --admin-pin 4821
    """

    config = _config(ctx)
    db = _open_db(config)
    kiosk = store.kiosk_id(db)
    load_or_create_secret_key(config.secret_key_path)
    pin_hashing.pepper(db)
    click.echo(f"Database: {config.database_path} (kiosk id {kiosk})")
    click.echo(f"Secret key: {config.secret_key_path}")
    click.echo(
        f"PIN pepper: {pin_hashing.pepper_path(config.database_path)} "
        "(keep a copy apart from the backups: without it every PIN must be set again)"
    )

    keys.publish_public_key(db, config)
    click.echo(f"Signing key: {keys.key_path(config)}")
    if admin_apartment and admin_name:
        if admin_pin is None:
            admin_pin = click.prompt(
                "PIN (4 to 6 digits)", hide_input=True, confirmation_prompt=True
            )
        admin = residents.register(
            db,
            apartment=admin_apartment,
            name=admin_name,
            pin=admin_pin,
            role="admin",
            status="verified",
        )
        click.echo(f"Administrator added: {admin.name} ({admin.apartment})")


@main.command()
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing when the building already has exchanges, or residents other than the "
    "administrators made by `kiosk init`.",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed of the demo.")
@click.pass_context
def demo(ctx, if_empty, seed):
    """Fill the database with a believable demo building (30 residents, months of exchanges).

    Every demo resident's PIN is 1234; the administrator is Claire Petit, apartment A-001.

    \b
    Example:
        kiosk demo --if-empty
    """

    config = _config(ctx)
    db = _open_db(config)
    if if_empty and not demo_data.building_is_empty(db):
        click.echo("The building already has residents or exchanges; demo data not added.")
        return

    keys.publish_public_key(db, config)
    summary = demo_data.populate(db, config, seed=seed)
    click.echo(
        f"Demo building ready: {summary['residents']} residents, {summary['exchanges']} exchanges. "
        "Every PIN is 1234; administrator: A-001 Claire Petit."
    )


@main.command()
@click.option("--host", help="Address to listen on (default from config: 127.0.0.1).")
@click.option("--port", type=int, help="Port (default from config: 8080).")
@click.option("--threads", type=int, default=6, show_default=True)
@click.pass_context
def serve(ctx, host, port, threads):
    """Serve the kiosk with waitress, and start the printer worker and scheduled jobs.

    \b
    Example:
        kiosk serve --port 8080
    """

    config = _config(ctx)
    app = create_app(config)
    keys.publish_public_key(_open_db(config), config)
    host = host or config["kiosk"]["host"]
    port = port or config["kiosk"]["port"]
    stop = start_background(config, app)
    click.echo(f"Kiosk at http://{host}:{port}/  (database {config.database_path})")
    # A normal stop (systemd, ``kill``) ends like Ctrl-C: the print worker finishes the job on
    # the wire or hands it back untouched (printing/worker.py), instead of dying mid-job.
    signal.signal(signal.SIGTERM, _stop_serving)
    try:
        serving.serve(app, host=host, port=port, threads=threads, ident="kiosk")
    finally:
        stop()


def _stop_serving(signum, frame) -> None:
    raise SystemExit(0)


@main.command("add-resident")
@click.argument("apartment")
@click.argument("name")
@click.option("--pin", help="PIN (4 to 6 digits); asked if missing.")
@click.option("--admin", is_flag=True, help="Give administrator access.")
@click.option("--pending", is_flag=True, help="Start as pending (not yet verified).")
@click.option("--print-card/--no-print-card", default=True, show_default=True)
@click.pass_context
def add_resident(ctx, apartment, name, pin, admin, pending, print_card):
    """Add a resident (and print their member card).

    \b
    Example:
        kiosk add-resident B-204 "Jeanne Martin" --pin 2580
    """
    config = _config(ctx)
    db = _open_db(config)
    if pin is None:
        pin = click.prompt("PIN (4 to 6 digits)", hide_input=True, confirmation_prompt=True)
    resident = residents.register(
        db,
        apartment=apartment,
        name=name,
        pin=pin,
        role="admin" if admin else "resident",
        status="pending" if pending else "verified",
    )
    click.echo(f"Added {resident.name} ({resident.apartment}).")
    if print_card:
        residents.issue_card(db, resident.id, building=config["building"]["name"])
        click.echo("Member card queued for printing.")


@main.command("print-card")
@click.argument("apartment")
@click.argument("name", required=False)
@click.pass_context
def print_card(ctx, apartment, name):
    """Print a new member card; the resident's previous card stops working at once.

    \b
    Example:
        kiosk print-card B-204 "Jeanne Martin"
    """
    config = _config(ctx)
    db = _open_db(config)
    person = _one_resident(db, apartment, name)
    residents.issue_card(db, person.id, building=config["building"]["name"])
    click.echo(f"New card for {person.name} ({person.apartment}) queued for printing.")


def _one_resident(db, apartment: str, name: str | None) -> residents.Resident:
    people = residents.in_apartment(db, residents.clean_apartment(apartment))
    if name:
        people = [p for p in people if p.name.casefold() == name.strip().casefold()]
    if not people:
        raise click.ClickException(f"nobody called {name or '...'} in apartment {apartment}")
    if len(people) > 1:
        names = ", ".join(p.name for p in people)
        raise click.ClickException(f"several residents in {apartment} ({names}): give the name too")
    return people[0]


@main.command("set-pin")
@click.argument("apartment")
@click.argument("name", required=False)
@click.option("--pin", help="PIN (4 to 6 digits); asked if missing.")
@click.pass_context
def set_pin(ctx, apartment, name, pin):
    """Set a resident's PIN and lift any lockout (e.g. the volunteer's own, on a kiosk restored
    without its pin_pepper file or from the hub: PINs never leave a kiosk).

    \b
    Example:
        kiosk set-pin A-001 "Claire Petit"
    """
    config = _config(ctx)
    db = _open_db(config)
    person = _one_resident(db, apartment, name)
    if pin is None:
        pin = click.prompt("PIN (4 to 6 digits)", hide_input=True, confirmation_prompt=True)
    residents.set_pin(db, person.id, pin)
    click.echo(f"New PIN set for {person.name} ({person.apartment}).")


@main.command()
@click.argument("target", type=click.Path(dir_okay=False))
@click.pass_context
def rebuild(ctx, target):
    """Replay the event log into a fresh database file TARGET and check it matches.

    \b
    Example:
        kiosk rebuild /tmp/rebuilt.sqlite3
    """
    config = _config(ctx)
    db = _open_db(config)
    rebuilt = store.rebuild(db, Path(target))
    same = store.projection_snapshot(rebuilt) == store.projection_snapshot(db)
    click.echo(f"Rebuilt into {target}: projections {'identical' if same else 'DIFFERENT'}.")
    if not same:
        sys.exit(1)


# Commands of other areas: backup/restore/check-db, and the hub and sync commands.
cli_ops.register(main)
sync_cli.register(main)

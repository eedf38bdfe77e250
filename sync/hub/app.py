"""The hub: a small Flask app, served by waitress, that relays kiosks' events (its routes:
``sync.hub.routes``). The dashboard speaks the administrator's browser language."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import Flask, request
from flask_babel import Babel

from kiosk import formatting
from kiosk.config import Config, make_config
from kiosk.i18n import TRANSLATIONS_DIR
from kiosk.store import ConnectionPool
from sync.hub import home_routes, mail_routes, routes, signing
from sync.hub.dashboard import PasswordThrottle
from sync.hub.group_commit import GroupCommit
from sync.hub.mail import MailSender, MailSettings
from sync.hub.schema import connect_hub, open_hub
from sync.hub.sms import SmsSender, SmsSettings

MAX_REQUEST_BYTES = 16 * 1024 * 1024


def _dashboard_language() -> str:
    return request.accept_languages.best_match(["fr", "en"], default="fr")


def _short_time(text: str | None) -> str:
    """A time the hub stored (ISO 8601, UTC) as the administrator's language writes it, in UTC
    (the dashboard says so)."""
    try:
        return formatting.when(text, _dashboard_language(), "UTC")
    except ValueError:
        return text


def create_hub_app(
    database_path: str | Path,
    mail: MailSettings | None = None,
    sms: SmsSettings | None = None,
    *,
    files: str | Path | None = None,
    config: Config | None = None,
    extensions: Iterable[Callable[[Flask], None]] = (),
) -> Flask:
    """The hub's WSGI app on its store: the SQLite file ``database_path`` (created if missing)
    or a ``postgresql://`` URL (several apps, in several processes, may share one database;
    ``files``: the path its key and mail secret extend, ``sync.hub.db.files_prefix``).
    ``mail``: the SMTP relay of ``[hub.mail]``; the app then runs the mail sender
    (``app.extensions[routes.MAIL]``, stopped with ``stop_hub_app``). None: nothing is sent.
    ``sms``: the gateway of ``[hub.sms]``, likewise (``app.extensions[routes.SMS]``).
    ``config``: the configuration the hub was started with (``app.config["KIOSK_CONFIG"]``,
    the defaults if None). ``extensions``: functions given the app once it is made, to add
    what a higher package serves beside the hub (the residents' home site: ``home.attach``;
    ``sync`` never imports them)."""
    app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))
    app.config.update(
        HUB_DATABASE=str(database_path),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        KIOSK_CONFIG=config or make_config(),
    )
    db = connect_hub(database_path, files=files)  # create or upgrade once, before serving
    try:
        signing.prepare(db)  # the hub's key, and seals for what came before them
    finally:
        db.close()
    # The dashboard speaks the administrator's browser language, French unless English is
    # preferred (the kiosk's own catalogues).
    Babel(
        app,
        locale_selector=_dashboard_language,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )
    app.context_processor(lambda: {"lang": _dashboard_language()})
    app.add_template_filter(_short_time, "when")

    # One connection per server thread, kept open (migrated once above): opening one per
    # request cost a connection set-up and, on close, a checkpoint of the whole WAL.
    pool = ConnectionPool(lambda: open_hub(app.config["HUB_DATABASE"], files=files))
    weakref.finalize(app, pool.close_all)
    app.extensions[routes.POOL] = pool
    app.extensions[routes.THROTTLE] = PasswordThrottle()
    app.extensions[routes.GROUP_COMMIT] = GroupCommit()
    app.register_blueprint(routes.bp)
    app.register_blueprint(mail_routes.bp)
    app.register_blueprint(home_routes.bp)
    if mail is not None:
        sender = app.extensions[routes.MAIL] = MailSender(database_path, mail, files=files).start()
        weakref.finalize(app, sender.stop)
    if sms is not None:
        texter = app.extensions[routes.SMS] = SmsSender(database_path, sms, files=files).start()
        weakref.finalize(app, texter.stop)
    for extend in extensions:
        extend(app)
    return app


def stop_hub_app(app: Flask) -> None:
    """Stop what runs beside the app's requests (the mail and SMS senders)."""
    for name in (routes.MAIL, routes.SMS):
        sender = app.extensions.get(name)
        if sender is not None:
            sender.stop()

"""The kiosk's web app: the app factory registers every feature's blueprint on the web shell."""

from __future__ import annotations

import logging
import time
import weakref

from flask import Flask, current_app, g, render_template, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect

from kiosk import __version__, store
from kiosk.admin import views as admin
from kiosk.admin import views_exports as exports
from kiosk.admin import views_health as health
from kiosk.admin import views_printer as printer_admin
from kiosk.admin import views_sync as sync_admin
from kiosk.board.views import bp as board_bp
from kiosk.board.views_loans import bp as loans_bp
from kiosk.board.views_requests import bp as requests_bp
from kiosk.community import views as community
from kiosk.community import views_polls as polls
from kiosk.config import Config, load_config
from kiosk.errors import KioskError
from kiosk.i18n import TRANSLATIONS_DIR
from kiosk.ledger import views_exchange as exchange
from kiosk.ledger import views_me as me
from kiosk.ledger.views_stats import bp as stats_bp
from kiosk.projects import views as projects
from kiosk.projects import views_purchases as purchases
from kiosk.residents import views_contact as contact
from kiosk.residents import views_devices as devices
from kiosk.residents import views_login as login
from kiosk.residents import views_verification as verification
from kiosk.secrets_file import load_or_create_secret_key
from kiosk.vouchers import views as vouchers
from kiosk.vouchers import views_admin as voucher_admin
from kiosk.web import formatting, once, safety, session_state, urls
from kiosk.web.formatting import gettext

log = logging.getLogger(__name__)
csrf = CSRFProtect()


def _select_locale() -> str:
    config: Config = g.get("config") or _app_config()
    lang = session.get("lang")
    return lang if lang in ("fr", "en") else config.language


def _app_config() -> Config:
    return current_app.config["KIOSK"]


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(
        KIOSK=config,
        SECRET_KEY=load_or_create_secret_key(config.secret_key_path),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_NAME="kiosk_session",
        # A kiosk page can sit for hours on the idle screen: tokens live as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
        BABEL_DEFAULT_LOCALE=config.language,
        BABEL_DEFAULT_TIMEZONE=config["kiosk"]["timezone"],
        MAX_CONTENT_LENGTH=256 * 1024,
        STARTED_AT=time.time(),
        VERSION=__version__,
    )
    # Create or upgrade the database once, before serving.
    db = store.connect(config.database_path, busy_timeout_ms=config["storage"]["busy_timeout_ms"])
    store.kiosk_id(db)
    db.close()

    @app.before_request
    def open_request() -> None:
        g.config = config

    csrf.init_app(app)  # after open_request: its error page needs g.config
    Babel(
        app, locale_selector=_select_locale, timezone_selector=lambda: config["kiosk"]["timezone"]
    )
    formatting.init_app(app)
    urls.init_app(app)
    safety.init_app(app)

    pool = store.ConnectionPool(
        lambda: store.connect(
            config.database_path,
            busy_timeout_ms=config["storage"]["busy_timeout_ms"],
            migrate=False,
        )
    )
    app.extensions["kiosk_db_pool"] = pool
    weakref.finalize(app, pool.close_all)

    @app.teardown_appcontext
    def release_db(_exc) -> None:
        db = g.pop("db", None)
        if db is not None:
            pool.release(db)

    session_state.init_app(app)
    once.init_app(app)
    for blueprint in (
        login.bp,
        me.bp,
        contact.bp,
        devices.bp,
        exchange.bp,
        admin.bp,
        vouchers.bp,
        voucher_admin.bp,
        board_bp,
        requests_bp,
        loans_bp,
        stats_bp,
        projects.bp,
        purchases.bp,
        community.bp,
        polls.bp,
        verification.bp,
        health.bp,
        printer_admin.bp,
        sync_admin.bp,
        exports.bp,
    ):
        app.register_blueprint(blueprint)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_template(
            "error.html",
            title=gettext("Page expired"),
            message=gettext("This page had expired. Please try again."),
        ), 400

    @app.errorhandler(KioskError)
    def kiosk_error(exc: KioskError):
        return render_template(
            "error.html", title=gettext("Refused"), message=formatting.error_message(exc)
        ), 400

    @app.errorhandler(404)
    def not_found(_exc):
        return render_template(
            "error.html",
            title=gettext("Page not found"),
            message=gettext("This page does not exist."),
        ), 404

    @app.errorhandler(413)
    def too_large(_exc):
        return render_template(
            "error.html", title=gettext("Refused"), message=gettext("What was sent is too large.")
        ), 413

    @app.errorhandler(500)
    def server_error(exc):
        log.exception("unexpected error on %s", request.path)
        return render_template(
            "error.html",
            title=gettext("Something went wrong"),
            message=gettext("Nothing was lost. Please try again, or ask the kiosk volunteer."),
        ), 500

    return app

"""The hub: a small Flask app, served by waitress, that relays kiosks' events.

``POST /api/enrol`` (a one-time code, no signature yet), then signed requests only:
``POST /api/push`` (a gzip batch of the kiosk's own events), ``GET /api/pull?after=N&limit=M``
(pages by ``hub_seq``), ``GET /api/status``. ``GET /`` is the administrator's dashboard.
Refusals are JSON ``{"error": code, "message": ...}`` with a 4xx status, never retried by kiosks.
"""

from __future__ import annotations

import weakref
from pathlib import Path

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import Babel

from kiosk import formatting
from kiosk.i18n import TRANSLATIONS_DIR
from kiosk.store import ConnectionPool
from sync import hub_store, protocol
from sync.hub_store import BadRequest, HubRefusal

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


def create_hub_app(database_path: str | Path) -> Flask:
    """The hub's WSGI app on the SQLite store at ``database_path`` (created if missing)."""
    app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))
    app.config.update(HUB_DATABASE=str(database_path), MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES)
    hub_store.connect_hub(database_path).close()  # create or upgrade once, before serving
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
    pool = ConnectionPool(lambda: hub_store.open_hub(app.config["HUB_DATABASE"]))
    weakref.finalize(app, pool.close_all)

    def hub_db():
        if "hub_db" not in g:
            g.hub_db = pool.connection()
        return g.hub_db

    @app.teardown_appcontext
    def end_request(_exc) -> None:
        db = g.pop("hub_db", None)
        if db is not None:
            pool.release(db)  # never carry a transaction over

    @app.errorhandler(HubRefusal)
    def refused(exc: HubRefusal):
        return jsonify(exc.as_json()), exc.status

    @app.errorhandler(413)
    def too_large(_exc):
        return jsonify({"error": "too_large", "message": "request body too large"}), 413

    def signed_path() -> str:
        return request.path + (
            f"?{request.query_string.decode('ascii', 'replace')}" if request.query_string else ""
        )

    def signed_kiosk(body: bytes) -> hub_store.Kiosk:
        return hub_store.authenticate(
            hub_db(), request.method, signed_path(), body, request.headers
        )

    def verified(body: bytes) -> tuple[hub_store.Kiosk, int]:
        """The signing kiosk and its request counter, not used up yet: the request's own write
        transaction does that (one commit per request instead of two)."""
        return hub_store.verify_request(
            hub_db(), request.method, signed_path(), body, request.headers
        )

    def decoded(body: bytes):
        try:
            return protocol.decode_body(body)
        except protocol.ProtocolError as exc:
            raise BadRequest(str(exc)) from exc

    def gzip_json(text: str) -> Response:
        response = Response(protocol.encode_json_text(text), content_type=protocol.CONTENT_TYPE)
        response.headers["Content-Encoding"] = protocol.CONTENT_ENCODING
        return response

    @app.post("/api/enrol")
    def enrol():
        body = request.get_data()
        data = decoded(body)
        if not isinstance(data, dict) or not isinstance(data.get("code"), str):
            raise BadRequest("enrolment needs a code, an origin and a public key")
        public_key = data.get("public_key")
        if not isinstance(public_key, str):
            raise BadRequest("enrolment needs the kiosk's public key")
        try:
            key = protocol.public_key_from_b64(public_key)
            protocol.verify_signature(
                key,
                protocol.read_signature(request.headers),
                "POST",
                "/api/enrol",
                body,
                str(data.get("origin") or ""),
                0,
            )
        except (protocol.ProtocolError, protocol.SignatureError) as exc:
            raise hub_store.Unauthenticated(
                f"enrolment not signed by the key it enrols: {exc}"
            ) from exc
        kiosk = hub_store.enrol(hub_db(), data["code"], data.get("origin") or None, public_key)
        return jsonify(hub_store.kiosk_status(hub_db(), kiosk))

    @app.post("/api/push")
    def push():
        body = request.get_data()
        kiosk, counter = verified(body)
        try:
            batch = decoded(body)
        except BadRequest:
            hub_store.use_counter(hub_db(), kiosk, counter)
            raise
        return jsonify(hub_store.accept_batch(hub_db(), kiosk, batch, counter=counter))

    @app.get("/api/pull")
    def pull():
        kiosk, counter = verified(b"")
        try:
            after = int(request.args.get("after", "0"))
            limit = int(request.args.get("limit", "500"))
        except ValueError as exc:
            hub_store.use_counter(hub_db(), kiosk, counter)
            raise BadRequest("after and limit are whole numbers") from exc
        include_own = request.args.get("own") == "1"
        text, _last, _count = hub_store.events_page(
            hub_db(), kiosk, after, limit, include_own=include_own, counter=counter
        )
        return gzip_json(text)

    @app.get("/api/status")
    def status():
        kiosk = signed_kiosk(b"")
        return jsonify(hub_store.kiosk_status(hub_db(), kiosk))

    @app.get("/")
    def dashboard():
        # The dashboard names every building and kiosk: only for the hub's administrator
        # (HTTP basic authentication; put the hub behind HTTPS on the internet).
        db = hub_db()
        if not hub_store.dashboard_password_set(db):
            return render_template("hub_locked.html"), 403
        auth = request.authorization
        if (
            auth is None
            or auth.type != "basic"
            or not hub_store.check_dashboard_password(db, auth.password or "")
        ):
            return Response(
                "Password required. Mot de passe requis.\n",
                401,
                {
                    "WWW-Authenticate": 'Basic realm="Kiosk hub"',
                    "Content-Type": "text/plain; charset=utf-8",
                },
            )
        return render_template("hub_dashboard.html", hub=hub_store.dashboard(db))

    return app

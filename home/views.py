"""The home site's pages, for a paired device: home, statement, board, lending, projects and
group purchases, polls, payment requests, papers. Every figure comes from the kiosk's own
read and domain functions on the building's replica (home/site.py ``building_db``)."""

from __future__ import annotations

from flask import Blueprint, abort, g, request

from home import reads
from home.site import building_db, language_switch, render, session_required
from kiosk.board import board, lending, payment_requests
from kiosk.board.board import DIRECTIONS, KINDS, PRICE_MODES
from kiosk.community import alerts, notices, polls
from kiosk.errors import KioskError
from kiosk.ledger import ledger
from kiosk.residents import contact, residents
from kiosk.web.formatting import error_message
from sync.hub import home_requests
from sync.hub.routes import hub_db

bp = Blueprint(
    "home",
    __name__,
    url_prefix="/home",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def _me() -> residents.Resident:
    try:
        return residents.get(building_db(), g.home_session.resident_id)
    except KioskError:
        abort(404)


@bp.get("/")
@session_required
def index():
    db = building_db()
    return render(
        "home/index.html",
        me=_me(),
        alerts=alerts.active_alerts(db),
        notices=notices.current_notices(db, g.config, limit=10),
        recent=ledger.latest_lines(db, _me(), limit=5),
        synced=home_requests.last_sync_of(hub_db(), g.home_session.building),
    )


@bp.get("/statement")
@session_required
def statement():
    try:
        month = ledger.parse_month(request.args.get("month"))
    except KioskError:
        month = None
    st = ledger.statement(building_db(), g.config, g.home_session.resident_id, month=month)
    return render("home/statement.html", me=_me(), st=st)


@bp.get("/board")
@session_required
def board_page():
    try:
        number = int(request.args.get("page", "1"))
    except ValueError:
        number = 1
    found = board.browse(
        building_db(),
        g.config,
        direction=request.args.get("direction"),
        text=request.args.get("q"),
        page=number,
    )
    mine = board.posts_of(building_db(), g.config, g.home_session.resident_id)
    return render("home/board.html", me=_me(), found=found, mine=mine, directions=DIRECTIONS)


@bp.get("/board/new")
@session_required
def board_new():
    return render(
        "home/board_new.html",
        me=_me(),
        directions=DIRECTIONS,
        kinds=KINDS,
        price_modes=PRICE_MODES,
        categories=g.config["board"]["categories"],
    )


@bp.get("/lending")
@session_required
def lending_page():
    loans = lending.loans_of(building_db(), g.config, g.home_session.resident_id)
    return render("home/lending.html", me=_me(), loans=loans)


@bp.get("/projects")
@session_required
def projects_page():
    return render(
        "home/projects.html",
        me=_me(),
        projects=reads.projects_for(building_db(), g.config, g.home_session.resident_id),
    )


@bp.get("/polls")
@session_required
def polls_page():
    me = _me()
    return render(
        "home/polls.html", me=me, polls=polls.all_polls(building_db(), g.config, voter=me)
    )


@bp.get("/payments")
@session_required
def payments_page():
    db = building_db()
    me = _me()
    return render(
        "home/payments.html",
        me=me,
        requests=payment_requests.requests_of(db, me.id),
        neighbours=[r for r in residents.verified_residents(db) if r.id != me.id],
        categories=g.config["board"]["categories"],
    )


@bp.get("/papers")
@session_required
def papers_page():
    db = building_db()
    me = _me()
    return render("home/papers.html", me=me, **reads.papers_of(db, me))


@bp.get("/told")
@session_required
def told_page():
    """How to be told (e-mail, SMS, answers): the same choice as the kiosk's "Être prévenu",
    sent to the kiosk as the action ``contact.set``."""
    me = _me()
    return render("home/told.html", me=me, current=contact.contact_of(building_db(), me.id))


@bp.post("/language")
def language():
    return language_switch()


@bp.app_template_global("home_error")
def home_error(exc: KioskError) -> str:
    return error_message(exc)

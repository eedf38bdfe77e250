"""The board of the building: browse and search, post, answer, withdraw, print the sheet;
the poster's messages; super neighbours (admin)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from kiosk import signals
from kiosk.board import board, lending, payment_requests
from kiosk.board import messages as board_messages
from kiosk.board import sheet as board_sheet
from kiosk.errors import N_, InvalidInput, KioskError, NotFound
from kiosk.residents import residents
from kiosk.web import once
from kiosk.web.formatting import error_message, gettext, locale_code
from kiosk.web.page_cache import LRUCache, log_version
from kiosk.web.session_state import admin_required, current_resident, db, login_required

bp = Blueprint("board", __name__, template_folder="templates", url_prefix="/board")

PAGE_CACHE_SIZE = 256  # board pages and searches (a few kB each)


@bp.record_once
def _page_cache(state) -> None:
    state.app.extensions["board_pages"] = LRUCache(PAGE_CACHE_SIZE)


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) < 6 else 1


@bp.app_template_global()
def board_url(filters: dict, **changes) -> str:
    """The board's own URL with these filters (and page), empty ones left out."""
    params = {key: value for key, value in {**filters, **changes}.items() if value}
    return url_for("board.index", **params)


@bp.get("/")
def index():
    args = request.args
    filters = {
        key: args.get(key) for key in ("direction", "kind", "category", "q") if args.get(key)
    }
    if "q" in filters:  # the search reads this much; a longer one would only bloat the cache
        filters["q"] = filters["q"][: board.SEARCH_MAX]
    page = _page_number(args.get("page"))
    me = current_resident()
    # The posts and pager show only projections of the event log: drawn once per log version,
    # day (posts end at midnight), language, query and page, then reused.
    results = current_app.extensions["board_pages"].get_or_make(
        (
            locale_code(),
            request.script_root,
            tuple(sorted(filters.items())),
            page,
            log_version(db()),
            board.today(g.config),
        ),
        lambda: _draw_results(filters, page),
    )
    return render_template(
        "board/index.html",
        filters=filters,
        results=results,
        kinds=board.KINDS,
        categories=board.categories(g.config),
        board_can_help=bool(me) and board.can_post_for_others(db(), me),
    )


def _draw_results(filters: dict, page: int) -> Markup:
    """The list and pager, drawn with only what they show (no per-visitor context)."""
    result = board.browse(
        db(),
        g.config,
        direction=filters.get("direction"),
        kind=filters.get("kind"),
        category=filters.get("category"),
        text=filters.get("q"),
        page=page,
    )
    template = current_app.jinja_env.get_template("board/_results.html")
    return Markup(template.render(result=result, filters=filters, kinds=board.KINDS))


def _post_form_context(me, form, error=None):
    can_help = board.can_post_for_others(db(), me)
    people = residents.verified_residents(db()) if can_help else []
    return {
        "form": form,
        "error": error,
        "kinds": board.KINDS,
        "directions": board.DIRECTIONS,
        "categories": board.categories(g.config),
        "price_modes": board.PRICE_MODES,
        "end_choices": board.END_CHOICES,
        "can_help": can_help,
        "people": people,
    }


@bp.route("/new", methods=["GET", "POST"])
@login_required
@once.guarded
def new():
    me = current_resident()
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":

        def publish_it() -> str:
            price_mode, price = board.parse_price(
                g.config, form.get("price_mode"), form.get("price")
            )
            poster_id = form.get("for_resident") or me.id
            if poster_id != me.id:
                try:
                    residents.get(db(), poster_id)
                except NotFound:
                    raise InvalidInput(N_("Choose the neighbour from the list.")) from None
            post = board.publish(
                db(),
                g.config,
                poster_id=poster_id,
                direction=form.get("direction"),
                kind=form.get("kind"),
                category=form.get("category"),
                title=form.get("title"),
                description=form.get("description"),
                availability=form.get("availability"),
                price_mode=price_mode,
                price=price,
                ends_on=board.end_date(g.config, form.get("ends_in")),
                network=form.get("network") == "1",
                posted_by=me.id,
            )
            return url_for("board.show", post_id=post.id)

        try:
            answer = once.record(publish_it)
        except KioskError as exc:
            return render_template(
                "board/new.html", **_post_form_context(me, form, error_message(exc))
            ), 400
        flash(gettext("Your post is on the board."), "success")
        return answer
    return render_template("board/new.html", **_post_form_context(me, form))


@bp.get("/post/<post_id>")
def show(post_id: str):
    post = board.get_post(db(), g.config, post_id)
    me = current_resident()
    can_withdraw = (
        bool(me)
        and post.active
        and not post.is_remote
        and (me.id in (post.poster_id, post.posted_by) or me.is_admin)
    )
    return render_template(
        "board/show.html", post=post, can_withdraw=can_withdraw, error=None, body=""
    )


@bp.post("/post/<post_id>/answer")
@login_required
@once.guarded
def answer(post_id: str):
    me = current_resident()

    def answer_it() -> str:
        board_messages.answer(db(), g.config, post_id, sender=me, body=request.form.get("body", ""))
        return url_for("board.show", post_id=post_id)

    try:
        answered = once.record(answer_it)
    except KioskError as exc:
        post = board.get_post(db(), g.config, post_id)
        return render_template(
            "board/show.html",
            post=post,
            can_withdraw=False,
            error=error_message(exc),
            body=request.form.get("body", ""),
        ), 400
    flash(
        gettext("Your message was left for your neighbour: they will see it at their next login."),
        "success",
    )
    return answered


@bp.get("/post/<post_id>/exchange")
@login_required
def record_exchange(post_id: str):
    """ "Record the exchange": the exchange form, pre-filled from the post."""
    try:
        fields = board.exchange_prefill(
            g.config, board.get_post(db(), g.config, post_id), current_resident()
        )
    except KioskError as exc:
        flash(error_message(exc), "error")
        return redirect(url_for("board.show", post_id=post_id))
    return redirect(url_for("exchange.new", **fields))


@bp.get("/post/<post_id>/lend")
@login_required
def lend(post_id: str):
    """From a "lend" post: the lending register's form, pre-filled."""
    post = board.get_post(db(), g.config, post_id)
    return redirect(
        url_for(
            "loans.new",
            post=post.id,
            item=post.title,
            borrower=post.poster_id if post.direction == "request" else "",
        )
    )


@bp.post("/post/<post_id>/withdraw")
@login_required
@once.guarded
def withdraw(post_id: str):
    return once.record_flashing(
        lambda: board.withdraw(db(), g.config, post_id, actor=current_resident()),
        url_for("board.show", post_id=post_id),
        gettext("The post was withdrawn from the board. It stays in the history."),
    )


@bp.get("/mine")
@login_required
def mine():
    me = current_resident()
    return render_template("board/mine.html", posts=board.posts_of(db(), g.config, me.id))


@bp.get("/messages")
@login_required
def messages():
    me = current_resident()
    items = board_messages.messages_for(db(), me.id)
    board_messages.mark_read(db(), me.id)  # shown now: the badge goes away
    return render_template("board/messages.html", messages=items)


@bp.post("/messages/<message_id>/print")
@login_required
def print_message(message_id: str):
    try:
        board_messages.queue_message_print(db(), g.config, message_id, resident=current_resident())
    except KioskError as exc:
        flash(error_message(exc), "error")
    else:
        flash(gettext("The message is being printed."), "success")
    return redirect(url_for("board.messages"))


@bp.post("/sheet/print")
@login_required
def print_sheet():
    me = current_resident()
    if not board.can_post_for_others(db(), me):
        abort(403)
    board_sheet.queue_board_sheet(db(), g.config)
    flash(gettext("The board sheet is being printed."), "success")
    return redirect(url_for("board.index"))


@bp.get("/helpers")
@admin_required
def helpers():
    people = [r for r in residents.all_residents(db()) if r.status != "suspended"]
    return render_template("board/helpers.html", people=people, helpers=board.helper_ids(db()))


@bp.post("/helpers/<resident_id>")
@admin_required
@once.guarded
def set_helper(resident_id: str):
    def set_it() -> str:
        board.set_helper(
            db(),
            admin=current_resident(),
            resident_id=resident_id,
            enabled=request.form.get("enabled") == "1",
        )
        return url_for("board.helpers")

    try:
        return once.record(set_it)
    except KioskError as exc:
        flash(error_message(exc), "error")
    return redirect(url_for("board.helpers"))


@bp.app_context_processor
def board_context():
    def board_summary() -> dict:
        """What a resident's home screen shows: unread messages, requests to answer, overdue loans."""
        me = current_resident()
        if me is None:
            return {"unread": 0, "requests": 0, "overdue": []}
        return {
            "unread": board_messages.unread_count(db(), me.id),
            "requests": payment_requests.pending_count(db(), me.id),
            "overdue": lending.overdue(db(), g.config, me.id),
        }

    return {"board_summary": board_summary}


@signals.exchange_subject.connect
def _post_an_exchange_is_about(_sender, *, post_id: str) -> board.Post:
    """The exchange form names the board post it comes from (PostNotFound if there is none)."""
    return board.get_post(db(), g.config, post_id)

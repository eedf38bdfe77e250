"""Polls: the list, one poll with its ballot and results (a bar chart drawn on the server), and
the admin's form to open one."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from kiosk.community import polls
from kiosk.errors import KioskError
from kiosk.web import once
from kiosk.web.formatting import error_message, gettext, ngettext
from kiosk.web.session_state import admin_required, current_resident, db, login_required

bp = Blueprint("polls", __name__, template_folder="templates", url_prefix="/polls")


def results_chart(poll: polls.Poll) -> Markup | None:
    """The results as an SVG bar chart drawn on the server, with a <title> and a <desc> listing
    every answer's votes (the page also shows them as a table); None while they are hidden.

    (kiosk/svg_charts.py, being written for the board, draws the same kind of chart: once it is
    in git, this can become a call to its ``bar_chart``.)
    """
    if not poll.results_visible:
        return None
    rows = [
        (
            option,
            count,
            ngettext("%(num)d vote", "%(num)d votes", count),
        )
        for option, count in zip(poll.options, poll.counts, strict=True)
    ]
    chart_id = f"poll-{poll.reference}"
    width, row_h, label_w, value_w = 720, 34, 260, 100
    height = 8 + row_h * len(rows)
    peak = max((count for _o, count, _t in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(gettext("Results: %(question)s", question=poll.question))}</title>',
        f'<desc id="{chart_id}-desc">{escape("; ".join(f"{o}: {t}" for o, _c, t in rows))}</desc>',
    ]
    font = 'font-family="DejaVu Sans, sans-serif" font-size="15" fill="#111"'
    for index, (option, count, text) in enumerate(rows):
        y = 4 + index * row_h
        bar_w = (width - label_w - value_w) * count / peak
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 22}" text-anchor="end" {font}>{escape(option[:30])}</text>'
        )
        if count:
            parts.append(
                f'<rect x="{label_w}" y="{y + 5}" width="{bar_w:.1f}" height="{row_h - 10}" fill="#0b4f8a"/>'
            )
        parts.append(
            f'<text x="{label_w + bar_w + 6:.1f}" y="{y + 22}" {font}>{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@bp.get("/")
@login_required
def home():
    return render_template(
        "community/polls.html", polls=polls.all_polls(db(), g.config, voter=current_resident())
    )


@bp.get("/<poll_id>")
@login_required
def poll(poll_id: str, error: str | None = None, status: int = 200):
    me = current_resident()
    current = polls.get_poll(db(), g.config, poll_id, voter=me)
    return render_template(
        "community/poll.html",
        poll=current,
        chart=results_chart(current),
        error=error,
        names=polls.public_votes(db(), current),
        per_labels=polls.PER,
        ballot_labels=polls.BALLOTS,
    ), status


@bp.post("/<poll_id>/vote")
@login_required
@once.guarded
def vote(poll_id: str):

    def vote_once() -> str:
        polls.vote(
            db(),
            g.config,
            poll_id,
            voter_id=current_resident().id,
            option=request.form.get("option"),
        )
        return url_for("polls.poll", poll_id=poll_id)

    try:
        answer = once.record(vote_once)
    except KioskError as exc:
        return poll(poll_id, error=error_message(exc), status=400)
    # also when the same vote was sent again: the first answer, word for word
    flash(gettext("Your vote is recorded. You may change it until the poll closes."), "success")
    return answer


@bp.post("/<poll_id>/print")
@login_required
def print_results(poll_id: str):
    try:
        polls.queue_results_print(db(), g.config, poll_id)
    except KioskError as exc:
        flash(error_message(exc), "error")
    else:
        flash(gettext("The results are being printed."), "success")
    return redirect(url_for("polls.poll", poll_id=poll_id))


@bp.route("/new", methods=["GET", "POST"])
@admin_required
@once.guarded
def new():
    error = None
    form = request.form
    if request.method == "POST":

        def open_it() -> str:
            opens_on, closes_on = polls.dates_from_choices(
                g.config, form.get("opens"), form.get("length")
            )
            created = polls.open_poll(
                db(),
                g.config,
                creator_id=current_resident().id,
                question=form.get("question"),
                options=form.getlist("option"),
                opens_on=opens_on,
                closes_on=closes_on,
                per=form.get("per", "resident"),
                ballot=form.get("ballot", "secret"),
                results_hidden=bool(form.get("results_hidden")),
            )
            return url_for("polls.poll", poll_id=created.id)

        try:
            answer = once.record(open_it)
        except KioskError as exc:
            error = error_message(exc)
        else:
            flash(gettext("The poll is open."), "success")
            return answer
    return render_template(
        "community/poll_new.html",
        form=form,
        error=error,
        per_labels=polls.PER,
        ballot_labels=polls.BALLOTS,
        open_choices=polls.OPEN_CHOICES,
        length_choices=polls.LENGTH_CHOICES,
        max_options=polls.MAX_OPTIONS,
    ), (400 if error else 200)

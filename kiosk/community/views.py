"""The building's notice board and urgent alerts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from kiosk import signals
from kiosk.community import alerts, notices, views_idle
from kiosk.errors import KioskError
from kiosk.web import once
from kiosk.web.formatting import error_message, gettext
from kiosk.web.session_state import current_resident, db, login_required

bp = Blueprint("community", __name__, template_folder="templates", url_prefix="/community")


@bp.app_context_processor
def urgent_alerts_banner() -> dict:
    """Urgent alerts not resolved yet: a banner on every screen of the kiosk (see base.html)."""
    return {"active_alerts": alerts.active_alerts(db())}


@signals.welcome_items.connect
def _rotate_on_the_welcome_screen(_sender) -> list[views_idle.IdleItem]:
    """The welcome screen rotates what the lobby may see (kiosk/community/views_idle.py)."""
    return views_idle.idle_items()


@bp.get("/")
@login_required
def home():
    me = current_resident()
    return render_template(
        "community/home.html",
        notices=notices.current_notices(db(), g.config),
        may_raise=alerts.may_raise(g.config, me),
        categories=notices.CATEGORIES,
    )


@bp.route("/notices/new", methods=["GET", "POST"])
@login_required
@once.guarded
def notice_new():
    me = current_resident()
    error = None
    form = request.form
    if request.method == "POST":

        def post_it() -> str:
            starts_on, ends_on = notices.dates_from_choices(
                g.config, form.get("start"), form.get("length")
            )
            notice = notices.post_notice(
                db(),
                g.config,
                author_id=me.id,
                title=form.get("title"),
                body=form.get("body"),
                category=form.get("category"),
                starts_on=starts_on,
                ends_on=ends_on,
                official=bool(form.get("official")),
                network=bool(form.get("network")),
            )
            return url_for("community.notice", notice_id=notice.id)

        try:
            answer = once.record(post_it)
        except KioskError as exc:
            error = error_message(exc)
        else:
            flash(gettext("Your notice is on the board."), "success")
            return answer
    return render_template(
        "community/notice_new.html",
        form=form,
        error=error,
        categories=notices.CATEGORIES,
        start_choices=notices.START_CHOICES,
        length_choices=notices.LENGTH_CHOICES,
    ), (400 if error else 200)


@bp.get("/notices/<notice_id>")
@login_required
def notice(notice_id: str):
    return render_template(
        "community/notice.html",
        notice=notices.get_notice(db(), notice_id),
        categories=notices.CATEGORIES,
    )


@bp.post("/notices/<notice_id>/print")
@login_required
def notice_print(notice_id: str):
    notices.queue_notice_print(db(), g.config, notice_id)
    flash(gettext("The notice is being printed."), "success")
    return redirect(url_for("community.notice", notice_id=notice_id))


@bp.post("/notices/<notice_id>/withdraw")
@login_required
@once.guarded
def notice_withdraw(notice_id: str):
    def withdraw_it() -> str:
        notices.withdraw_notice(db(), notice_id, actor_id=current_resident().id)
        return url_for("community.home")

    try:
        answer = once.record(withdraw_it)
    except KioskError as exc:
        flash(error_message(exc), "error")
        return redirect(url_for("community.notice", notice_id=notice_id))
    flash(gettext("The notice was withdrawn."), "success")
    return answer


@bp.route("/alerts/new", methods=["GET", "POST"])
@login_required
@once.guarded
def alert_new():
    me = current_resident()
    if not alerts.may_raise(g.config, me):
        abort(403)
    error = None
    if request.method == "POST":

        def raise_it() -> str:
            alerts.raise_alert(
                db(),
                g.config,
                raiser_id=me.id,
                kind=request.form.get("kind"),
                text=request.form.get("text"),
            )
            return url_for("community.alert_list")

        try:
            answer = once.record(raise_it)
        except KioskError as exc:
            error = error_message(exc)
        else:
            flash(gettext("The alert is shown on every screen and is being printed."), "success")
            return answer
    return render_template(
        "community/alert_new.html", form=request.form, error=error, kinds=alerts.KINDS
    ), (400 if error else 200)


@bp.get("/alerts")
@login_required
def alert_list():
    return render_template(
        "community/alerts.html", alerts=alerts.recent_alerts(db()), kinds=alerts.KINDS
    )


@bp.post("/alerts/<alert_id>/resolve")
@login_required
@once.guarded
def alert_resolve(alert_id: str):
    return once.record_flashing(
        lambda: alerts.resolve_alert(
            db(),
            alert_id,
            resolver_id=current_resident().id,
            resolution=request.form.get("resolution"),
        ),
        url_for("community.alert_list"),
        gettext("The alert is resolved: the banner is gone."),
    )

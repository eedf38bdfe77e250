"""One tap, one record on every other form that moves money or creates something: the same form
(same one-time key) sent a second time, as a double tap or a replay does, records nothing more
and answers with the first answer's page (kiosk/web/once.py). And every POST route of the kiosk
is either guarded so or listed here as recording nothing, with its reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from app_fixtures import PIN, login, once_key, post

from kiosk import clock, store
from kiosk.board import board, lending, payment_requests
from kiosk.community import alerts, notices
from kiosk.ledger import exchanges
from kiosk.projects import dues as project_dues
from kiosk.projects import fund as project_fund
from kiosk.projects import projects, purchase_orders, volunteering
from kiosk.projects import purchases as group_purchases
from kiosk.projects.purchases import ProductDraft
from kiosk.vouchers import vouchers
from kiosk.web import once
from kiosk.web.session_state import login_required


def events_of(db, event_type: str) -> int:
    return store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = ?", (event_type,))


def paul_earned(db, config, building) -> None:
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.jeanne.id,
        payee_id=building.paul.id,
        description="Ourlets",
        amount=5000,
    )


def board_post(client, db, config, building):
    login(client, building.jeanne)
    form = {
        "direction": "offer",
        "kind": "service",
        "category": "diy",
        "title": "Petits travaux",
        "description": "Prises, interrupteurs.",
        "availability": "Le samedi",
        "price_mode": "per_hour",
        "price": "10",
        "ends_in": "30",
    }
    return "/board/new", form, "board.post_published"


def loan(client, db, config, building):
    login(client, building.jeanne)
    form = {"item": "Perceuse", "borrower": building.paul.id, "due_in": "7", "rate_mode": "none"}
    return "/loans/new", form, "loan.recorded"


def payment_request(client, db, config, building):
    login(client, building.jeanne)
    draft = {"direction": "earned", "neighbour": building.paul.id, "description": "Ourlet"}
    draft |= {"category": "sewing", "hours": "", "minutes": "45", "amount": ""}
    assert post(client, "/exchange/new", draft).status_code == 302
    return "/requests/from-draft", {}, "payment.requested"


def acceptance(client, db, config, building):
    paul_earned(db, config, building)
    item = payment_requests.request_payment(
        db,
        config,
        provider_id=building.jeanne.id,
        payer_id=building.paul.id,
        description="Ourlet",
        category="sewing",
        minutes=45,
        amount=None,
        created_by=building.jeanne.id,
    )
    login(client, building.paul)
    return f"/requests/{item.id}", {"pin": PIN}, "payment.request_accepted"


def reversal(client, db, config, building):
    transfer = exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Pain",
        amount=500,
    )
    login(client, building.admin)
    path = f"/admin/transfers/{transfer.reference}/reverse"
    return path, {"reason": "Saisie en double"}, "transfer.recorded"


def _purchase(db, config, building):
    project = projects.propose(
        db, resident_id=building.admin.id, title="Granulés", description="", kind="group_purchase"
    )
    now = clock.now()
    return group_purchases.open_purchase(
        db,
        config,
        project.id,
        by=building.admin.id,
        supplier="Bois du Lyonnais",
        deadline=now + timedelta(days=2),
        pickup_place="Local vélos",
        pickup_at=now + timedelta(days=5),
        fee_kind="per_participant",
        fee_amount=200,
        products=[ProductDraft("Sac de 15 kg", "sac", 599, True, 20_000, 750)],
    )


def group_order(client, db, config, building):
    purchase = _purchase(db, config, building)
    login(client, building.jeanne)
    path = f"/purchases/{purchase.project_id}/order"
    return path, {f"qty_{purchase.products[0].id}": "3"}, "purchase.ordered"


def contribution(client, db, config, building):
    paul_earned(db, config, building)
    purchase = _purchase(db, config, building)
    login(client, building.paul)
    return f"/projects/{purchase.project_id}/contribute", {"amount": "5"}, "transfer.recorded"


@pytest.mark.parametrize(
    "form_of",
    [board_post, loan, payment_request, acceptance, reversal, group_order, contribution],
)
def test_the_same_form_sent_twice_records_once_and_answers_the_same(
    client, db, config, building, form_of
):
    path, form, event_type = form_of(client, db, config, building)
    before, logged = events_of(db, event_type), store.scalar(db, "SELECT MAX(rowid) FROM events")
    form = {**form, "once_key": once_key(client)}

    first = post(client, path, form)
    second = post(client, path, form)  # the double tap, or the request replayed later

    assert first.status_code == 302, first.get_data(as_text=True)
    assert (second.status_code, second.location) == (302, first.location)
    added = [row["type"] for row in db.query("SELECT type FROM events WHERE rowid > ?", [logged])]
    assert events_of(db, event_type) == before + 1, added
    assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0


def test_a_board_post_with_a_neighbours_key_is_refused(client, db, config, building):
    path, form, event_type = board_post(client, db, config, building)
    response = post(client, path, {**form, "once_key": once_key(client, building.paul.id)})
    assert response.status_code == 400 and events_of(db, event_type) == 0


# --------------------------------------------------------------------------- every other form


DAY = 86400


def _notice(db, config, author):
    starts_on, ends_on = notices.dates_from_choices(config, 0, 7)
    return notices.post_notice(
        db,
        config,
        author_id=author.id,
        title="Ascenseur",
        body="En panne jusqu'à jeudi.",
        category="information",
        starts_on=starts_on,
        ends_on=ends_on,
        official=False,
        network=False,
    )


def notice_new(client, db, config, building):
    login(client, building.jeanne)
    form = {"title": "Vide-grenier", "body": "Dimanche au local vélos.", "category": "party"}
    return "/community/notices/new", form | {"start": "0", "length": "7"}, "notice.posted"


def notice_withdrawn(client, db, config, building):
    notice = _notice(db, config, building.jeanne)
    login(client, building.jeanne)
    return f"/community/notices/{notice.id}/withdraw", {}, "notice.withdrawn"


def alert_raised(client, db, config, building):
    login(client, building.admin)
    return "/community/alerts/new", {"kind": "flood", "text": "Fuite au 3e"}, "alert.raised"


def alert_resolved(client, db, config, building):
    alert = alerts.raise_alert(
        db, config, raiser_id=building.admin.id, kind="flood", text="Fuite au 3e"
    )
    login(client, building.admin)
    path = f"/community/alerts/{alert.id}/resolve"
    return path, {"resolution": "Plombier passé"}, "alert.resolved"


def poll_opened(client, db, config, building):
    login(client, building.admin)
    form = {"question": "Fête des voisins ?", "option": ["Juin", "Juillet"], "opens": "0"}
    form |= {"length": "7", "per": "resident", "ballot": "secret"}
    return "/polls/new", form, "poll.opened"


def _jeannes_post(db, config, building):
    return board.publish(
        db,
        config,
        poster_id=building.jeanne.id,
        direction="offer",
        kind="service",
        category="diy",
        title="Petits travaux",
        description="Prises, interrupteurs.",
        availability="Le samedi",
        price_mode="free",
        price=None,
        ends_on=None,
        network=False,
        posted_by=building.jeanne.id,
    )


def board_answer(client, db, config, building):
    item = _jeannes_post(db, config, building)
    login(client, building.paul)
    return f"/board/post/{item.id}/answer", {"body": "Je suis intéressé"}, "board.message_sent"


def board_withdrawn(client, db, config, building):
    item = _jeannes_post(db, config, building)
    login(client, building.jeanne)
    return f"/board/post/{item.id}/withdraw", {}, "board.post_withdrawn"


def helper_set(client, db, config, building):
    login(client, building.admin)
    return f"/board/helpers/{building.paul.id}", {"enabled": "1"}, "board.helper_set"


def loan_returned(client, db, config, building):
    loan = lending.lend(
        db,
        config,
        lender_id=building.jeanne.id,
        borrower_id=building.paul.id,
        item="Perceuse",
        due_on=lending.due_date(config, "7"),
        rate_mode="none",
        rate=None,
        post_id=None,
        recorded_by=building.jeanne.id,
    )
    login(client, building.jeanne)
    return f"/loans/{loan.id}/returned", {}, "loan.returned"


def request_declined(client, db, config, building):
    item = payment_requests.request_payment(
        db,
        config,
        provider_id=building.jeanne.id,
        payer_id=building.paul.id,
        description="Ourlet",
        category="sewing",
        minutes=45,
        amount=None,
        created_by=building.jeanne.id,
    )
    login(client, building.paul)
    return f"/requests/{item.id}/decline", {"reason": "Pas fait"}, "payment.request_declined"


def request_withdrawn(client, db, config, building):
    item = payment_requests.request_payment(
        db,
        config,
        provider_id=building.jeanne.id,
        payer_id=building.paul.id,
        description="Ourlet",
        category="sewing",
        minutes=45,
    )
    login(client, building.jeanne)
    return f"/requests/{item.id}/withdraw", {"note": "Offert"}, "payment.request_withdrawn"


def _project(db, building, kind="event"):
    return projects.propose(
        db, resident_id=building.admin.id, title="Fête", description="En juin", kind=kind
    )


def project_proposed(client, db, config, building):
    login(client, building.jeanne)
    form = {"title": "Jardin partagé", "description": "Dans la cour", "kind": "event"}
    return "/projects/new", form, "project.proposed"


def project_joined(client, db, config, building):
    project = _project(db, building)
    login(client, building.paul)
    return f"/projects/{project.id}/join", {}, "project.member_joined"


def project_left(client, db, config, building):
    project = _project(db, building)
    projects.join(db, project.id, building.paul.id)
    login(client, building.paul)
    return f"/projects/{project.id}/leave", {}, "project.member_left"


def project_status(client, db, config, building):
    project = _project(db, building)
    login(client, building.admin)
    return f"/projects/{project.id}/status", {"status": "running"}, "project.status_changed"


def project_news(client, db, config, building):
    project = _project(db, building)
    login(client, building.admin)
    return (
        f"/projects/{project.id}/updates",
        {"body": "Rendez-vous samedi"},
        "project.update_posted",
    )


def project_task(client, db, config, building):
    project = _project(db, building)
    login(client, building.admin)
    form = {"title": "Installer les tables", "when_label": "Samedi 9 h", "slots": "2"}
    return f"/projects/{project.id}/tasks", form, "project.task_added"


def _task(db, building, *, signed_up=False):
    project = _project(db, building)
    projects.join(db, project.id, building.paul.id)
    task_id = volunteering.add_task(
        db, project.id, by=building.admin.id, title="Tables", when_label="Samedi", slots=2
    )
    if signed_up:
        volunteering.sign_up(db, task_id, building.paul.id)
    return project, task_id


def task_signed_up(client, db, config, building):
    _project_, task_id = _task(db, building)
    login(client, building.paul)
    return f"/projects/tasks/{task_id}/signup", {}, "project.task_signed_up"


def task_withdrawn(client, db, config, building):
    _project_, task_id = _task(db, building, signed_up=True)
    login(client, building.paul)
    return f"/projects/tasks/{task_id}/withdraw", {}, "project.task_withdrawn"


def volunteer_paid(client, db, config, building):
    project, task_id = _task(db, building, signed_up=True)
    project_fund.fund_from_association(db, config, project.id, 5000, admin_id=building.admin.id)
    login(client, building.admin)
    form = {"resident_id": building.paul.id, "hours": "1", "minutes": "0"}
    return f"/projects/tasks/{task_id}/pay", form, "transfer.recorded"


def project_funded(client, db, config, building):
    project = _project(db, building)
    login(client, building.admin)
    return f"/projects/{project.id}/fund", {"amount": "20"}, "transfer.recorded"


def dues_set(client, db, config, building):
    project = _project(db, building)
    login(client, building.admin)
    form = {"currency": "ceec", "amount": "5", "period": "month"}
    return f"/projects/{project.id}/dues", form, "project.dues_set"


def _dues(db, building, currency):
    project = _project(db, building, kind="shared_equipment")
    projects.join(db, project.id, building.paul.id)
    project_dues.set_dues(
        db,
        project.id,
        by=building.admin.id,
        currency=currency,
        amount=500,
        period="month",
        payee_id=building.admin.id if currency == "eur" else None,
    )
    return project


def dues_paid(client, db, config, building):
    paul_earned(db, config, building)
    project = _dues(db, building, "ceec")
    login(client, building.paul)
    return f"/projects/{project.id}/dues/pay", {}, "transfer.recorded"


def dues_marked(client, db, config, building):
    project = _dues(db, building, "eur")
    login(client, building.admin)
    path = f"/projects/{project.id}/dues/mark"
    return path, {"resident_id": building.paul.id}, "project.dues_paid"


def purchase_opened(client, db, config, building):
    project = _project(db, building, kind="group_purchase")
    when = clock.now().astimezone(config.timezone) + timedelta(days=2)
    form = {"supplier": "Bois du Lyonnais", "pickup_place": "Local vélos", "fee_kind": "none"}
    form |= {"name_1": "Sac de 15 kg", "unit_1": "sac", "price_1": "5,99", "whole_1": "1"}
    for prefix, moment in (("deadline", when), ("pickup", when + timedelta(days=3))):
        form |= {f"{prefix}_day": str(moment.day), f"{prefix}_month": str(moment.month)}
        form |= {f"{prefix}_year": str(moment.year), f"{prefix}_hour": "18"}
    login(client, building.admin)
    return f"/purchases/{project.id}/setup", form, "purchase.opened"


def _ordered(db, config, building, *, closed=False):
    purchase = _purchase(db, config, building)
    purchase_orders.place_order(
        db, config, purchase.project_id, building.jeanne.id, {purchase.products[0].id: 3000}
    )
    if closed:
        clock.shift(3 * DAY)
        group_purchases.close_due_purchases(db)
    return purchase


def order_cancelled(client, db, config, building):
    purchase = _ordered(db, config, building)
    login(client, building.jeanne)
    return f"/purchases/{purchase.project_id}/order/cancel", {}, "purchase.ordered"


def purchase_paid(client, db, config, building):
    purchase = _ordered(db, config, building, closed=True)
    login(client, building.admin)
    form = {"apartment": "B-204", "method": "cash"}
    return f"/purchases/{purchase.project_id}/paid", form, "purchase.payment_marked"


def purchase_picked_up(client, db, config, building):
    purchase = _ordered(db, config, building, closed=True)
    login(client, building.admin)
    path = f"/purchases/{purchase.project_id}/picked"
    return path, {"apartment": "B-204"}, "purchase.pickup_marked"


def purchase_distributed(client, db, config, building):
    purchase = _ordered(db, config, building, closed=True)
    login(client, building.admin)
    return f"/purchases/{purchase.project_id}/distributed", {}, "purchase.distributed"


def _voucher(db, config, building):
    paul_earned(db, config, building)
    (voucher,) = vouchers.issue_vouchers(db, config, resident_id=building.paul.id, counts={500: 1})
    return voucher


def voucher_not_printed(client, db, config, building):
    voucher = _voucher(db, config, building)
    login(client, building.paul)
    return f"/vouchers/{voucher.serial}/cancel", {}, "voucher.cancelled"


def voucher_lost(client, db, config, building):
    voucher = _voucher(db, config, building)
    login(client, building.admin)
    form = {"serial": voucher.serial, "reason": "lost"}
    return "/admin/vouchers/cancel", form, "voucher.cancelled"


def voucher_expired(client, db, config, building):
    voucher = _voucher(db, config, building)
    clock.shift(400 * DAY)
    login(client, building.admin)
    form = {"serial": voucher.serial, "refund_to": "issuer"}
    return "/admin/vouchers/expired", form, "voucher.cancelled"


def voucher_honoured(client, db, config, building):
    voucher = _voucher(db, config, building)
    clock.shift(400 * DAY)
    login(client, building.admin)
    form = {"code": voucher.typed_code, "resident_id": building.jeanne.id}
    return "/admin/vouchers/honour", form, "voucher.redeemed"


def resident_added(client, db, config, building):
    login(client, building.admin)
    form = {"apartment": "D-401", "name": "Léa Roux", "pin": "4826", "role": "resident"}
    return "/admin/residents/new", form | {"status": "verified"}, "resident.registered"


def resident_saved(client, db, config, building):
    login(client, building.admin)
    form = {"apartment": "A-102", "name": "Paul Durand", "role": "resident"}
    return f"/admin/residents/{building.paul.id}", form | {"status": "verified"}, "resident.updated"


def card_issued(client, db, config, building):
    login(client, building.admin)
    return f"/admin/residents/{building.paul.id}/card", {}, "card.issued"


def pin_set(client, db, config, building):
    login(client, building.admin)
    return f"/admin/residents/{building.paul.id}/pin", {"pin": "4826"}, "resident.pin_set"


def moved_out(client, db, config, building):
    login(client, building.admin)
    return f"/admin/residents/{building.paul.id}/move-out", {}, "resident.moved_out"


def mailbox_slip(client, db, config, building):
    login(client, building.admin)
    return "/admin/verification/slip", {"apartment": "C-301"}, "mailbox_code.issued"


def verified_with_proof(client, db, config, building):
    login(client, building.admin)
    path = f"/admin/verification/{building.pending.id}/proof"
    return path, {"proof_kind": "lease"}, "resident.verified"


EVERY_OTHER_FORM = [
    notice_new,
    notice_withdrawn,
    alert_raised,
    alert_resolved,
    poll_opened,
    board_answer,
    board_withdrawn,
    helper_set,
    loan_returned,
    request_declined,
    request_withdrawn,
    project_proposed,
    project_joined,
    project_left,
    project_status,
    project_news,
    project_task,
    task_signed_up,
    task_withdrawn,
    volunteer_paid,
    project_funded,
    dues_set,
    dues_paid,
    dues_marked,
    purchase_opened,
    order_cancelled,
    purchase_paid,
    purchase_picked_up,
    purchase_distributed,
    voucher_not_printed,
    voucher_lost,
    voucher_expired,
    voucher_honoured,
    resident_added,
    resident_saved,
    card_issued,
    pin_set,
    moved_out,
    mailbox_slip,
    verified_with_proof,
]


@pytest.mark.parametrize("form_of", EVERY_OTHER_FORM)
def test_every_other_creating_form_sent_twice_records_once(client, db, config, building, form_of):
    test_the_same_form_sent_twice_records_once_and_answers_the_same(
        client, db, config, building, form_of
    )


# --------------------------------------------------------------------------- every POST route

_PRINT = "prints a paper copy (a print job, no event): a second tap is one more copy"

RECORDS_NOTHING = {
    # logged out, or the session itself: no resident to make a key for, nothing in the log
    "login.choose": "logged out: chooses who is logging in",
    "login.pin": "logged out: the PIN of a login (counted by its own lockout)",
    "login.cancel": "drops a login in progress from the session",
    "login.scan": "a card or voucher scanned: logs in, or sends the code on to a check",
    "login.logout": "ends the session",
    "login.language": "the screen's language, kept in the session",
    "login.keepalive": "the idle timer's ping",
    "verification.join": "logged out: a newcomer asks for an account (no resident yet)",
    # a draft kept in the session: the confirming step is guarded
    "exchange.new": "keeps the exchange's draft in the session; exchange.confirm records",
    "exchange.cancel": "drops the exchange's draft",
    "vouchers.issue": "keeps the vouchers' draft in the session; vouchers.issue_confirm records",
    "vouchers.issue_cancel": "drops the vouchers' draft",
    # reads
    "vouchers.redeem_check": "reads what a voucher is worth before the bearer confirms",
    "voucher_admin.admin_find": "finds a voucher by its number or code",
    "vouchers.notice_read": "a notice marked read by its reader (local, the same mark twice)",
    # the domain counts wrong tries in its own transaction, which once.record would roll back
    # (unlimited guessing); a second identical request is refused by the domain itself
    "verification.vouch": "a neighbour's PIN: its wrong tries must stay counted",
    "verification.code": "the mailbox code: its wrong tries must stay counted",
    # local switches that are the same done twice
    "admin.resident_unlock": "lifts a PIN lockout (local, no event): twice is once",
    "admin.pin_entry_resume": "lifts the kiosk's PIN pause (local, no event): twice is once",
    "sync_admin.now": "starts a sync now: the sync itself sends each event once",
    "sync_admin.enrol": "enrolment at the hub: its code is single-use at the hub",
    "printer_admin.cancel": "cancels one print job (no event): twice is once",
    "printer_admin.retry": "queues one failed print job again (no event): twice is once",
    "vouchers.reprint": "prints a voucher that never came out (no event; redeemed once anyway)",
    # paper
    "printer_admin.copy": _PRINT,
    "printer_admin.test_page": _PRINT,
    "exports.print_statement": _PRINT,
    "me.print_statement": _PRINT,
    "exchange.reprint": _PRINT,
    "board.print_message": _PRINT,
    "board.print_sheet": _PRINT,
    "community.notice_print": _PRINT,
    "polls.print_results": _PRINT,
    "projects.print_dues": _PRINT,
    "projects.print_sheet": _PRINT,
    "purchases.print_document": _PRINT,
    "requests.print_request": _PRINT,
}


def test_every_post_route_records_once_or_is_listed_as_recording_nothing(app):
    """A new form that moves money or creates something, added without ``@once.guarded`` and
    ``once.record``, fails here (and so does an entry left here for a route now guarded)."""
    unguarded = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not once.is_guarded(app.view_functions[rule.endpoint])
    }
    assert unguarded - RECORDS_NOTHING.keys() == set(), "guard them: kiosk/web/once.py"
    assert RECORDS_NOTHING.keys() - unguarded == set(), "guarded or gone: drop them from the list"


def test_a_view_that_records_once_without_saying_so_is_stopped(app, client, building):
    @app.post("/unsaid")
    @login_required
    def unsaid():
        return once.record(lambda: "/")

    login(client, building.jeanne)
    with pytest.raises(RuntimeError, match="once.guarded"):
        post(client, "/unsaid")

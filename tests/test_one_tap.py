"""One tap, one record (kiosk/web/once.py), tried as an impatient or hostile visitor would over
HTTP against the kiosk served by waitress: the same confirmation sent several times at once,
replayed later with the cookie from before the first answer, a neighbour's one-time key, a key
kept for days. Each time: exactly one record, and every answer shows the first result."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from html import unescape

from app_fixtures import PIN, login, once_key, post, text_of

from kiosk import clock, store
from kiosk.community import polls
from kiosk.ledger import exchanges
from kiosk.residents import residents
from kiosk.vouchers import vouchers

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ONCE = re.compile(r'name="once_key" value="([^"]+)"')


class Visitor:
    """A browser of its own: a cookie jar, no redirects followed; the form's hidden fields are
    read from the page it draws, as a browser sends them."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def get(self, path: str) -> tuple[int, str, str]:
        return self.open(urllib.request.Request(self.base + path))

    def form_of(self, path: str) -> dict:
        """The hidden fields of the page's forms: its CSRF token and, if any, its one-time key."""
        status, body, _ = self.get(path)
        assert status == 200, body
        fields = {"csrf_token": CSRF.search(body).group(1)}
        if key := ONCE.search(body):
            fields["once_key"] = key.group(1)
        return fields

    def post(self, path: str, form: dict, *, drawn_on: str = "/") -> tuple[int, str, str]:
        return self.open(self.request(path, {**self.form_of(drawn_on), **form}))

    def request(self, path: str, form: dict, cookie: str | None = None) -> urllib.request.Request:
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(form).encode()
        )
        if cookie is not None:
            request.add_unredirected_header("Cookie", cookie)
        return request

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def open(self, request) -> tuple[int, str, str]:
        """(status, body, Location) of the answer."""
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, response.read().decode(), response.headers["Location"]
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers.get("Location", "")

    def raw(self, request) -> tuple[int, str, str]:
        """Send ``request`` with only the cookie it carries (not the jar's)."""
        opener = urllib.request.build_opener(_NoRedirect())
        try:
            with opener.open(request, timeout=15) as response:
                return response.status, response.read().decode(), response.headers["Location"]
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers.get("Location", "")

    def login(self, resident) -> None:
        assert self.post("/login/choose", {"resident_id": resident.id})[0] == 302
        assert self.post("/login/pin", {"pin": PIN})[0] == 302


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def at_once(send, count: int) -> list[tuple[int, str, str]]:
    """Run ``send()`` in ``count`` threads released together; their answers."""
    start = threading.Barrier(count, timeout=10)
    answers: list = [None] * count

    def run(index: int) -> None:
        start.wait()
        answers[index] = send()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return answers


def transfers(db) -> int:
    return store.scalar(db, "SELECT COUNT(*) FROM transfers")


EXCHANGE = {
    "direction": "paid",
    "category": "diy",
    "description": "Fuite sous l'évier",
    "hours": "1",
    "minutes": "30",
    "amount": "",
}


def paul_at_the_confirmation(server, building) -> tuple[Visitor, dict]:
    """Paul logged in, his exchange drafted; the confirmation form as drawn for him."""
    paul = Visitor(server.url)
    paul.login(building.paul)
    status, _, location = paul.post(
        "/exchange/new", {**EXCHANGE, "neighbour": building.jeanne.id}, drawn_on="/exchange/new"
    )
    assert status == 302 and location.endswith("/exchange/confirm")
    form = {**paul.form_of("/exchange/confirm"), "pin": PIN}
    assert "once_key" in form
    return paul, form


def test_four_taps_on_pay_at_once_record_one_exchange(app, db, building, live_server):
    server = live_server(app, threads=4)
    paul, form = paul_at_the_confirmation(server, building)
    cookie = paul.cookie()

    answers = at_once(lambda: paul.raw(paul.request("/exchange/confirm", form, cookie)), 4)

    assert transfers(db) == 1
    [reference] = [row[0] for row in store.query(db, "SELECT reference FROM transfers")]
    assert {(status, location) for status, _, location in answers} == {
        (302, f"/exchange/done/{reference}")
    }, answers
    assert residents.get(db, building.jeanne.id).balance == 1500
    status, body, _ = paul.get(f"/exchange/done/{reference}")
    assert status == 200 and "+15,00\u00a0CEEC" in unescape(body)


def test_the_confirmation_replayed_later_with_the_earlier_cookie_shows_the_first_exchange(
    app, db, building, live_server
):
    server = live_server(app, threads=2)
    paul, form = paul_at_the_confirmation(server, building)
    cookie_with_the_draft = paul.cookie()
    first = paul.open(paul.request("/exchange/confirm", form))
    assert first[0] == 302 and "/exchange/done/" in first[2]
    assert paul.get("/exchange/confirm")[2].endswith("/exchange/new")  # the draft is gone

    # the request captured before the answer, sent again: same cookie (draft inside), same key
    for cookie in (cookie_with_the_draft, paul.cookie()):
        again = paul.raw(paul.request("/exchange/confirm", form, cookie))
        assert again[:1] == (302,) and again[2] == first[2], again
    # a wrong PIN on the replay changes nothing either: the key was used
    again = paul.raw(paul.request("/exchange/confirm", {**form, "pin": "0000"}, cookie))
    assert again[2] == first[2]
    assert transfers(db) == 1
    assert residents.get(db, building.paul.id).balance == -1500


def test_a_neighbours_one_time_key_is_refused(client, db, building):
    login(client, building.paul)
    post(client, "/exchange/new", {**EXCHANGE, "neighbour": building.jeanne.id})
    jeannes_key = once_key(client, building.jeanne.id)
    response = post(client, "/exchange/confirm", {"pin": PIN, "once_key": jeannes_key})
    assert response.status_code == 400
    assert "Cette page a été ouverte par un autre résident" in text_of(response)
    for forged in ("", "1.2.3", "x" * 40, jeannes_key.replace(".", "", 1)):
        response = post(client, "/exchange/confirm", {"pin": PIN, "once_key": forged})
        assert response.status_code == 400, forged
        assert "Rien n'a été enregistré" in text_of(response)
    assert transfers(db) == 0
    # Paul's own form still works
    response = post(client, "/exchange/confirm", {"pin": PIN})
    assert response.status_code == 302 and transfers(db) == 1


def test_a_key_used_by_one_resident_cannot_show_its_result_to_another(client, db, building):
    login(client, building.paul)
    post(client, "/exchange/new", {**EXCHANGE, "neighbour": building.jeanne.id})
    key = once_key(client)
    assert post(client, "/exchange/confirm", {"pin": PIN, "once_key": key}).status_code == 302
    post(client, "/logout")
    login(client, building.admin)
    response = post(client, "/exchange/confirm", {"pin": PIN, "once_key": key})
    assert response.status_code == 400 and transfers(db) == 1


def test_a_form_kept_more_than_a_day_is_refused_and_records_nothing(client, db, building):
    login(client, building.paul)
    post(client, "/exchange/new", {**EXCHANGE, "neighbour": building.jeanne.id})
    old_key = once_key(client)
    clock.shift(24 * 3600 + 60)
    login(client, building.paul)
    post(client, "/exchange/new", {**EXCHANGE, "neighbour": building.jeanne.id})
    response = post(client, "/exchange/confirm", {"pin": PIN, "once_key": old_key})
    assert response.status_code == 400
    assert "Cette page n'est plus valable" in text_of(response)
    assert transfers(db) == 0


def test_a_refused_confirmation_can_be_sent_again_with_its_key_once_corrected(
    client, db, building, config
):
    login(client, building.paul)
    post(client, "/exchange/new", {**EXCHANGE, "neighbour": building.jeanne.id})
    key = once_key(client)
    response = post(client, "/exchange/confirm", {"pin": "0000", "once_key": key})
    assert response.status_code == 400 and transfers(db) == 0
    response = post(client, "/exchange/confirm", {"pin": PIN, "once_key": key})
    assert response.status_code == 302 and transfers(db) == 1


def jeanne_earned(db, config, building, amount: int = 8000) -> None:
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Ourlets",
        category="sewing",
        amount=amount,
    )


def test_three_taps_on_print_vouchers_at_once_issue_them_once(
    app, db, config, building, live_server
):
    jeanne_earned(db, config, building)
    server = live_server(app, threads=4)
    jeanne = Visitor(server.url)
    jeanne.login(building.jeanne)
    status, _, _ = jeanne.post(
        "/vouchers/issue", {"count_500": "1", "count_1000": "2"}, drawn_on="/vouchers/issue"
    )
    assert status == 302
    form = {**jeanne.form_of("/vouchers/issue/confirm"), "pin": PIN}
    cookie = jeanne.cookie()

    answers = at_once(
        lambda: jeanne.raw(jeanne.request("/vouchers/issue/confirm", form, cookie)), 3
    )
    later = jeanne.raw(jeanne.request("/vouchers/issue/confirm", form, cookie))

    assert {(status, location) for status, _, location in [*answers, later]} == {
        (302, "/vouchers/")
    }, answers
    assert store.scalar(db, "SELECT COUNT(*) FROM vouchers") == 3
    assert residents.get(db, building.jeanne.id).balance == 8000 - 2500


def redemption_form(visitor: Visitor, code: str) -> dict:
    """The confirmation form the voucher check draws (posted: the code is in no address)."""
    hidden = visitor.form_of("/vouchers/redeem")
    status, body, _ = visitor.open(visitor.request("/vouchers/check", {**hidden, "code": code}))
    assert status == 200, body
    return {
        "csrf_token": CSRF.search(body).group(1),
        "once_key": ONCE.search(body).group(1),
        "code": code,
    }


def test_the_same_redemption_sent_three_times_at_once_and_later_credits_once(
    app, db, config, building, live_server
):
    jeanne_earned(db, config, building)
    (voucher,) = vouchers.issue_vouchers(
        db, config, resident_id=building.jeanne.id, counts={2000: 1}
    )
    server = live_server(app, threads=4)
    paul = Visitor(server.url)
    paul.login(building.paul)
    form = redemption_form(paul, voucher.qr)
    second_form = redemption_form(paul, voucher.qr)  # the page drawn again
    cookie = paul.cookie()

    answers = at_once(lambda: paul.raw(paul.request("/vouchers/redeem", form, cookie)), 3)
    later = paul.raw(paul.request("/vouchers/redeem", form, cookie))

    done = f"/vouchers/redeemed/{voucher.serial}"
    assert {(status, location) for status, _, location in [*answers, later]} == {(302, done)}
    assert residents.get(db, building.paul.id).balance == -8000 + 2000
    assert store.scalar(db, "SELECT COUNT(*) FROM voucher_settlements") == 1
    # a second form drawn for the same voucher is another request: refused, already redeemed
    again = paul.open(paul.request("/vouchers/redeem", second_form))
    assert again[0] == 400 and "déjà été utilisé" in unescape(again[1])


def test_a_double_vote_sent_at_once_is_one_vote(app, db, config, building, live_server):
    today = polls.today(config)
    poll = polls.open_poll(
        db,
        config,
        creator_id=building.admin.id,
        question="Repeindre le hall en vert ?",
        options=["Oui", "Non"],
        opens_on=today,
        closes_on=today,
    )
    server = live_server(app, threads=4)
    paul = Visitor(server.url)
    paul.login(building.paul)
    form = {**paul.form_of(f"/polls/{poll.id}"), "option": "0"}
    cookie = paul.cookie()

    answers = at_once(lambda: paul.raw(paul.request(f"/polls/{poll.id}/vote", form, cookie)), 3)

    assert {(status, location) for status, _, location in answers} == {(302, f"/polls/{poll.id}")}
    assert store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = 'poll.voted'") == 1
    # he may still change his vote: a new form, a new key
    changed = paul.post(f"/polls/{poll.id}/vote", {"option": "1"}, drawn_on=f"/polls/{poll.id}")
    assert changed[0] == 302
    assert store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = 'poll.voted'") == 2

"""Two neighbours scan the same voucher at the same moment, on a kiosk served by waitress:
exactly one is credited, the other reads "already redeemed"."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.parse
import urllib.request

from app_fixtures import jeanne_prints_a_voucher
from visitor import CSRF, Visitor

from kiosk import store
from kiosk.residents import residents

ONCE = re.compile(r'name="once_key" value="([^"]+)"')


def test_two_simultaneous_redemptions_credit_once(app, db, config, building, live_server):
    voucher = jeanne_prints_a_voucher(db, config, building, earned=3000, amount=2000)
    server = live_server(app, threads=4)
    people = [building.paul, building.admin]
    visitors = [Visitor(server.url) for _ in people]
    for visitor, person in zip(visitors, people, strict=True):
        visitor.login(person)
    # each confirmation drawn with its CSRF token and one-time key
    forms = [v.post("/vouchers/check", {"code": voucher.qr})[1] for v in visitors]
    tokens = [(CSRF.search(html).group(1), ONCE.search(html).group(1)) for html in forms]
    start = threading.Barrier(len(visitors), timeout=10)
    results: list[tuple[int, str]] = [(0, "")] * len(visitors)

    def redeem(index: int) -> None:
        csrf, key = tokens[index]
        form = {"csrf_token": csrf, "once_key": key, "code": voucher.qr}
        data = urllib.parse.urlencode(form).encode()
        start.wait()
        results[index] = visitors[index]._open(
            urllib.request.Request(server.url + "/vouchers/redeem", data=data)
        )

    threads = [threading.Thread(target=redeem, args=(i,)) for i in range(len(visitors))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    statuses = sorted(status for status, _ in results)
    assert statuses == [302, 400], results
    loser = next(body for status, body in results if status == 400)
    assert "déjà été utilisé" in loser
    paul, admin = (residents.get(db, p.id).balance for p in people)
    assert (paul, admin) in {(-1000, 0), (-3000, 2000)}  # one of them got the 20 CEEC
    assert store.scalar(db, "SELECT COUNT(*) FROM voucher_settlements") == 1
    assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0

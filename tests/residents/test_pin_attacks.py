"""Guessing PINs at the kiosk, as an attacker would: many wrong PINs at once against the app
served by waitress, guesses spread over every account, a neighbour's tries spent from one's own
session. The lock holds, the kiosk pauses PIN entry, and every refusal says whose PIN and until
when."""

from __future__ import annotations

import threading

from app_fixtures import PIN, login, post, text_of
from visitor import Visitor

from kiosk.residents import auth, residents

WRONG = "0000"


def test_twenty_simultaneous_wrong_pins_lock_the_account(app, db, building, live_server):
    server = live_server(app, threads=8)
    attackers = [Visitor(server.url) for _ in range(20)]
    for attacker in attackers:
        attacker.choose(building.jeanne)
    start = threading.Barrier(len(attackers))
    answers: list[tuple[int, str]] = []

    def guess(attacker: Visitor) -> None:
        start.wait()
        answers.append(attacker.type_pin(WRONG))

    threads = [threading.Thread(target=guess, args=(a,)) for a in attackers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 20 and all(status == 400 for status, _ in answers)
    assert not any("Bonjour" in html for _, html in answers)
    # Exactly five wrong PINs were judged; every later one met the lock.
    judged = db.execute(
        "SELECT count(*) FROM pin_failures WHERE resident_id = ?", [building.jeanne.id]
    )
    assert judged.fetchone()[0] == 5
    until = auth.locked_until(db, building.jeanne.id)
    assert until is not None

    # The right PIN now is refused too, and the screen says until when and who can help.
    jeanne = Visitor(server.url)
    jeanne.choose(building.jeanne)
    status, html = jeanne.type_pin(PIN)
    assert status == 400
    assert "ce compte est bloqué jusqu'au" in html and "bénévole" in html
    assert "Bonjour" not in html

    # Tries refused by the lock are not judged and do not count: the rest of the kiosk works.
    # The volunteer lifts the lock, and Jeanne gets in.
    volunteer = Visitor(server.url)
    volunteer.choose(building.admin)
    assert volunteer.type_pin(PIN)[0] == 302
    assert "Jeanne Martin" in volunteer.get("/admin/")[1]  # among the locked accounts
    assert volunteer.post(f"/admin/residents/{building.jeanne.id}/unlock", {})[0] == 302
    assert jeanne.type_pin(PIN)[0] == 302


def test_guesses_spread_over_every_account_pause_pin_entry_on_the_kiosk(
    client, db, config, building
):
    limit = config["security"]["kiosk_max_wrong_pins"]
    others = [
        residents.register(db, apartment=f"D-{n:03d}", name=f"Voisin {n}", pin=PIN)
        for n in range(limit // 2)
    ]
    for person in others:  # two tries each: no account comes near its own lock
        post(client, "/login/choose", {"resident_id": person.id})
        for _ in range(2):
            assert post(client, "/login/pin", {"pin": WRONG}).status_code == 400
    assert all(auth.locked_until(db, person.id) is None for person in others)

    # Paul's right PIN waits: the whole kiosk pauses PIN entry, and says until when.
    post(client, "/login/choose", {"resident_id": building.paul.id})
    page = text_of(client.get("/login/pin"))
    assert "la saisie des codes est suspendue jusqu'au" in page and "bénévole" in page
    response = post(client, "/login/pin", {"pin": PIN})
    assert response.status_code == 400 and "suspendue" in text_of(response)

    # The volunteer still logs in, resumes PIN entry, and Paul gets in.
    login(client, building.admin)
    post(client, "/admin/pin-entry/resume")
    post(client, "/logout")
    login(client, building.paul)


def test_a_neighbours_pin_asked_from_my_session_says_whose(client, db, building):
    login(client, building.jeanne)
    form = {
        "direction": "earned",
        "neighbour": building.paul.id,
        "description": "Courses",
        "category": "diy",
        "hours": "",
        "minutes": "",
        "amount": "5",
    }
    post(client, "/exchange/new", form)
    for left in (4, 3, 2, 1):
        response = post(client, "/exchange/confirm", {"pin": WRONG})
        assert response.status_code == 400
        html = text_of(response)
        assert "Code erroné pour Paul Durand" in html
        assert f"{left}" in html and "Paul Durand" in html
    response = post(client, "/exchange/confirm", {"pin": WRONG})
    html = text_of(response)
    assert "le compte de Paul Durand est bloqué jusqu'au" in html and "bénévole" in html
    # Those tries were Paul's: his own login waits for the lock as well, and the log says who
    # spent them.
    assert auth.locked_until(db, building.paul.id) is not None
    askers = db.execute("SELECT DISTINCT asked_by FROM pin_failures").fetchall()
    assert [row[0] for row in askers] == [building.jeanne.id]
    assert residents.get(db, building.paul.id).balance == 0

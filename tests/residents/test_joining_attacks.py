"""Joining without spoofing: a stranger at the touchscreen tries to register as the
administrator's household ("Claire Petit" at A-001, ten times, spelled every way), to fill an
apartment with fake newcomers, to register a crowd in a few seconds, all at once from several
threads. The kiosk refuses in words, keeps one transaction per try, and the administrator sees
who is waiting and since when."""

from __future__ import annotations

import threading

import pytest
from app_fixtures import login, make_test_config, post, text_of

from kiosk import clock, store
from kiosk.config import ConfigError
from kiosk.residents import verification
from kiosk.residents.errors import NameTakenAtApartment, TooManyJoins, TooManyPendingAtApartment

PIN = "1357"


def join(client, apartment: str, name: str):
    client.post("/logout", data={})  # whoever joined before is logged out by the kiosk's idle
    return post(
        client, "/join", {"apartment": apartment, "name": name, "pin": PIN, "pin_again": PIN}
    )


def people_at(db, apartment: str) -> list[str]:
    return [
        r["name"]
        for r in store.query(db, "SELECT name FROM residents WHERE apartment = ?", (apartment,))
    ]


def test_ten_claire_petit_at_a_001_are_refused_in_words(app, db, building):
    for spelling in [
        "Claire Petit",
        "claire petit",
        "CLAIRE  PETIT",
        "Clairé Petit",
        " Claire Petit ",
    ] * 2:
        client = app.test_client()
        response = join(client, "A-001", spelling)
        assert response.status_code == 400
        assert "Une personne nommée Claire Petit a déjà un compte au A-001" in text_of(response)
    assert people_at(db, "A-001") == ["Claire Petit"]


def test_an_apartment_cannot_be_filled_with_newcomers(app, db, building):
    for name in ("Marc Lenoir", "Ines Roux"):
        assert join(app.test_client(), "D-404", name).status_code == 302
    response = join(app.test_client(), "D-404", "Troisième Inconnu")
    assert response.status_code == 400
    assert "Le D-404 a déjà 2 nouveaux arrivants en attente de vérification" in text_of(response)
    assert sorted(people_at(db, "D-404")) == ["Ines Roux", "Marc Lenoir"]


def test_a_crowd_registered_in_seconds_is_stopped_then_let_in_an_hour_later(app, db):
    answers = [join(app.test_client(), f"E-{i:03d}", f"Voisin {i}").status_code for i in range(8)]
    assert answers == [302] * 5 + [400] * 3
    response = join(app.test_client(), "E-100", "Voisin tardif")
    assert "Beaucoup de nouveaux arrivants" in text_of(response)
    clock.shift(3601)
    assert join(app.test_client(), "E-100", "Voisin tardif").status_code == 302


def test_ten_simultaneous_joins_under_one_name_make_one_account(db, config, building):
    errors: list[Exception] = []
    made: list[str] = []
    start = threading.Barrier(10)

    def attempt() -> None:
        own = store.connect(config.database_path)
        try:
            start.wait()
            made.append(
                verification.register_self(
                    own, config, apartment="F-001", name="Claire Petit", pin=PIN, pin_again=PIN
                ).id
            )
        except (NameTakenAtApartment, TooManyPendingAtApartment, TooManyJoins) as exc:
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and len(errors) == 9
    assert people_at(db, "F-001") == ["Claire Petit"]


def test_the_administrator_sees_who_is_waiting_and_since_when(app, client, db, building):
    join(app.test_client(), "D-404", "Marc Lenoir")
    login(client, building.admin)
    page = text_of(client.get("/admin/verification", follow_redirects=True))
    assert "Marc Lenoir</strong> · D-404 · inscrit le" in page
    assert "Nouveau Voisin</strong> · C-301 · inscrit le" in page


@pytest.mark.parametrize("closed", [{"joins_per_hour": 0}, {"pending_per_apartment": 11}])
def test_the_limits_are_checked_in_the_config(tmp_path, closed):
    with pytest.raises(ConfigError):
        make_test_config(tmp_path, community=closed)

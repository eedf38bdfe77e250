"""The board at the kiosk: post, browse, search without accents, answer, withdraw, expire,
post for a neighbour, print the sheet, and every way to get a post wrong."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from app_fixtures import PIN, login, post, text_of
from apscheduler.schedulers.background import BackgroundScheduler

from kiosk import clock, store
from kiosk.background import _job_registrations
from kiosk.board import board
from kiosk.board import messages as board_messages
from kiosk.board import sheet as board_sheet
from kiosk.board.errors import EndDateInPast, RemotePost
from kiosk.ledger import ledger
from kiosk.store.events import Event, apply_foreign
from printing import queue as print_queue


def offer(client, **fields):
    form = {
        "direction": "offer",
        "kind": "service",
        "category": "diy",
        "title": "Petits travaux d'électricité",
        "description": "Prises, interrupteurs, luminaires.",
        "availability": "Le samedi matin",
        "price_mode": "per_hour",
        "price": "10",
        "ends_in": "30",
    }
    form.update(fields)
    return post(client, "/board/new", form)


def publish(db, config, who, title="Cours de guitare", **fields):
    values = {
        "direction": "offer",
        "kind": "service",
        "category": "other",
        "title": title,
        "price_mode": "free",
    }
    values.update(fields)
    return board.publish(db, config, poster_id=who.id, **values)


def test_jeanne_posts_an_offer_and_it_is_on_the_board_with_her_name(client, db, building):
    login(client, building.jeanne)
    response = offer(client)
    assert response.status_code == 302 and "/board/post/" in response.location
    page = text_of(client.get(response.location))
    assert "Petits travaux d'électricité" in page and "Jeanne Martin · B-204" in page
    assert "10,00\u00a0CEEC par heure" in page
    listing = text_of(client.get("/board/"))
    assert "Petits travaux d'électricité" in listing and "Jeanne Martin · B-204" in listing
    [row] = store.query(db, "SELECT type, scope FROM events WHERE type LIKE 'board.%'")
    assert tuple(row) == ("board.post_published", "building")


def test_a_post_for_neighbouring_buildings_is_a_network_event(client, db, building):
    login(client, building.jeanne)
    offer(client, network="1")
    [row] = store.query(db, "SELECT type, scope FROM events WHERE type LIKE 'board.%'")
    assert tuple(row) == ("board.post_published_network", "network")


@pytest.mark.parametrize(
    ("words", "found"),
    [
        ("electricite", True),  # no accents finds "électricité"
        ("ÉLECTRICITÉ", True),  # upper case with accents
        ("electr", True),  # a word being typed
        ("luminaires samedi", True),  # every word, anywhere in the post
        ("plomberie", False),
    ],
)
def test_search_ignores_accents_and_case(client, db, config, building, words, found):
    publish(
        db,
        config,
        building.jeanne,
        title="Petits travaux d'électricité",
        description="Prises et luminaires",
        availability="Le samedi",
    )
    publish(db, config, building.paul, title="Garde de chat")
    page = text_of(client.get("/board/", query_string={"q": words}))
    assert ("Petits travaux d'électricité" in page) is found
    assert "Garde de chat" not in page


def test_search_finds_accented_words_typed_without_accents_and_the_other_way(db, config, building):
    publish(db, config, building.jeanne, title="Aide aux devoirs de français")
    publish(
        db,
        config,
        building.paul,
        title="Repassage et couture",
        description="Ourlets, boutons à recoudre",
    )
    publish(db, config, building.admin, title="Garde d'enfants", description="Mercredi apres-midi")

    def titles(text):
        return [p.title for p in board.browse(db, config, text=text).posts]

    assert titles("francais") == ["Aide aux devoirs de français"]
    assert titles("boutons a recoudre") == ["Repassage et couture"]
    assert titles("après-midi") == ["Garde d'enfants"]  # accents typed, none stored
    assert titles("ENFANTS") == ["Garde d'enfants"]
    assert titles('"guillemets" OR *') == []  # FTS syntax is taken as words, never an error


def test_browse_filters_by_direction_kind_and_category_newest_first(client, db, config, building):
    publish(db, config, building.jeanne, title="Perceuse à prêter", kind="lend", category="diy")
    publish(
        db,
        config,
        building.paul,
        title="Cherche covoiturage",
        direction="request",
        kind="carpool",
        category="transport",
    )
    publish(db, config, building.jeanne, title="Cours de cuisine", category="cooking")
    assert [p.title for p in board.browse(db, config).posts] == [
        "Cours de cuisine",
        "Cherche covoiturage",
        "Perceuse à prêter",
    ]
    assert [p.title for p in board.browse(db, config, direction="request").posts] == [
        "Cherche covoiturage"
    ]
    assert [p.title for p in board.browse(db, config, kind="lend").posts] == ["Perceuse à prêter"]
    page = text_of(client.get("/board/", query_string={"category": "cooking"}))
    assert "Cours de cuisine" in page and "Perceuse" not in page


def test_long_lists_paginate(client, db, config, building):
    size = config["board"]["page_size"]
    for n in range(size + 3):
        publish(db, config, building.jeanne, title=f"Annonce numéro {n:02d}")
    first = text_of(client.get("/board/"))
    assert f"Annonce numéro {size + 2:02d}" in first and "Annonce numéro 00" not in first
    assert "Page suivante" in first and "Page précédente" not in first
    second = text_of(client.get("/board/?page=2"))
    assert (
        "Annonce numéro 00" in second
        and "Page précédente" in second
        and "Page suivante" not in second
    )
    assert client.get("/board/?page=abc").status_code == 200


def test_an_ended_post_leaves_the_board_but_stays_in_the_history(client, db, config, building):

    publish(
        db,
        config,
        building.jeanne,
        title="Tomates du jardin",
        kind="give",
        ends_on=board.today(config) + timedelta(days=7),
    )
    assert [p.title for p in board.browse(db, config).posts] == ["Tomates du jardin"]
    clock.shift(8 * 24 * 3600)
    assert board.browse(db, config).posts == []
    login(client, building.jeanne)
    mine = text_of(client.get("/board/mine"))
    assert "Tomates du jardin" in mine and "terminée" in mine


def test_the_poster_withdraws_a_post_with_an_event_never_a_delete(client, db, config, building):
    item = publish(db, config, building.jeanne)
    login(client, building.paul)
    response = post(client, f"/board/post/{item.id}/withdraw", follow_redirects=True)
    assert "Seule la personne qui l'a publiée" in text_of(response)
    assert board.get_post(db, config, item.id).active
    client.post("/logout")
    login(client, building.jeanne)
    response = post(client, f"/board/post/{item.id}/withdraw", follow_redirects=True)
    assert "retirée du tableau" in text_of(response)
    assert board.browse(db, config).posts == []
    assert store.scalar(db, "SELECT COUNT(*) FROM board_posts") == 1
    assert store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = 'board.post_withdrawn'") == 1


def test_an_admin_withdraws_any_post(client, db, config, building):
    item = publish(db, config, building.jeanne)
    login(client, building.admin)
    post(client, f"/board/post/{item.id}/withdraw")
    assert not board.get_post(db, config, item.id).active


def test_paul_answers_and_jeanne_sees_a_badge_at_her_next_login(client, db, config, building):
    item = publish(db, config, building.jeanne, title="Cours de guitare")
    login(client, building.paul)
    response = post(
        client, f"/board/post/{item.id}/answer", {"body": "Je suis libre <b>samedi</b>"}
    )
    assert response.status_code == 302
    client.post("/logout")
    login(client, building.jeanne)
    home = client.get("/me/").get_data(as_text=True)
    assert 'class="badge"' in home and "1 nouveau" in home
    messages = text_of(client.get("/board/messages"))
    assert "Paul Durand (A-101) est intéressé par « Cours de guitare »" in messages
    assert "Je suis libre <b>samedi</b>" in messages  # shown as text
    assert "<b>samedi</b>" not in client.get("/board/messages").get_data(as_text=True)
    assert 'class="badge"' not in client.get("/me/").get_data(as_text=True)  # read now
    [message] = board_messages.messages_for(db, building.jeanne.id)
    response = post(client, f"/board/messages/{message.id}/print", follow_redirects=True)
    assert "en cours d'impression" in text_of(response)
    [job] = print_queue.list_jobs(db, reference=f"message-{message.id[:8]}")
    assert job.layout == "board_message" and job.payload["sender"]["name"] == "Paul Durand"


def test_nobody_answers_their_own_post(client, db, config, building):
    item = publish(db, config, building.jeanne)
    login(client, building.jeanne)
    response = post(client, f"/board/post/{item.id}/answer", {"body": "moi"})
    assert response.status_code == 400 and "votre propre annonce" in text_of(response)
    assert board_messages.messages_for(db, building.jeanne.id) == []


def test_a_withdrawn_post_cannot_be_answered(client, db, config, building):
    item = publish(db, config, building.jeanne)
    board.withdraw(db, config, item.id, actor=building.jeanne)
    login(client, building.paul)
    response = post(client, f"/board/post/{item.id}/answer", {"body": ""})
    assert response.status_code == 400 and "retirée ou est terminée" in text_of(response)


def test_record_the_exchange_from_a_post_prefills_the_form_and_keeps_the_post_id(
    client, db, config, building
):

    item = publish(
        db,
        config,
        building.jeanne,
        title="Réparer un robinet",
        category="diy",
        price_mode="per_hour",
        price=1000,
    )
    login(client, building.paul)
    response = client.get(f"/board/post/{item.id}/exchange")
    assert response.status_code == 302 and "/exchange/new?" in response.location
    form = text_of(client.get(response.location))
    assert f'name="post" value="{item.id}"' in form
    assert "Du tableau : « Réparer un robinet », Jeanne Martin (B-204)" in form
    assert f'name="neighbour" value="{building.jeanne.id}" checked' in form
    assert 'value="diy" selected' in form
    assert 'name="hours" type="text"' in form and 'value="1" class="input-short"' in form
    response = post(
        client,
        "/exchange/new",
        {
            "post": item.id,
            "direction": "paid",
            "neighbour": building.jeanne.id,
            "description": "Réparer un robinet",
            "category": "diy",
            "hours": "1",
            "minutes": "",
            "amount": "",
        },
    )
    assert response.location.endswith("/exchange/confirm")
    post(client, "/exchange/confirm", {"pin": PIN})
    [transfer] = ledger.recent_transfers(db)
    assert transfer.post_id == item.id and transfer.amount == 1000
    assert transfer.payer_id == building.paul.id and transfer.payee_id == building.jeanne.id


def test_a_request_post_prefills_i_helped_and_a_fixed_price(db, config, building):
    item = publish(
        db,
        config,
        building.jeanne,
        title="Arroser mes plantes",
        direction="request",
        category="plants",
        price_mode="fixed",
        price=550,
    )
    fields = board.exchange_prefill(config, item, building.paul)
    assert fields["direction"] == "earned" and fields["amount"] == "5,50"


def test_an_admin_posts_for_a_resident_without_the_kiosk(client, db, config, building):
    login(client, building.admin)
    response = offer(client, for_resident=building.jeanne.id, title="Tricot pour bébés")
    page = text_of(client.get(response.location))
    assert "Jeanne Martin · B-204" in page
    assert "publiée par Claire Petit pour l'appartement B-204" in page
    [item] = board.browse(db, config).posts
    assert item.poster_id == building.jeanne.id and item.posted_by == building.admin.id


def test_a_super_neighbour_posts_for_someone_else_and_a_resident_cannot(
    client, db, config, building
):
    login(client, building.paul)
    assert 'name="for_resident"' not in client.get("/board/new").get_data(as_text=True)
    response = offer(client, for_resident=building.jeanne.id)
    assert response.status_code == 400 and "super voisin" in text_of(response)
    assert board.browse(db, config).posts == []
    client.post("/logout")
    login(client, building.admin)
    post(client, f"/board/helpers/{building.paul.id}", {"enabled": "1"})
    assert board.helper_ids(db) == {building.paul.id}
    client.post("/logout")
    login(client, building.paul)
    assert 'name="for_resident"' in client.get("/board/new").get_data(as_text=True)
    offer(client, for_resident=building.jeanne.id)
    [item] = board.browse(db, config).posts
    assert item.poster_id == building.jeanne.id and item.posted_by == building.paul.id


def test_only_admins_open_the_super_neighbours_page(client, building):
    login(client, building.paul)
    assert client.get("/board/helpers").status_code == 403


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Donnez un titre"),
        ({"title": "   "}, "Donnez un titre"),
        ({"title": "x" * 10_000}, "au plus 80 caractères"),
        ({"description": "y" * 1001}, "au plus 1000 caractères"),
        ({"availability": "z" * 121}, "au plus 120 caractères"),
        ({"title": "Bip\x07"}, "caractères de contrôle"),
        ({"category": "astrology"}, "Choisissez une catégorie"),
        ({"kind": "auction"}, "quel genre d'annonce"),
        ({"direction": "sideways"}, "proposez ou cherchez"),
        ({"price_mode": "barter"}, "Choisissez un prix"),
        ({"price_mode": "per_hour", "price": ""}, "supérieur à zéro"),
        ({"price_mode": "fixed", "price": "douze"}, "n'est pas un montant"),
        ({"price_mode": "fixed", "price": "5000"}, "au plus de 200 CEEC"),
        ({"ends_in": "-3"}, "déjà passée"),
        ({"ends_in": "demain"}, "quand l'annonce se termine"),
        ({"ends_in": "4000"}, "au plus un an"),
    ],
)
def test_bad_posts_get_a_clear_message_and_change_nothing(client, db, building, fields, message):
    login(client, building.jeanne)
    before = store.scalar(db, "SELECT COUNT(*) FROM events")
    response = offer(client, **fields)
    assert response.status_code == 400
    assert message in text_of(response)
    assert store.scalar(db, "SELECT COUNT(*) FROM events") == before


def test_an_end_date_in_the_past_is_refused_by_the_domain(db, config, building):

    with pytest.raises(EndDateInPast):
        publish(db, config, building.jeanne, ends_on=date(2001, 1, 1))


SCRIPT = '<script>alert("x")</script>'


def test_html_and_script_are_shown_as_text_in_every_field(client, db, config, building):
    login(client, building.jeanne)
    response = offer(client, title=SCRIPT[:80], description=SCRIPT, availability=SCRIPT)
    item_url = response.location
    for url in (item_url, "/board/", "/board/mine", "/board/?q=alert"):
        html = client.get(url).get_data(as_text=True)
        assert SCRIPT not in html and "&lt;script&gt;" in html, url
    [item] = board.browse(db, config).posts
    client.post("/logout")
    login(client, building.paul)
    post(client, f"/board/post/{item.id}/answer", {"body": SCRIPT})
    client.post("/logout")
    login(client, building.jeanne)
    html = client.get("/board/messages").get_data(as_text=True)
    assert SCRIPT not in html and "&lt;script&gt;" in html


def test_unknown_posts_say_so(client, building):
    response = client.get("/board/post/nope")
    assert response.status_code in (400, 404) and "Cette annonce n'existe pas" in text_of(response)


def test_the_board_sheet_prints_current_offers_and_requests_on_demand(client, db, config, building):
    publish(db, config, building.jeanne, title="Cours de guitare", category="school")
    publish(
        db,
        config,
        building.paul,
        title="Cherche perceuse",
        direction="request",
        kind="lend",
        category="diy",
    )
    gone = publish(db, config, building.paul, title="Retirée")
    board.withdraw(db, config, gone.id, actor=building.paul)
    login(client, building.paul)
    assert post(client, "/board/sheet/print").status_code == 403  # not an admin nor super neighbour
    client.post("/logout")
    login(client, building.admin)
    response = post(client, "/board/sheet/print", follow_redirects=True)
    assert "en cours d'impression" in text_of(response)
    [job] = print_queue.list_jobs(db, states=("queued",))
    assert job.layout == "board_sheet"
    assert [e["title"] for e in job.payload["offers"]] == ["Cours de guitare"]
    assert job.payload["requests"] == [
        {
            "title": "Cherche perceuse",
            "apartment": "A-101",
            "name": "Paul Durand",
            "category_label": "Bricolage et petite plomberie",
        }
    ]


def test_the_weekly_sheet_job_is_scheduled_from_config_and_queues_a_sheet(db, config, building):

    scheduler = BackgroundScheduler(timezone=str(config.timezone))
    for register in _job_registrations():
        register(scheduler, config)
    job = scheduler.get_job("weekly-board-sheet")
    assert str(job.trigger.fields[4]) == "mon" and str(job.trigger.fields[5]) == "8"
    publish(db, config, building.jeanne, title="Cours de guitare")
    job.func()  # what the scheduler runs at the hour
    [queued] = print_queue.list_jobs(db, states=("queued",))
    assert (
        queued.layout == "board_sheet"
        and queued.payload["offers"][0]["title"] == "Cours de guitare"
    )
    assert board_sheet.sheet_payload(db, config)["week_of"] <= board.today(config).isoformat()


def test_a_network_post_from_another_building_is_shown_with_its_residence(db, config, building):

    with store.write(db):
        apply_foreign(
            db,
            Event(
                id="0190aaaa-0000-7000-8000-000000000001",
                origin="XYZXYZ",
                seq=1,
                type="board.post_published_network",
                scope="network",
                payload={
                    "direction": "offer",
                    "kind": "give",
                    "category": "other",
                    "title": "Vélo d'enfant",
                    "description": "",
                    "availability": "",
                    "price_mode": "free",
                    "price": None,
                    "ends_on": None,
                    "poster_id": "someone-far",
                    "poster_name": "Marc Blanc",
                    "poster_apartment": "D-12",
                    "building": "Résidence des Érables",
                    "posted_by": None,
                },
                created_at="2026-01-01T10:00:00Z",
            ),
        )
    [item] = board.browse(db, config, text="velo").posts
    assert item.is_remote and item.building == "Résidence des Érables" and item.name == "Marc Blanc"

    with pytest.raises(RemotePost):
        board_messages.answer(db, config, item.id, sender=building.paul)


def test_search_works_after_a_rebuild_from_the_log(tmp_path, db, config, building):
    publish(db, config, building.jeanne, title="Électricité et luminaires")
    gone = publish(db, config, building.paul, title="Électricité générale")
    board.withdraw(db, config, gone.id, actor=building.paul)
    rebuilt = store.rebuild(db, tmp_path / "rebuilt.sqlite3")
    assert store.projection_snapshot(rebuilt) == store.projection_snapshot(db)
    assert [p.title for p in board.browse(rebuilt, config, text="electricite").posts] == [
        "Électricité et luminaires"
    ]

"""Notices, urgent alerts, polls, moving out and the idle screen, through the test client; and
the rebuilt database equals the live one after a community history."""

from __future__ import annotations

import re

import pytest
from app_fixtures import login, make_test_config, post, text_of

from kiosk import clock, store
from kiosk.admin import moving_out
from kiosk.app import create_app
from kiosk.community import alerts, notices, polls
from kiosk.errors import KioskError
from kiosk.ledger import exchanges, ledger
from kiosk.residents import residents
from printing import queue as print_queue


def jobs(db, layout):
    return [job for job in print_queue.list_jobs(db) if job.layout == layout]


def open_poll(db, config, building, **options):
    today = polls.today(config)
    values = {
        "question": "Repeindre le hall en vert ?",
        "options": ["Oui", "Non", "Sans avis"],
        "opens_on": today,
        "closes_on": today,
        **options,
    }
    return polls.open_poll(db, config, creator_id=building.admin.id, **values)


# --------------------------------------------------------------------------- notices


def test_a_neighbour_posts_a_notice_that_shows_prints_and_is_withdrawn(client, db, building):
    login(client, building.jeanne)
    response = post(
        client,
        "/community/notices/new",
        {
            "title": "Chat gris perdu",
            "body": "Répond au nom de Minou",
            "category": "lost_found",
            "start": "0",
            "length": "7",
            "network": "1",
        },
    )
    assert response.status_code == 302
    notice_id = response.location.rsplit("/", 1)[-1]
    assert "Chat gris perdu" in text_of(client.get("/community/"))
    [row] = store.query(db, "SELECT type, scope FROM events WHERE type LIKE 'notice.%'")
    assert (row["type"], row["scope"]) == ("notice.posted_network", "network")
    post(client, f"/community/notices/{notice_id}/print")
    [job] = jobs(db, "notice")
    assert (
        job.payload["title"] == "Chat gris perdu"
        and job.payload["author"] == "Jeanne Martin, B-204"
    )
    post(client, f"/community/notices/{notice_id}/withdraw")
    assert "Chat gris perdu" not in text_of(client.get("/community/"))


@pytest.mark.parametrize(
    "form, message",
    [
        ({"title": "", "category": "party", "start": "0", "length": "7"}, "Donnez un titre"),
        (
            {"title": "Fête", "category": "nope", "start": "0", "length": "7"},
            "Choisissez une catégorie",
        ),
        ({"title": "Fête", "category": "party", "start": "-3", "length": "7"}, "Choisissez quand"),
        ({"title": "Fête", "category": "party", "start": "0", "length": "999"}, "Choisissez quand"),
        (
            {"title": "Fête", "category": "party", "start": "0", "length": "7", "official": "1"},
            "administrateur",
        ),
    ],
)
def test_bad_notices_are_refused(client, db, building, form, message):
    login(client, building.jeanne)
    response = post(client, "/community/notices/new", form)
    assert response.status_code == 400 and message in text_of(response)
    assert store.scalar(db, "SELECT COUNT(*) FROM notices") == 0


def test_an_admin_posts_an_official_notice_and_only_the_author_or_an_admin_withdraws(
    client, db, building, config
):
    start, end = notices.dates_from_choices(config, 1, 3)
    notice = notices.post_notice(
        db,
        config,
        author_id=building.admin.id,
        title="Coupure d'eau mardi",
        body="De 9 h à 12 h",
        category="works",
        starts_on=start,
        ends_on=end,
        official=True,
    )
    assert notice.official and notice.scope == "building"
    assert notices.current_notices(db, config) == []  # starts tomorrow
    login(client, building.paul)
    response = post(client, f"/community/notices/{notice.id}/withdraw", follow_redirects=True)
    assert "Seuls son auteur" in text_of(response)
    assert notices.get_notice(db, notice.id).withdrawn_at is None


# --------------------------------------------------------------------------- alerts


def test_an_admin_raises_an_alert_shown_everywhere_printed_once_then_resolved(client, db, building):
    login(client, building.admin)
    response = post(client, "/community/alerts/new", {"kind": "flood", "text": "Fuite au 3e étage"})
    assert response.status_code == 302
    [job] = jobs(db, "alert")
    assert job.payload["text"] == "Fuite au 3e étage" and job.payload["raised_by"] == "Claire Petit"
    for path in ("/me/", "/community/", "/polls/"):
        assert "Fuite au 3e étage" in text_of(client.get(path)), path
    post(client, "/logout")
    assert "Fuite au 3e étage" in text_of(client.get("/"))  # the idle screen too
    login(client, building.admin)
    [alert] = alerts.active_alerts(db)
    post(client, f"/community/alerts/{alert.id}/resolve", {"resolution": "Plombier passé"})
    assert alerts.active_alerts(db) == []
    html = text_of(client.get("/community/alerts"))
    assert "Résolue le" in html and "Plombier passé" in html and "Claire Petit" in html
    assert len(jobs(db, "alert")) == 1
    assert "Fuite au 3e étage" not in text_of(client.get("/me/")).split("<main")[0]


def test_alerts_with_no_text_or_from_residents_are_refused(client, db, building):
    login(client, building.admin)
    response = post(client, "/community/alerts/new", {"kind": "flood", "text": "   "})
    assert response.status_code == 400 and "Dites en quelques mots" in text_of(response)
    post(client, "/logout")
    login(client, building.jeanne)
    assert client.get("/community/alerts/new").status_code == 403
    with pytest.raises(KioskError):
        alerts.raise_alert(
            db,
            client.application.config["KIOSK"],
            raiser_id=building.jeanne.id,
            kind="theft",
            text="Vol",
        )
    assert store.scalar(db, "SELECT COUNT(*) FROM alerts") == 0 and jobs(db, "alert") == []


def test_residents_may_raise_alerts_when_configured(tmp_path):

    config = make_test_config(tmp_path, community={"residents_may_raise_alerts": True})
    create_app(config)
    db = store.connect(config.database_path)
    jeanne = residents.register(db, apartment="B-204", name="Jeanne", pin="2580")
    alert = alerts.raise_alert(
        db, config, raiser_id=jeanne.id, kind="theft", text="Vélo volé à la cave"
    )
    assert alert.kind == "theft"
    db.close()


# --------------------------------------------------------------------------- polls


def test_a_resident_votes_changes_the_vote_and_sees_the_chart(client, db, building, config):
    poll = open_poll(db, config, building)
    login(client, building.jeanne)
    assert post(client, f"/polls/{poll.id}/vote", {"option": "0"}).status_code == 302
    response = post(client, f"/polls/{poll.id}/vote", {"option": "0"})
    assert response.status_code == 400 and "déjà voté pour cette réponse" in text_of(response)
    assert post(client, f"/polls/{poll.id}/vote", {"option": "1"}).status_code == 302
    html = text_of(client.get(f"/polls/{poll.id}"))
    assert re.search(r'<svg[^>]+role="img"', html) and "<title" in html and "<desc" in html
    assert polls.get_poll(db, config, poll.id).counts == [0, 1, 0]
    # secret ballot: the vote event names no voter
    votes = store.query(db, "SELECT payload FROM events WHERE type = 'poll.voted'")
    assert votes and all(building.jeanne.id not in row["payload"] for row in votes)
    post(client, f"/polls/{poll.id}/print")
    [job] = jobs(db, "poll_results")
    assert job.payload["results"][1] == {"option": "Non", "votes": 1}


def test_votes_after_the_close_are_refused(client, db, building, config):
    poll = open_poll(db, config, building)
    clock.shift(2 * 86400)
    login(client, building.jeanne)
    response = post(client, f"/polls/{poll.id}/vote", {"option": "0"})
    assert response.status_code == 400 and "Ce sondage est clos" in text_of(response)
    assert store.scalar(db, "SELECT COUNT(*) FROM poll_votes") == 0


def test_one_vote_per_apartment_is_the_households(db, building, config):
    poll = open_poll(db, config, building, per="apartment", ballot="public")
    marc = residents.register(db, apartment="B-204", name="Marc Martin", pin="2580")
    polls.vote(db, config, poll.id, voter_id=building.jeanne.id, option=0)
    result = polls.vote(db, config, poll.id, voter_id=marc.id, option=1)
    assert result.counts == [0, 1, 0]
    [public] = polls.public_votes(db, result)
    assert public["apartment"] == "B-204"


def test_hidden_results_appear_at_the_close(client, db, building, config):
    poll = open_poll(db, config, building, results_hidden=True)
    polls.vote(db, config, poll.id, voter_id=building.paul.id, option=2)
    login(client, building.jeanne)
    assert "cachés jusqu'à la clôture" in text_of(client.get(f"/polls/{poll.id}"))
    clock.shift(2 * 86400)
    assert 'data-testid="votes-2">1<' in client.get(f"/polls/{poll.id}").get_data(as_text=True)


def test_polls_with_fewer_than_two_options_are_refused(client, db, building):
    login(client, building.admin)
    response = post(
        client,
        "/polls/new",
        {"question": "Oui ?", "option": ["Oui", "oui", ""], "opens": "0", "length": "7"},
    )
    assert response.status_code == 400 and "au moins deux réponses" in text_of(response)
    assert store.scalar(db, "SELECT COUNT(*) FROM polls") == 0
    response = post(
        client,
        "/polls/new",
        {
            "question": "Fête des voisins en juin ?",
            "option": ["Oui", "Non"],
            "opens": "0",
            "length": "7",
            "ballot": "public",
        },
    )
    assert response.status_code == 302


def test_a_pending_resident_cannot_vote(db, building, config):
    poll = open_poll(db, config, building)
    with pytest.raises(KioskError, match="not verified"):
        polls.vote(db, config, poll.id, voter_id=building.pending.id, option=0)


# --------------------------------------------------------------------------- moving out


def test_moving_out_settles_the_balance_revokes_the_card_and_withdraws_posts(
    client, db, building, config
):
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Couture",
        amount=1500,
    )
    token = residents.issue_card(db, building.jeanne.id, print_it=False)
    start, end = notices.dates_from_choices(config, 0, 7)
    notices.post_notice(
        db,
        config,
        author_id=building.jeanne.id,
        title="Vide-grenier",
        body="",
        category="party",
        starts_on=start,
        ends_on=end,
    )
    login(client, building.admin)
    assert "15,00" in text_of(client.get(f"/admin/residents/{building.jeanne.id}/move-out"))
    response = post(
        client, f"/admin/residents/{building.jeanne.id}/move-out", follow_redirects=True
    )
    assert "Compte fermé" in text_of(response)
    jeanne = residents.get(db, building.jeanne.id)
    assert jeanne.status == "moved_out" and jeanne.balance == 0
    assert store.scalar(db, "SELECT balance FROM accounts WHERE id = 'system:common_fund'") == 1500
    assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0
    assert notices.current_notices(db, config) == []
    assert ledger.statement(db, config, jeanne.id).lines  # history kept
    post(client, "/logout")
    response = post(client, "/scan", {"code": token}, follow_redirects=True)
    assert "Ce compte est fermé : départ de l'immeuble le" in text_of(response)
    assert "B-204" not in text_of(client.get("/login/apartments"))


def test_moving_out_refusals(client, db, building, config):
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Couture",
        amount=1500,
    )
    strict = config.__class__(
        {
            **config.values,
            "community": {**config["community"], "moving_out_settlement": "credit_only"},
        }
    )
    with pytest.raises(KioskError, match="debt must be repaid"):
        moving_out.close_resident(
            db, strict, resident_id=building.paul.id, admin_id=building.admin.id
        )
    with pytest.raises(KioskError, match="your own account"):
        moving_out.close_resident(
            db, config, resident_id=building.admin.id, admin_id=building.admin.id
        )
    moving_out.close_resident(db, config, resident_id=building.paul.id, admin_id=building.admin.id)
    assert residents.get(db, building.paul.id).balance == 0  # the common fund covered the debt
    with pytest.raises(KioskError, match="already moved out"):
        moving_out.close_resident(
            db, config, resident_id=building.paul.id, admin_id=building.admin.id
        )


# --------------------------------------------------------------------------- idle screen


def test_the_idle_screen_rotates_polls_and_notices_but_never_private_data(
    client, db, building, config
):
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Réparation secrète",
        amount=1234,
    )
    open_poll(db, config, building, question="Composteur dans la cour ?")
    start, end = notices.dates_from_choices(config, 0, 7)
    notices.post_notice(
        db,
        config,
        author_id=building.admin.id,
        title="Ascenseur en panne",
        body="",
        category="works",
        starts_on=start,
        ends_on=end,
        official=True,
    )
    html = text_of(client.get("/"))
    assert "Composteur dans la cour ?" in html and "Ascenseur en panne" in html
    assert "Passez votre carte ou touchez pour commencer" in html
    assert "Résidence des Tilleuls" in html
    for private in ("12,34", "CEEC", "Réparation secrète", "Jeanne Martin", "Paul Durand"):
        assert private not in html, private


# --------------------------------------------------------------------------- the log


def test_the_rebuilt_database_equals_the_live_one_after_a_community_history(
    tmp_path, db, building, config
):
    verification_module = __import__("kiosk.residents.verification", fromlist=["x"])
    newcomer = residents.register(db, apartment="D-1", name="Lucie", pin="1357", status="pending")
    verification_module.vouch(
        db, config, newcomer_id=newcomer.id, voucher_id=building.jeanne.id, pin="2580"
    )
    verification_module.issue_mailbox_code(
        db, config, apartment="C-301", admin_id=building.admin.id
    )
    verification_module.verify_with_proof(
        db, config, resident_id=building.pending.id, admin_id=building.admin.id, proof_kind="lease"
    )
    poll = open_poll(db, config, building)
    polls.vote(db, config, poll.id, voter_id=building.jeanne.id, option=0)
    polls.vote(db, config, poll.id, voter_id=building.jeanne.id, option=2)
    alert = alerts.raise_alert(
        db, config, raiser_id=building.admin.id, kind="safety", text="Porte forcée"
    )
    alerts.resolve_alert(db, alert.id, resolver_id=building.admin.id, resolution="Serrure changée")
    start, end = notices.dates_from_choices(config, 0, 3)
    notices.post_notice(
        db,
        config,
        author_id=building.paul.id,
        title="Fête",
        body="",
        category="party",
        starts_on=start,
        ends_on=end,
        network=True,
    )
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Aide",
        amount=700,
    )
    residents.issue_card(db, building.paul.id, print_it=False)
    moving_out.close_resident(db, config, resident_id=building.paul.id, admin_id=building.admin.id)
    rebuilt = store.rebuild(db, tmp_path / "rebuilt.sqlite3")
    assert store.projection_snapshot(rebuilt) == store.projection_snapshot(db)
    assert store.scalar(rebuilt, "SELECT SUM(balance) FROM accounts") == 0
    rebuilt.close()

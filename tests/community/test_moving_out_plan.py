"""Moving out resolves everything the resident left open, as the page announced before the
volunteer confirmed: a resident holding one of every kind of open item (loans lent and
borrowed, with and without a fee; orders in an open and in a closed group purchase; payment
requests both ways; a project membership with dues; a vouch for a pending newcomer; a voucher
in circulation) moves out. Afterwards every item is as announced, no neighbour is blocked (the
loans are closed, the purchase is distributed, nothing waits in a "to answer" badge, accepting
an old request is refused with the note), the sum of the balances is zero, and the printed
"Départ de l'immeuble" slip (decoded from the loopback printer) says it all. The same with the
kiosk restarted between each step (a new app on the same database)."""

from __future__ import annotations

import re

import pytest
from app_fixtures import PIN, login, post, text_of
from departure_scene import leave_everything_open
from printer_loopback import decode, network_settings

from kiosk import store
from kiosk.app import create_app
from kiosk.board import lending, payment_requests
from kiosk.ledger import exchanges
from kiosk.projects import dues as project_dues
from kiosk.projects import projects
from kiosk.projects import purchase_distribution as distribution
from kiosk.projects import purchases as group_purchases
from kiosk.residents import residents, verification
from kiosk.store import reads
from kiosk.vouchers import reads as voucher_reads
from printing import queue as print_queue
from printing.settings import load_profile
from printing.transports import make_printer
from printing.worker import print_pending


def plain(text: str) -> str:
    """Text with its no-break spaces (amounts, French punctuation) as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def restarted(config, restart: bool, client):
    """A client of a new app on the same database when ``restart`` (the kiosk restarted)."""
    if not restart:
        return client
    app = create_app(config)
    app.config["TESTING"] = True
    return app.test_client()


def printed_slip(db, loopback_printer, tmp_path) -> str:
    """Print what is queued on the loopback printer; the text of the departure slip."""
    (job,) = [job for job in print_queue.list_jobs(db) if job.layout == "departure"]
    settings = network_settings(loopback_printer, tmp_path)
    for other in print_queue.list_jobs(db, states=("queued",)):
        if other.id != job.id:
            print_queue.cancel_job(db, other.id)
    assert print_pending(db, make_printer(settings), settings) == 1
    assert print_queue.get_job(db, job.id).state == "done"
    (data,) = loopback_printer.wait_for_connections(1)
    return decode(data, load_profile(settings.profile).get_code_pages()).text


@pytest.mark.parametrize("restart", [False, True], ids=["same-app", "restarted-between-steps"])
def test_every_item_left_open_is_resolved_as_announced(
    client, db, config, building, loopback_printer, tmp_path, restart
):
    paul, jeanne, claire = building.paul, building.jeanne, building.admin
    closed, still_open, loans, requests, wifi, voucher = leave_everything_open(db, config, building)
    assert payment_requests.pending_count(db, jeanne.id) == 1
    balance_before = residents.get(db, paul.id).balance
    assert balance_before == 3000 - 500

    # Before confirming, the volunteer reads the list and what will happen to each item.
    client = restarted(config, restart, client)
    login(client, claire)
    page = plain(text_of(client.get(f"/admin/residents/{paul.id}/move-out")))
    for words in (
        "Prêt accordé",
        "Escabeau",
        "Perceuse",
        "les frais de 3,00 CEEC sont annulés",
        "Prêt emprunté",
        "Tente",
        "Clos ; les frais de 2,00 CEEC sont payés à Jeanne Martin, dans le solde final.",
        "Miel du Pilat",
        "Annulée : les commandes sont encore ouvertes.",
        "Granulés de bois",
        "Gardée : les commandes sont closes ; elle est réglée à la distribution.",
        "Ourlet",
        "Cours de guitare",
        "Annulée, rien n'est payé ; le voisin lit pourquoi.",
        "Wifi partagé",
        "sa part de la cotisation est répartie entre les autres membres",
        "Nouveau Voisin",
        "Gardé : il a été donné quand il habitait ici",
        "1 encore en circulation : ils restent valables, un bon appartient à celui qui le porte.",
        "Clos ; les frais de 1,00 CEEC sont payés à Jeanne Martin, dans le solde final.",
        "après les frais de prêt : +22,00 CEEC",
        "Le solde va au fonds commun.",
    ):
        assert words in page, words

    client = restarted(config, restart, client)
    login(client, claire)
    response = post(client, f"/admin/residents/{paul.id}/move-out", follow_redirects=True)
    assert "Compte fermé" in text_of(response)
    client = restarted(config, restart, client)

    # The leaver: closed, settled to zero; the fee was paid to the lender, the rest to the fund.
    assert residents.get(db, paul.id).status == "moved_out"
    assert residents.get(db, paul.id).balance == 0
    assert store.scalar(db, "SELECT balance_left FROM departures") == 2200
    assert reads.balances_sum(db) == 0
    # Loans: all closed; the lender of the priced one got the fee, the borrower of Paul's was
    # not charged, and nothing is left for anyone to close.
    for loan in loans.values():
        assert lending.get_loan(db, config, loan.id).returned_at is not None
    assert residents.get(db, jeanne.id).balance == -3000 + 200 + 100
    assert lending.loans_of(db, config, jeanne.id) and not [
        loan for loan in lending.loans_of(db, config, jeanne.id) if loan.returned_at is None
    ]
    login(client, jeanne)
    loans_page = text_of(client.get("/loans/"))
    assert all(f"/loans/{loan.id}/returned" not in loans_page for loan in loans.values())
    # Requests: cancelled both ways, nothing to answer, accepting the old one is refused.
    fee_request = payment_requests.get_request(db, requests.pop("loan_fee").id)
    assert fee_request.status == "accepted" and fee_request.transfer_reference
    for request in requests.values():
        assert payment_requests.get_request(db, request.id).status == "cancelled"
    assert payment_requests.pending_count(db, jeanne.id) == 0
    sent = requests["sent"]
    refused = post(client, f"/requests/{sent.id}", {"pin": PIN})
    assert refused.status_code == 400
    assert "Cette demande de paiement a été annulée : Paul Durand a quitté l'immeuble le" in (
        plain(text_of(refused))
    )
    assert residents.get(db, jeanne.id).balance == -2700  # nothing was paid
    # Orders: cancelled in the open purchase, kept in the closed one, which is distributed.
    assert group_purchases.order_of(db, still_open.project_id, paul.id) == {}
    assert group_purchases.order_of(db, closed.project_id, paul.id)
    distribution.mark_distributed(db, config, closed.project_id, by=claire.id)
    assert group_purchases.get_purchase(db, closed.project_id).state == "distributed"
    # The membership ended: the month's dues are shared by the members who stay.
    assert not projects.is_member(db, wifi.id, paul.id)
    period = project_dues.current_period(config, "month")
    assert [share.member.id for share in project_dues.shares(db, wifi.id, period)] == [jeanne.id]
    # The vouch is kept; the voucher stays valid, in circulation.
    assert [row["voucher_id"] for row in verification.vouches_for(db, building.pending.id)] == [
        paul.id
    ]
    assert residents.get(db, building.pending.id).status == "pending"
    assert voucher_reads.outstanding_of_resident(db, paul.id) == (1, 500)

    # The slip says what happened, not "Reçu d'échange" paid by "Fonds commun ()".
    slip = printed_slip(db, loopback_printer, tmp_path)
    flowing = " ".join(slip.split())
    for label, amount in (
        ("Solde", "+25,00 CEEC"),
        ("Frais de prêt payés", "-3,00 CEEC"),
        ("Solde final", "+22,00 CEEC"),
        ("Solde désormais", "0,00 CEEC"),
    ):
        assert re.search(rf"^{label} \.+ {re.escape(amount)}$", slip, re.MULTILINE), label
    for words in (
        "Départ de l’immeuble",
        "Paul Durand (A-101)",
        "Ce compte est fermé.",
        "Versé au fonds commun : 22,00 CEEC",
        "Prêt emprunté : Appareil à raclette",
        "Clos ; les frais de 2,00 CEEC sont payés à Jeanne Martin",
        "Commande d'un achat groupé : Miel du Pilat",
        "Annulée : les commandes sont encore ouvertes.",
        "Demande de paiement envoyée : Cours de guitare",
        "Participation à un projet : Wifi partagé",
        "Bons en circulation",
    ):
        assert words in flowing, words
    assert "Reçu d'échange" not in flowing and "()" not in flowing


def test_a_fee_that_would_break_the_floor_is_waived_and_said_so(client, db, config, building):
    """A priced loan the leaver cannot pay without crossing the credit floor: closed, the fee
    waived, and the page says why; the lender is not left waiting."""
    paul, jeanne = building.paul, building.jeanne
    floor = config.amount("credit_floor")
    exchanges.record_exchange(
        db, config, payer_id=paul.id, payee_id=jeanne.id, description="Ourlets", amount=-floor
    )
    loan = lending.lend(
        db,
        config,
        lender_id=jeanne.id,
        borrower_id=paul.id,
        item="Perceuse",
        rate_mode="per_loan",
        rate=100,
    )
    login(client, building.admin)
    page = plain(text_of(client.get(f"/admin/residents/{paul.id}/move-out")))
    assert "les frais de 1,00 CEEC sont annulés : ils feraient passer le compte sous" in page
    post(client, f"/admin/residents/{paul.id}/move-out")
    assert residents.get(db, paul.id).status == "moved_out"
    assert lending.get_loan(db, config, loan.id).returned_at is not None
    assert residents.get(db, jeanne.id).balance == -floor
    assert reads.balances_sum(db) == 0


def test_what_changed_since_the_page_was_shown_stops_the_move_out(client, db, config, building):
    """The volunteer read the list; meanwhile Jeanne sends Paul a payment request. Confirming
    the page they read changes nothing and says why; the page drawn again lists the new
    request, and confirming that one closes it too."""
    paul, jeanne = building.paul, building.jeanne
    login(client, building.admin)
    stale = text_of(client.get(f"/admin/residents/{paul.id}/move-out"))
    stale_plan = re.search(r'name="plan" value="([0-9a-f]+)"', stale).group(1)
    late = payment_requests.request_payment(
        db, config, provider_id=jeanne.id, payer_id=paul.id, description="Ourlet", amount=400
    )
    refused = post(client, f"/admin/residents/{paul.id}/move-out", {"plan": stale_plan})
    assert refused.status_code == 400
    page = plain(text_of(refused))
    assert "Ce que Paul Durand laisse en cours a changé depuis l'affichage" in page
    assert "Ourlet · 4,00 CEEC" in page
    assert residents.get(db, paul.id).status == "verified"
    assert payment_requests.get_request(db, late.id).status == "pending"
    fresh = re.search(r'name="plan" value="([0-9a-f]+)"', page).group(1)
    form = {"plan": fresh}
    first = post(client, f"/admin/residents/{paul.id}/move-out", form)
    assert first.status_code == 302
    assert residents.get(db, paul.id).status == "moved_out"
    assert payment_requests.get_request(db, late.id).status == "cancelled"
    assert store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = 'resident.moved_out'") == 1
    assert reads.balances_sum(db) == 0

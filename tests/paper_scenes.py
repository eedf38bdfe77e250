"""A building's community life with long French values, for the printing tests: a notice, an
urgent alert, board posts and an answer to one, a payment request and a shared equipment's
contributions. Each is made by the kiosk's own functions, so their print payloads (notice,
alert, board_sheet, board_message, payment_request, dues_list) are the kiosk's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from kiosk.board import board, messages, payment_requests
from kiosk.community import alerts, notices
from kiosk.projects import dues as project_dues
from kiosk.projects import projects

NOTICE_TITLE = "Coupure d’eau chaude « générale » mardi"
NOTICE_BODY = (
    "Le plombier remplace la vanne d’arrêt du sous-sol : pas d’eau chaude de 9 h à 12 h "
    "dans les bâtiments A et B. Pensez à remplir une bouilloire !"
)
ALERT_TEXT = (
    "Fuite d’eau importante au 2ᵉ étage, escalier B : ne prenez pas l’ascenseur « côté cour »."
)
OFFER_TITLE = "Cours de couture « retouches et ourlets » à l’atelier du sous-sol"
REQUEST_TITLE = "Cherche quelqu’un pour arroser mes géraniums pendant l’été (août)"
MESSAGE_BODY = "Bonjour Jeanne ! Je suis intéressé par vos cours : êtes-vous libre samedi ?"
REQUEST_DESCRIPTION = "Ourlets de deux pantalons « habillés » et d’une jupe plissée"
DUES_TITLE = "Abonnement partagé à l’Internet très haut débit du local commun"


@dataclass
class Scene:
    notice_id: str
    alert_id: str
    offer_id: str
    request_post_id: str
    message_id: str
    payment_request_id: str
    payment_request_reference: str
    dues_project_id: str


def community_life(db, config, building) -> Scene:
    """Everything the community side of the kiosk prints; the print jobs this queues are
    left in the queue (callers cancel them or read their payloads)."""
    today = notices.today(config)
    notice = notices.post_notice(
        db,
        config,
        author_id=building.jeanne.id,
        title=NOTICE_TITLE,
        body=NOTICE_BODY,
        category="works",
        starts_on=today + timedelta(days=1),
        ends_on=today + timedelta(days=3),
    )
    alert = alerts.raise_alert(
        db, config, raiser_id=building.admin.id, kind="flood", text=ALERT_TEXT
    )
    offer = board.publish(
        db,
        config,
        poster_id=building.jeanne.id,
        direction="offer",
        kind="service",
        category="sewing",
        title=OFFER_TITLE,
        price_mode="per_hour",
        price=1000,
    )
    wanted = board.publish(
        db,
        config,
        poster_id=building.paul.id,
        direction="request",
        kind="service",
        category="other",
        title=REQUEST_TITLE,
    )
    message = messages.answer(db, config, offer.id, sender=building.paul, body=MESSAGE_BODY)
    request = payment_requests.request_payment(
        db,
        config,
        provider_id=building.jeanne.id,
        payer_id=building.paul.id,
        description=REQUEST_DESCRIPTION,
        category="sewing",
        minutes=75,
    )
    project = projects.propose(
        db,
        resident_id=building.jeanne.id,
        title=DUES_TITLE,
        description="Un abonnement pour tout le bâtiment, partagé entre les voisins.",
        kind="shared_equipment",
    )
    projects.join(db, project.id, building.paul.id)
    project_dues.set_dues(
        db,
        project.id,
        by=building.jeanne.id,
        currency="eur",
        amount=3001,
        period="month",
        payee_id=building.jeanne.id,
    )
    project_dues.mark_euro_share_paid(
        db, config, project.id, building.paul.id, by=building.jeanne.id
    )
    return Scene(
        notice_id=notice.id,
        alert_id=alert.id,
        offer_id=offer.id,
        request_post_id=wanted.id,
        message_id=message.id,
        payment_request_id=request.id,
        payment_request_reference=request.reference,
        dues_project_id=project.id,
    )

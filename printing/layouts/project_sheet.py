"""A building project's sheet for the notice board (layout "project_sheet").

Payload::

    {"title": "Composteur collectif", "kind_label": "Équipement partagé",  # print language
     "status_label": "ouvert", "description": "Un bac dans la cour...",
     "coordinators": [{"name": "Jeanne Martin", "apartment": "B-204"}],
     "member_count": 7, "balance": 2500,                    # the project's CEEC, hundredths
     "dues": None | {"amount_text": "3,00 € par mois", "share_text": "0,43 €"},
     "updates": [{"created_at": "2026-11-23T10:00:00Z", "author": "Jeanne", "body": "..."}],
     "tasks": [{"title": "Retourner le compost", "when": "semaine 48", "slots": 2,
                "volunteers": ["Paul Durand (A-101)"]}],
     "printed_at": "2026-11-23T10:00:00Z"}
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header, person
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    document = Document(title=_("Project sheet: %(title)s", title=payload["title"]))
    header(document, settings, words, payload["title"])
    document.text(f"{payload['kind_label']} - {payload['status_label']}", align="center")
    document.feed()
    if payload.get("description"):
        document.text(payload["description"])
        document.feed()
    document.separator("-", _("Coordinators"))
    for coordinator in payload["coordinators"]:
        document.text(person(coordinator))
    document.columns(_("Members"), words.number(payload["member_count"]))
    document.columns(_("Project account"), words.amount(payload["balance"]))
    if payload.get("dues"):
        document.columns(_("Contribution"), payload["dues"]["amount_text"])
        document.columns(_("Each member's share"), payload["dues"]["share_text"])
    if payload.get("tasks"):
        document.separator("-", _("Tasks"))
        for task in payload["tasks"]:
            when = f" ({task['when']})" if task.get("when") else ""
            document.text(f"* {task['title']}{when}", bold=True)
            names = ", ".join(task["volunteers"]) or _("nobody yet")
            document.text(
                words.ngettext(
                    "%(num)d of %(slots)d places: %(names)s",
                    "%(num)d of %(slots)d places: %(names)s",
                    len(task["volunteers"]),
                    slots=task["slots"],
                    names=names,
                )
            )
    if payload.get("updates"):
        document.separator("-", _("News"))
        for update in payload["updates"]:
            document.text(f"{words.date(update['created_at'])} - {update['author']}", bold=True)
            document.text(update["body"])
    document.separator()
    document.text(_("Join at the kiosk in the lobby."), align="center")
    document.text(
        _("Printed on %(date)s", date=words.datetime(payload["printed_at"])), align="center"
    )
    return footer_cut(document)

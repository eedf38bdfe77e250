"""The printed sheet of a project (the "project_sheet" print layout): what it says, in the
printer's language."""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import clock, formatting
from kiosk.config import Config
from kiosk.i18n import gettext_for
from kiosk.projects import dues as project_dues
from kiosk.projects import projects


def sheet_payload(db: Database, config: Config, project_id: str) -> dict:
    """The "project_sheet" payload, its labels in the printer's language (the kiosk's)."""
    paper = gettext_for(config.language)
    project = projects.get(db, project_id)
    dues = None
    if project.dues_currency:
        period = project_dues.current_period(config, project.dues_period)
        shares = project_dues.shares(db, project_id, period)

        def money(value: int) -> str:
            if project.dues_currency == "eur":
                return formatting.euros(value, config.language)
            return formatting.ceec(value, config.language, config["currency"]["name"])

        dues = {
            "amount_text": f"{money(project.dues_amount)} {paper(project_dues.PERIODS[project.dues_period])}",
            "share_text": money(shares[0].amount) if shares else "-",
        }
    return {
        "title": project.title,
        "kind_label": paper(projects.KINDS[project.kind]),
        "status_label": paper(projects.STATUSES[project.status]),
        "description": project.description,
        "coordinators": [
            {"name": c.name, "apartment": c.apartment}
            for c in projects.coordinators(db, project_id)
        ],
        "member_count": project.member_count,
        "balance": project.balance,
        "dues": dues,
        "updates": [
            {"created_at": u["created_at"], "author": u["author_name"], "body": u["body"]}
            for u in projects.updates(db, project_id)[:3]
        ],
        "tasks": [
            {
                "title": t.title,
                "when": t.when_label,
                "slots": t.slots,
                "volunteers": [f"{v.name} ({v.apartment})" for v in t.volunteers],
            }
            for t in projects.tasks(db, project_id)
        ],
        "printed_at": clock.now_iso(),
    }

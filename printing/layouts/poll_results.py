"""Results of a poll (layout "poll_results"), with a bar of # per answer ([....] for none).

Built by ``kiosk.community.polls.results_payload``.

Payload::

    {"question": "Repeindre le hall en vert ?", "closes_on": "2026-11-30", "closed": true,
     "results": [{"option": "Oui", "votes": 12}, {"option": "Non", "votes": 5}],
     "per": "resident" | "apartment"}
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    document = Document(title=_("Poll results"))
    header(document, settings, words, _("Poll results"))
    document.text(payload["question"], bold=True)
    if payload.get("closed"):
        document.text(_("Closed on %(date)s", date=words.date(payload["closes_on"])))
    else:
        document.text(_("Provisional: open until %(date)s", date=words.date(payload["closes_on"])))
    document.feed()
    results = payload["results"]
    total = sum(entry["votes"] for entry in results)
    peak = max((entry["votes"] for entry in results), default=0) or 1
    width = max(4, settings.chars_per_line - 2)
    for entry in results:
        share = round(100 * entry["votes"] / total) if total else 0
        document.columns(entry["option"], f"{words.number(entry['votes'])} ({share} %)", bold=True)
        filled = round(width * entry["votes"] / peak)
        document.text("[" + "#" * filled + "." * (width - filled) + "]")  # 0 votes: an empty bar
    document.separator()
    per = _("apartments") if payload.get("per") == "apartment" else _("residents")
    document.text(_("Votes cast: %(count)s (%(per)s)", count=words.number(total), per=per))
    return footer_cut(document)

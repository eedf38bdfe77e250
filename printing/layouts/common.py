"""Pieces every layout uses: the building's header, the COPY banner, the footer."""

from __future__ import annotations

from printing.document import Cut, Document, Separator, Text
from printing.i18n import Words
from printing.settings import PrintSettings


def header(document: Document, settings: PrintSettings, words: Words, title: str) -> Document:
    """Logo (optional), building name and address, then the document's title in big letters."""
    if settings.logo:
        document.logo(settings.logo)
    if settings.building_name:
        document.text(settings.building_name, bold=True, align="center")
    if settings.building_address:
        document.text(settings.building_address, align="center")
    document.feed()
    document.text(title, bold=True, double=True, align="center")
    document.separator("=")
    return document


def copy_banner(document: Document, words: Words) -> Document:
    """A reprint says so, at the top and before every cut, so it cannot pass for an original."""
    _ = words._
    banner = Text(_("*** COPY ***"), bold=True, double=True, align="center")
    note = Text(_("Reprinted copy: the original was printed before."), align="center")
    blocks = [banner, note, Separator("=")]
    for block in document.blocks:
        if isinstance(block, Cut):
            blocks.append(banner)
        blocks.append(block)
    return Document(title=document.title, blocks=blocks)


def footer_cut(document: Document) -> Document:
    document.feed()
    return document.cut()


def person(entry: dict) -> str:
    """ "Jeanne Martin (B-204)"; an account of no apartment (the vouchers in circulation, a
    project's fund) by its name alone."""
    return f"{entry['name']} ({entry['apartment']})" if entry.get("apartment") else entry["name"]

"""Every visible string is translatable and the French catalog is complete and compiled."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "kiosk" / "translations"
KEYWORDS = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
METHOD_MAP = [
    ("kiosk/**.py", "python"),
    ("kiosk/**/templates/**.html", "jinja2"),
    ("sync/hub/templates/**.html", "jinja2"),
]


def source_msgids() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHOD_MAP, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return {m for m in found if m}


def french():
    with (CATALOGS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale="fr")


def test_every_string_in_the_code_has_a_french_translation():
    catalog = french()
    missing = sorted(m for m in source_msgids() if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, (
        "missing French translations (run `make i18n`, then translate):\n" + "\n".join(missing)
    )


def test_the_french_translations_keep_their_placeholders():
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]|%\(\w+\)02d")
    for message in french():
        if message.id and message.string:
            assert sorted(placeholder.findall(message.id)) == sorted(
                placeholder.findall(message.string)
            ), message.id


def test_the_compiled_catalogs_match_their_sources():
    for lang in ("fr", "en"):
        folder = CATALOGS / lang / "LC_MESSAGES"
        with (folder / "messages.po").open("rb") as fh:
            po = read_po(fh, locale=lang)
        with (folder / "messages.mo").open("rb") as fh:
            mo = read_mo(io.BytesIO(fh.read()))
        po_pairs = {m.id: m.string for m in po if m.id and m.string}
        mo_pairs = {m.id: m.string for m in mo if m.id and m.string}
        assert po_pairs == mo_pairs, f"{lang}: run `make i18n` to recompile the .mo"


def test_pages_render_in_english_too(client, building):
    from app_fixtures import post

    post(client, "/language", {"lang": "en"})
    html = client.get("/login/apartments").get_data(as_text=True)
    assert "Which is your apartment?" in html

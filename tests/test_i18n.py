"""Every catalogue (screens "messages", paper "printing") is complete, clean and compiled.

The msgids are extracted exactly as `make i18n` does: its keywords are read from the Makefile,
its mapping from the same babel.cfg files. A failure names the entries to fix; the fix is
`make i18n`, then translating in the .po file (the source a translator edits).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from app_fixtures import post
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
FRENCH_PLURALS = "nplurals=2; plural=(n > 1);"


@dataclass(frozen=True)
class Domain:
    name: str
    mapping: Path  # the babel.cfg `make i18n` extracts with
    source: Path  # the folder it extracts from
    folder: Path  # translations/: the .pot, then <lang>/LC_MESSAGES/<name>.po and .mo

    def po(self, lang: str) -> Path:
        return self.folder / lang / "LC_MESSAGES" / f"{self.name}.po"


DOMAINS = [
    Domain("messages", ROOT / "babel.cfg", ROOT, ROOT / "kiosk" / "translations"),
    Domain(
        "printing",
        ROOT / "printing" / "babel.cfg",
        ROOT / "printing",
        ROOT / "printing" / "translations",
    ),
]
IDS = [domain.name for domain in DOMAINS]


def catalogues(domain: Domain) -> list[Path]:
    return sorted(domain.folder.glob(f"*/LC_MESSAGES/{domain.name}.po"))


@cache
def makefile_keywords() -> dict:
    """The `-k` options of the Makefile's I18N_KEYWORDS (continuation lines joined)."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    line = re.search(r"^I18N_KEYWORDS\s*:?=(.*)$", text, re.MULTILINE).group(1)
    words = shlex.split(line)
    specs = [words[i + 1] for i, word in enumerate(words) if word == "-k"]
    return parse_keywords(specs)


@cache
def extracted(domain: Domain) -> dict[tuple[str, str | None], tuple[str, ...]]:
    """(msgid, context) -> every msgid form (singular, plural) used in the source."""
    with domain.mapping.open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(domain.mapping))
    found = {}
    for _file, _line, message, _comments, context in extract_from_dir(
        str(domain.source), method_map, options_map, keywords=makefile_keywords()
    ):
        forms = (message,) if isinstance(message, str) else tuple(message)
        if forms[0]:
            found[(forms[0], context)] = forms
    return found


def read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=path.parent.parent.name)


PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")


def placeholders(text: str) -> set[str]:
    """The Python-format fields of a text ("%(name)s", "%(count)d"), with their types."""
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


def problems(domain: Domain, path: Path) -> list[str]:
    """What a translator or `make i18n` still has to do in one catalogue."""
    catalog = read(path)
    found = []
    if catalog.fuzzy:
        found.append("the header is marked fuzzy (pybabel compile would skip the catalogue)")
    if catalog.locale.language == "fr" and catalog.plural_forms != FRENCH_PLURALS:
        found.append(f"Plural-Forms is {catalog.plural_forms!r}, not {FRENCH_PLURALS!r}")
    for message in catalog.obsolete.values():
        found.append(f"obsolete (#~) entry: {message.id!r}")
    used = extracted(domain)
    for msgid, context in sorted(used, key=str):
        if catalog.get(msgid, context) is None:
            found.append(f"missing (run `make i18n`): {msgid!r} context={context!r}")
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        label = f"{msgid!r}" + (f" (context {message.context!r})" if message.context else "")
        forms = used.get((msgid, message.context))
        if forms is None:
            found.append(f"no longer in the source (run `make i18n`): {label}")
            continue
        if message.fuzzy:
            found.append(f"fuzzy: {label}")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if len(forms) == 2 and len(strings) != catalog.num_plurals:
            found.append(f"plural entry without its {catalog.num_plurals} forms: {label}")
        if not all(strings):
            found.append(f"untranslated: {label}")
            continue
        expected = placeholders(forms[-1])
        for text in strings:
            if placeholders(text) != expected:
                found.append(f"placeholders differ from the msgid: {label} -> {text!r}")
        found.extend(f"{label}: {error}" for error in message.check(catalog))
    return found


@pytest.mark.parametrize("domain", DOMAINS, ids=IDS)
def test_every_catalogue_is_complete_and_clean(domain):
    paths = catalogues(domain)
    assert [p.parent.parent.name for p in paths] == ["fr"]
    assert len(extracted(domain)) > 100
    for path in paths:
        found = problems(domain, path)
        assert not found, f"{path.relative_to(ROOT)}:\n" + "\n".join(found)


@pytest.mark.parametrize("domain", DOMAINS, ids=IDS)
def test_the_template_lists_every_msgid_in_the_source(domain):
    with (domain.folder / f"{domain.name}.pot").open("rb") as fh:
        template = read_po(fh)
    listed = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in template if m.id}
    assert listed == set(extracted(domain)), "run `make i18n`"


def entries(catalog: Catalog) -> dict:
    """(msgid forms, context) -> translated forms, whatever the file (.po or .mo) made lists."""

    def forms(value):
        return (value,) if isinstance(value, str) else tuple(value)

    return {(forms(m.id), m.context): forms(m.string) for m in catalog if m.id}


@pytest.mark.parametrize("domain", DOMAINS, ids=IDS)
def test_the_committed_mo_is_the_po_compiled(domain):
    for path in catalogues(domain):
        source = entries(read(path))
        with path.with_suffix(".mo").open("rb") as fh:
            compiled = entries(read_mo(fh))
        assert compiled == source, f"{path.relative_to(ROOT)}: run `make i18n`"


def test_the_check_catches_what_a_translator_can_get_wrong(tmp_path):
    """The catalogue check itself: a broken French file is refused, entry by entry."""
    domain = DOMAINS[1]
    (msgid, _context), _forms = next(
        (key, forms) for key, forms in sorted(extracted(domain).items()) if "%(" in key[0]
    )
    plain = next(key[0] for key in sorted(extracted(domain)) if "%" not in key[0])
    broken = tmp_path / "fr" / "LC_MESSAGES" / "printing.po"
    broken.parent.mkdir(parents=True)
    text = read(domain.po("fr"))
    text[msgid].string = "sans variable"
    text[plain].flags.add("fuzzy")
    text.obsolete["Gone"] = Message("Gone", "Parti")
    with broken.open("wb") as fh:
        write_po(fh, text)
    found = "\n".join(problems(domain, broken))
    assert f"placeholders differ from the msgid: {msgid!r}" in found
    assert f"fuzzy: {plain!r}" in found
    assert "obsolete (#~) entry: 'Gone'" in found


def test_pages_render_in_english_too(client, building):

    post(client, "/language", {"lang": "en"})
    html = client.get("/login/apartments").get_data(as_text=True)
    assert "Which is your apartment?" in html

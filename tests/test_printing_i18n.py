"""The printing catalog: every msgid in printing/ has French, and the .mo is the .po compiled."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import printing

PACKAGE = Path(printing.__file__).parent
CATALOG = PACKAGE / "translations" / "fr" / "LC_MESSAGES"


def used_msgids() -> set[str]:
    found = extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python")],
        keywords={"_": None, "N_": None, "gettext": None},
    )
    return {message for _file, _line, message, _comments, _context in found}


def test_every_msgid_in_printing_has_a_french_translation():
    with open(CATALOG / "printing.po", "rb") as po:
        catalog = read_po(po, locale="fr")
    msgids = used_msgids()
    assert len(msgids) > 50
    missing = sorted(
        m for m in msgids if m not in catalog or not catalog[m].string or catalog[m].fuzzy
    )
    assert missing == []


def test_the_committed_mo_is_the_po_compiled():
    with open(CATALOG / "printing.po", "rb") as po:
        source = {m.id: m.string for m in read_po(po, locale="fr") if m.id}
    with open(CATALOG / "printing.mo", "rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    assert compiled == source


def test_status_and_job_labels_are_translated():
    from printing.admin import JOB_STATE_LABELS, job_state_label
    from printing.status import PrinterState

    for state in PrinterState:
        assert state.label("fr") != state.label("en")
    for state in JOB_STATE_LABELS:
        assert job_state_label(state, "fr") != job_state_label(state, "en")

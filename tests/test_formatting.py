"""An amount, a duration and a moment read the same wherever a person meets them: on the
kiosk's screen, on its paper and on the command line, in French and in English, on both sides
of the building's daylight-saving changes (kiosk/formatting.py writes them all)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.request import Request, urlopen

import pytest
from app_fixtures import PIN, login, make_test_config, post, text_of
from click.testing import CliRunner
from printer_loopback import decode

from kiosk import clock, store
from kiosk.app import create_app
from kiosk.cli import main
from kiosk.community import polls
from kiosk.ledger import exchanges
from kiosk.residents import residents
from printing import queue as print_queue
from printing.escpos_render import render_escpos
from printing.layouts import build_document
from printing.settings import PrintSettings, load_profile
from printing.text import plain_spaces
from sync.hub import dashboard as hub_dashboard_store
from sync.hub import kiosks as hub_kiosks

# Europe/Paris falls back from 03:00 CEST to 02:00 CET at 01:00 UTC on 25 October 2026: half an
# hour before and half an hour after, the building's clock reads 02:30 both times.
BEFORE_FALL_BACK = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
AFTER_FALL_BACK = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
# A day of summer time.
SUMMER = datetime(2026, 6, 15, 16, 5, tzinfo=UTC)

EXPECTED = {
    "fr": {
        "amount": "1 234,50 CEEC",
        "duration": "1 h 30",
        BEFORE_FALL_BACK: "25/10/2026 02:30",
        AFTER_FALL_BACK: "25/10/2026 02:30",
        SUMMER: "15/06/2026 18:05",
    },
    "en": {
        "amount": "1,234.50 CEEC",
        "duration": "1 h 30",
        BEFORE_FALL_BACK: "2026-10-25 02:30",
        AFTER_FALL_BACK: "2026-10-25 02:30",
        SUMMER: "2026-06-15 18:05",
    },
}


def at(moment: datetime) -> None:
    """Set the kiosk's clock to ``moment``."""
    clock.reset()
    clock.shift((moment - datetime.now(UTC)).total_seconds())


def receipt_text(db, config, reference: str) -> str:
    """The receipt of ``reference`` as it comes out of the printer, decoded back to text."""
    (job,) = [j for j in print_queue.list_jobs(db) if j.reference == reference]
    settings = PrintSettings.from_config(config.values, config.preview_dir)
    data = render_escpos(build_document("receipt", job.payload, settings), settings)
    return "\n".join(decode(data, load_profile(settings.profile).get_code_pages()).lines)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_exchange_reads_the_same_on_the_screen_and_on_its_receipt(tmp_path, lang):
    config = make_test_config(
        tmp_path,
        kiosk={"language": lang},
        # 1 h 30 at 823 CEEC an hour: 1 234,50 CEEC, a figure with a thousands separator.
        currency={
            "units_per_hour": 823,
            "credit_floor": -5000,
            "credit_ceiling": 5000,
            "max_exchange": 5000,
        },
    )
    app = create_app(config)
    app.config["TESTING"] = True
    db = store.connect(config.database_path)
    try:
        jeanne = residents.register(db, apartment="B-204", name="Jeanne Martin", pin=PIN)
        paul = residents.register(db, apartment="A-101", name="Paul Durand", pin=PIN)
        references = {}
        for moment in (BEFORE_FALL_BACK, AFTER_FALL_BACK, SUMMER):
            at(moment)
            transfer = exchanges.record_exchange(
                db,
                config,
                payer_id=jeanne.id,
                payee_id=paul.id,
                description=f"Plomberie {moment:%H%M}",
                minutes=90,
            )
            references[moment] = transfer.reference
        clock.reset()
        client = app.test_client()
        login(client, jeanne)
        screen = "".join(
            plain_spaces(text_of(client.get(f"/me/statement?month={month}")))
            for month in ("2026-10", "2026-06")
        )
        words = EXPECTED[lang]
        assert f"-{words['amount']}" in screen and f"({words['duration']})" in screen
        for moment, reference in references.items():
            paper = receipt_text(db, config, reference)
            assert words[moment] in screen and words[moment] in paper, (moment, paper)
            assert words["amount"] in paper and words["duration"] in paper
        assert screen.count(words[BEFORE_FALL_BACK]) == 2  # the hour the clock goes back
    finally:
        clock.reset()
        db.close()


def hub_dashboard(hub, language: str) -> str:
    token = base64.b64encode(b"admin:correct horse battery").decode()
    request = Request(
        hub.url + "/", headers={"Accept-Language": language, "Authorization": f"Basic {token}"}
    )
    with urlopen(request, timeout=5) as response:
        return plain_spaces(unescape(response.read().decode()))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_hub_dashboard_and_the_command_line_write_a_kiosks_last_contact_alike(
    hub, make_kiosk, tmp_path, monkeypatch, lang
):
    kiosk = make_kiosk("a", enrol_at=hub)
    monkeypatch.setattr(hub_kiosks, "now_iso", lambda: "2026-06-15T16:05:00Z")  # the hub's clock
    kiosk.sync()
    db = hub.db
    hub_dashboard_store.set_dashboard_password(db, "correct horse battery")
    db.close()
    config_file = tmp_path / "admin.toml"
    config_file.write_text(
        f'[kiosk]\nlanguage = "{lang}"\n[storage]\ndata_dir = "{tmp_path / "admin"}"\n'
        f'[sync]\nhub_database = "{hub.path}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("KIOSK_CONFIG", str(config_file))
    listing = CliRunner().invoke(main, ["hub", "kiosks"], catch_exceptions=False).output
    in_utc = {"fr": "15/06/2026 16:05", "en": "2026-06-15 16:05"}[lang]  # the hub speaks UTC
    assert f"last contact {in_utc} UTC" in listing
    assert in_utc in hub_dashboard(hub, lang)


def test_refusals_write_their_days_as_the_page_writes_days(client, db, config, building):
    opens = polls.today(config) + timedelta(days=3)
    closes = opens + timedelta(days=7)
    poll = polls.open_poll(
        db,
        config,
        creator_id=building.admin.id,
        question="Repeindre le hall en vert ?",
        options=["Oui", "Non"],
        opens_on=opens,
        closes_on=closes,
        results_hidden=True,
    )
    login(client, building.jeanne)
    refused = post(client, f"/polls/{poll.id}/vote", {"option": "0"})
    day = opens.strftime("%d/%m/%Y")
    assert refused.status_code == 400
    assert f"Ce sondage n'est pas encore ouvert : le vote commence le {day}." in plain_spaces(
        text_of(refused)
    )
    assert polls.get_poll(db, config, poll.id).counts == [0, 0]
    refused = post(client, f"/polls/{poll.id}/print", follow_redirects=True)
    closing_day = closes.strftime("%d/%m/%Y")
    assert (
        f"Les résultats sont cachés jusqu'à la clôture du sondage le {closing_day}."
        in plain_spaces(text_of(refused))
    )
    assert not [job for job in print_queue.list_jobs(db) if job.layout == "poll_results"]

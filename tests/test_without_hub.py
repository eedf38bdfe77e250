"""A building without a hub keeps working exactly as before: the kiosk's home page, a
resident's page and "Be told" (which only records a choice for a hub to act on) answer at once
whether no hub was ever set, or the hub set in the config is out of reach or hangs (a listener
that never answers), and saving one's e-mail and number there works without any network."""

from __future__ import annotations

import socket
import time

import pytest
from app_fixtures import PIN, login, make_test_config, post, text_of

from kiosk import store
from kiosk.app import create_app
from kiosk.residents import contact, residents

PAGES = ("/me/", "/me/told/")  # a logged-in resident's; the home page before


@pytest.fixture
def silent_hub():
    """A hub address that accepts connections and never answers a byte."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.parametrize("hub", ["none", "silent"])
def test_the_pages_of_a_kiosk_never_fail_or_wait_for_a_hub(tmp_path, silent_hub, hub):
    sync = {"hub_url": silent_hub, "timeout_seconds": 20} if hub == "silent" else {}
    config = make_test_config(tmp_path, sync=sync)
    app = create_app(config)
    app.config["TESTING"] = True
    db = store.connect(config.database_path)
    try:
        jeanne = residents.register(db, apartment="B-204", name="Jeanne Martin", pin=PIN)
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
        started = time.monotonic()
        assert client.get("/").status_code == 200
        assert time.monotonic() - started < 1.0
        login(client, jeanne)
        for path in PAGES:
            started = time.monotonic()
            page = client.get(path)
            assert page.status_code == 200, path
            assert time.monotonic() - started < 1.0, path
        started = time.monotonic()
        saved = post(
            client,
            "/me/told/",
            {
                "email": "jeanne@example.org",
                "urgent": "yes",
                "phone": "06 12 34 56 78",
                "sms": "yes",
            },
            follow_redirects=True,
        )
        assert time.monotonic() - started < 1.0
        assert saved.status_code == 200 and "+33612345678" in text_of(saved)
        now = contact.contact_of(db, jeanne.id)
        assert (now.email, now.phone, now.sms) == ("jeanne@example.org", "+33612345678", True)
    finally:
        db.close()

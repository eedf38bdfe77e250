"""The residents' home site, served by the hub beside its API: a resident's own phone or
computer shows the building as its kiosks see it (balance, statement, board, projects, polls,
payment requests, papers) and asks the kiosk to act (home requests, kiosk/home_requests.py).

A top-level package above ``kiosk`` and ``sync``: it imports their read and domain functions
and the hub's; nothing in ``kiosk``, ``sync`` or ``printing`` imports it. The hub gets it
through ``create_hub_app(..., extensions=(home.attach,))``, named by kiosk/cli.py.

- home/replica.py: the building's read replica (a kiosk-schema database fed by the hub's events);
- home/sessions.py: a device's session (a signed nonce, a cookie naming a hub row);
- home/site.py: each request's language, session, building config and replica;
- home/views*.py: the pages, the pairing page and the JSON the pages' script calls.
"""

from __future__ import annotations

from flask import Flask


def attach(app: Flask) -> None:
    """Serve the home site under ``/home`` on the hub's ``app``."""
    from home import site, views, views_act  # noqa: PLC0415 (Flask views, loaded with the hub)

    site.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(views_act.bp)

"""A fuzz pass over every route of the kiosk, with a fixed seed: every URL of the URL map with
its arguments filled with hostile values (huge numbers, control characters, unicode, dates of
year 1 and 9999), fetched with random query parameters and posted random forms (with a valid
CSRF token), as nobody, a resident and an administrator. No answer may be a 500: a bad input
is a 4xx (or a page saying what is wrong), never a crash."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest
from app_fixtures import ROOT, csrf_token, login
from werkzeug.routing import IntegerConverter

SEED = 16
ROUNDS = 6  # requests of each method per route and person

HOSTILE = [
    "",
    "0",
    "-1",
    "1",
    "3",
    "99999999999999999999999999",
    "-99999999999999999999999999",
    "9223372036854775808",
    "1e308",
    "NaN",
    "inf",
    "١٢٣",
    "12,50",
    "0001-01",
    "9999-12",
    "0001-01-01",
    "9999-12-31",
    "2026-13",
    "\x00",
    "a\x00b",
    "\x1b[31mrouge",
    "\r\nSet-Cookie: x=1",
    "\u202eevil",
    "Ünïcødé 😀 \U0010ffff",
    "\ud7ff",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example")',
    "%s%(x)s{0}",
    "../../etc/passwd",
    "//evil.example",
    "x" * 5000,
    "A-001",
    "B-204",
]

# Routes that would end the fuzzer's own session: tried as nobody only.
SESSION_ENDERS = {"login.logout", "login.choose", "login.pin", "login.scan"}


def field_names() -> list[str]:
    """Every form field and query parameter name the kiosk's templates and views use."""
    names: set[str] = set()
    for path in Path(ROOT, "kiosk").rglob("*"):
        if path.suffix == ".html":
            names.update(re.findall(r'name="([A-Za-z0-9_]+)', path.read_text(encoding="utf-8")))
        elif path.suffix == ".py" and path.name.startswith("views"):
            text = path.read_text(encoding="utf-8")
            names.update(re.findall(r"""\.get(?:list)?\(\s*["']([A-Za-z0-9_]+)["']""", text))
    names.update(
        f"{prefix}_{i}" for prefix in ("name", "unit", "price", "retail", "stock") for i in (1, 2)
    )
    names.discard("csrf_token")
    return sorted(names)


def url_values(rule, rng: random.Random, known: dict[str, str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in rule.arguments:
        if isinstance(rule._converters[name], IntegerConverter):
            values[name] = rng.choice([1, 0, 2**63, 10**30])
        elif name in known and rng.random() < 0.5:
            values[name] = known[name]
        else:
            values[name] = rng.choice(HOSTILE) or "x"
    return values


def fuzz(app, client, rng: random.Random, *, logged_in: bool) -> tuple[list[str], Counter]:
    names = field_names()
    known = {"resident_id": "", "filename": "kiosk.css"}
    crashes = []
    answers: Counter = Counter()
    token = csrf_token(client)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or (logged_in and rule.endpoint in SESSION_ENDERS):
            continue
        for _ in range(ROUNDS):
            url = rule.build(url_values(rule, rng, known), append_unknown=False)[1]
            fields = {name: rng.choice(HOSTILE) for name in rng.sample(names, 12)}
            if "GET" in rule.methods:
                response = client.get(url, query_string=fields)
                answers[response.status_code] += 1
                if response.status_code >= 500:
                    crashes.append(f"GET {url} {fields!r}"[:300])
                response.close()
            if "POST" in rule.methods:
                response = client.post(url, data={"csrf_token": token, **fields})
                answers[response.status_code] += 1
                if response.status_code >= 500:
                    crashes.append(f"POST {url} {fields!r}"[:300])
                response.close()
    return crashes, answers


@pytest.mark.parametrize("who", ["nobody", "resident", "admin"])
def test_no_input_crashes_the_kiosk(app, client, building, who, caplog):
    rng = random.Random(f"{SEED}-{who}")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 answer, counted below
    if who != "nobody":
        login(client, building.admin if who == "admin" else building.jeanne)
    crashes, answers = fuzz(app, client, rng, logged_in=who != "nobody")
    assert not crashes, "500 on:\n" + "\n".join(crashes[:40])
    if who != "nobody":  # the pass reached the pages and their refusals, not only the login
        assert answers[200] > 100 and answers[400] > 100, answers

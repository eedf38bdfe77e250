"""No page makes a resident choose a person from a native drop-down (issue #18): every GET
route of the URL map, with real ids of a small building (a post, a project with its
contribution form, the residents), rendered as a resident, as a "super neighbour" who posts for
others, as the volunteer and as a newcomer who needs neighbours to vouch; a page whose <select>
offers residents' ids fails, and the forms that choose a person show the touch picker."""

from __future__ import annotations

import re

import pytest
from app_fixtures import login

from kiosk import clock
from kiosk.board import board
from kiosk.projects import projects

# Routes that would end the session walking them, or stream files.
SKIPPED = {"static", "login.logout", "login.choose", "login.pin", "login.scan"}
SELECT = re.compile(r"<select\b[^>]*>(.*?)</select>", re.S | re.I)
OPTION_VALUE = re.compile(r"""<option\b[^>]*\bvalue\s*=\s*["']([^"']*)["']""", re.I)


def sample_building(db, config, building):
    """A post by Paul, a project Jeanne coordinates with Paul in it, Jeanne a super neighbour."""
    post = board.publish(
        db,
        config,
        poster_id=building.paul.id,
        direction="offer",
        kind="service",
        category="diy",
        title="Petites réparations",
    )
    project = projects.propose(
        db, resident_id=building.jeanne.id, title="Wifi", description="", kind="shared_equipment"
    )
    projects.join(db, project.id, building.paul.id)
    board.set_helper(db, admin=building.admin, resident_id=building.jeanne.id, enabled=True)
    return {
        "post_id": post.id,
        "project_id": project.id,
        "resident_id": building.paul.id,
        "apartment": building.paul.apartment,
        "month": clock.now().strftime("%Y-%m"),
    }


def person_dropdowns(html: str, people_ids: set[str]) -> list[str]:
    return [
        select[:200]
        for select in SELECT.findall(html)
        if people_ids & set(OPTION_VALUE.findall(select))
    ]


def walk(app, client, known: dict[str, str], people_ids: set[str]) -> tuple[list[str], int]:
    failures, rendered = [], 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED or "GET" not in rule.methods:
            continue
        values = {name: known.get(name, "1") for name in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            rendered += 1
            for select in person_dropdowns(response.get_data(as_text=True), people_ids):
                failures.append(f"{url}: {select}")
        response.close()
    return failures, rendered


@pytest.mark.parametrize("who", ["jeanne", "admin", "pending"])
def test_no_page_chooses_a_person_from_a_native_drop_down(app, client, db, config, building, who):
    known = sample_building(db, config, building)
    people_ids = {building.admin.id, building.jeanne.id, building.paul.id, building.pending.id}
    login(client, getattr(building, who))
    failures, rendered = walk(app, client, known, people_ids)
    assert not failures, "native drop-downs of people:\n" + "\n".join(failures)
    assert rendered > 20, rendered  # the walk reached the pages, not only redirects


def test_the_walk_would_catch_a_drop_down_of_names(building):
    page = f'<select name="x"><option value="">…</option><option value="{building.paul.id}">Paul'
    assert person_dropdowns(page + "</select>", {building.paul.id})
    assert not person_dropdowns('<select><option value="diy">Bricolage</option></select>', {"p"})


@pytest.mark.parametrize(
    "path, field",
    [
        ("/exchange/new", "neighbour"),
        ("/loans/new", "borrower"),
        ("/board/new", "for_resident"),
    ],
)
def test_the_forms_that_choose_a_neighbour_show_the_touch_picker(
    client, db, config, building, path, field
):
    sample_building(db, config, building)
    login(client, building.jeanne)
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "data-person-picker" in html
    assert f'name="{field}" value="{building.paul.id}"' in html
    assert 'data-search="paul durand a-101"' in html
    assert f'data-apartment="{building.paul.apartment}"' in html
    assert "<select" not in html.replace('<select id="category"', "")

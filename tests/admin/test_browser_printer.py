"""The print queue and a job's preview page in a real Chromium at 800x480, checked by axe-core:
the volunteer reads the documents and errors in words, opens a preview and comes back."""

from __future__ import annotations

import pytest
from browser import assert_accessible, log_in
from playwright.sync_api import expect

from kiosk import store
from printing import queue
from printing.samples import SAMPLE_PAYLOADS

pytestmark = pytest.mark.browser


def test_a_volunteer_opens_a_failed_jobs_preview_and_comes_back(
    page, app, db, building, live_server, screenshot
):
    with store.write(db):
        queue.enqueue(db, "receipt", SAMPLE_PAYLOADS["receipt"], reference="RJGPEP-42")
        queue.mark_done(db, queue.claim_next_job(db).id)
        job_id = queue.enqueue(db, "statement", SAMPLE_PAYLOADS["statement"])
        queue.mark_failed(
            db, queue.claim_next_job(db).id, "statement: bad payload (KeyError: 'name')"
        )
    server = live_server(app)
    page.set_viewport_size({"width": 800, "height": 480})
    log_in(page, server, "A-001", "Claire Petit")
    page.goto(server.url_for("/admin/printer/"))
    expect(page.get_by_text("Relevé de compte")).to_be_visible()
    expect(page.get_by_test_id("job-error")).to_contain_text("n’a pas pu composer ce document")
    assert_accessible(page)
    screenshot(page, "printer-queue", sizes=((800, 480),))

    page.get_by_role("link", name=f"Aperçu de l'impression {job_id}").tap()
    page.wait_for_url(f"**/admin/printer/jobs/{job_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Relevé de compte")
    expect(page.get_by_role("img", name=f"Le papier de l'impression n° {job_id}")).to_be_visible()
    assert page.evaluate("() => document.body.dataset.idleTimeout") not in (None, "")
    assert_accessible(page)
    screenshot(page, "printer-job", sizes=((800, 480),))

    page.get_by_test_id("back").tap()
    page.wait_for_url("**/admin/printer/")

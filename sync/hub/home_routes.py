"""The hub's routes for requests from residents' devices (sync/hub/home_requests.py):

- ``POST /home/api/requests``: a device's request (JSON wire form, kiosk/home_requests.py);
  ``GET /home/api/requests/<id>``: what became of it (waiting, applied, refused and why);
- ``GET /api/home-requests?limit=N``: a kiosk's signed request, the building's requests it
  takes; ``POST /api/home-requests/dismiss``: its word on pairings it cannot match.

Refusals are JSON 4xx answers, as everywhere at the hub.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request

from kiosk import home_requests as hr
from sync import protocol
from sync.hub import home_requests, kiosks
from sync.hub.refusals import BadRequest
from sync.hub.routes import _signed_path, hub_db

bp = Blueprint("home_api", __name__)


@bp.post("/home/api/requests")
def receive() -> tuple[Response, int] | Response:
    raw = request.get_data(cache=False)
    if len(raw) > 2 * hr.MAX_REQUEST_BYTES:
        raise BadRequest("request body too large", reason="too_large")
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadRequest("the body is not JSON", reason="malformed") from None
    return jsonify(home_requests.receive(hub_db(), data))


@bp.get("/home/api/requests/<request_id>")
def status(request_id: str) -> Response:
    if len(request_id) > 64:
        raise BadRequest("no such request id")
    return jsonify(home_requests.status_of(hub_db(), request_id))


@bp.get("/api/home-requests")
def claim() -> Response:
    kiosk, counter = kiosks.verify_request(
        hub_db(), request.method, _signed_path(), b"", request.headers
    )
    try:
        limit = int(request.args.get("limit", str(home_requests.CLAIM_LIMIT)))
    except ValueError:
        kiosks.use_counter(hub_db(), kiosk, counter)
        raise BadRequest("limit is a whole number") from None
    return jsonify({"requests": home_requests.claim_for(hub_db(), kiosk, counter, limit)})


@bp.post("/api/home-requests/dismiss")
def dismiss() -> Response:
    body = request.get_data()
    kiosk, counter = kiosks.verify_request(
        hub_db(), request.method, _signed_path(), body, request.headers
    )
    try:
        data = protocol.decode_body(body)
    except protocol.ProtocolError as exc:
        kiosks.use_counter(hub_db(), kiosk, counter)
        raise BadRequest(str(exc)) from exc
    answers = data.get("answers") if isinstance(data, dict) else None
    try:
        done = home_requests.dismiss(hub_db(), kiosk, counter, answers)
    except BadRequest:
        kiosks.use_counter(hub_db(), kiosk, counter)
        raise
    return jsonify({"dismissed": done})

""" "My devices": link a phone at the kiosk with a one-time QR code, see and remove linked
devices (kiosk/residents/devices.py); the volunteer removes a resident's from the resident's
page. The QR code is drawn here as inline SVG (no script, no image request)."""

from __future__ import annotations

import time

import qrcode
import qrcode.constants
from flask import Blueprint, abort, g, jsonify, render_template, url_for
from markupsafe import Markup, escape

from kiosk import signals
from kiosk.errors import KioskError
from kiosk.residents import devices, residents
from kiosk.web import once
from kiosk.web.formatting import error_message, gettext
from kiosk.web.session_state import admin_required, current_resident, db, login_required

bp = Blueprint("devices", __name__, template_folder="templates")

NUDGE_SECONDS = 10  # while a QR code waits, a sync is asked for at most this often
_last_nudge = [0.0]


def qr_svg(data: str, label: str) -> Markup:
    """``data`` as a QR code in inline SVG (one path of dark modules, a quiet zone of 4)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    path = "".join(
        f"M{x} {y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="260" '
        f'height="260" role="img" aria-label="{escape(label)}" shape-rendering="crispEdges" '
        f'data-testid="pair-qr"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>'
    )


@bp.get("/me/devices/")
@login_required
def index():
    me = current_resident()
    return render_template(
        "devices/index.html",
        devices=devices.devices_of(db(), me.id),
        has_hub=devices.hub_enrolled(db()),
        room=len(devices.devices_of(db(), me.id)) < devices.MAX_DEVICES,
        max_devices=devices.MAX_DEVICES,
    )


@bp.post("/me/devices/pair")
@login_required
@once.guarded
def pair():
    def make() -> str:
        offer = devices.make_offer(db(), current_resident().id)
        return url_for("devices.offer", offer_id=offer.id)

    try:
        return once.record(make)
    except KioskError as exc:
        return render_template(
            "devices/index.html",
            devices=devices.devices_of(db(), current_resident().id),
            has_hub=devices.hub_enrolled(db()),
            room=False,
            max_devices=devices.MAX_DEVICES,
            error=error_message(exc),
        ), 400


def _my_offer(offer_id: str) -> devices.Offer:
    offer = devices.offer_of(db(), offer_id)
    if offer is None or offer.resident_id != current_resident().id:
        abort(404)
    return offer


@bp.get("/me/devices/pair/<offer_id>")
@login_required
def offer(offer_id: str):
    found = _my_offer(offer_id)
    qr = None
    if found.used_at is None and not found.expired():
        url = devices.pair_url(db(), g.config, found)
        qr = qr_svg(url, gettext("QR code to link your phone"))
    paired = devices.active_device(db(), found.device_id) if found.device_id else None
    return render_template("devices/pair.html", offer=found, qr=qr, paired=paired)


@bp.get("/me/devices/pair/<offer_id>/state")
@login_required
def offer_state(offer_id: str):
    """What the page's script polls: linked yet? While the code waits, a sync is asked for now
    and then, so the phone's request is fetched from the hub without waiting the interval."""
    found = _my_offer(offer_id)
    waiting = found.used_at is None and not found.expired()
    if waiting and time.monotonic() - _last_nudge[0] >= NUDGE_SECONDS:
        _last_nudge[0] = time.monotonic()
        _nudge_sync()
    return jsonify(paired=found.used_at is not None, expired=found.expired())


def _nudge_sync() -> None:
    if devices.hub_enrolled(db()):
        signals.sync_soon.send(None, config=g.config)


@bp.post("/me/devices/<device_id>/remove")
@login_required
@once.guarded
def remove(device_id: str):
    return once.record_flashing(
        lambda: devices.remove(db(), current_resident().id, device_id, reason="resident"),
        url_for("devices.index"),
        gettext("Removed: this device can no longer act for you."),
    )


@bp.post("/admin/residents/<resident_id>/devices/<device_id>/remove")
@admin_required
@once.guarded
def admin_remove(resident_id: str, device_id: str):
    resident = residents.get(db(), resident_id)
    return once.record_flashing(
        lambda: devices.remove(db(), resident.id, device_id, reason="volunteer"),
        url_for("admin.resident_edit", resident_id=resident.id),
        gettext("Removed: this device can no longer act for the resident."),
    )

"""What a resident may do in projects from their own device (kiosk/home_requests.py): join or
leave a project, order in a group purchase (or cancel the order with no quantities). Each
applier calls the same domain function as the kiosk's own form, as the resident, inside the
write transaction of sync/home_inbox.py: a deadline, a stock or the credit floor refuse as
they do at the kiosk."""

from __future__ import annotations

from kiosk.errors import N_, InvalidInput
from kiosk.home_requests import home_action
from kiosk.projects import projects, purchase_orders


@home_action("project.join", fields={"project_id": str}, summary=N_("Join a project"))
def join(db, config, resident_id, fields, *, request_id):
    projects.join(db, fields["project_id"], resident_id)


@home_action("project.leave", fields={"project_id": str}, summary=N_("Leave a project"))
def leave(db, config, resident_id, fields, *, request_id):
    projects.leave(db, fields["project_id"], resident_id)


@home_action(
    "purchase.order",
    fields={"project_id": str, "quantities": dict},
    summary=N_("Order in a group purchase"),
)
def order(db, config, resident_id, fields, *, request_id):
    """``quantities``: product id -> thousandths of its unit (an int); {} cancels the order."""
    quantities = {str(product): quantity for product, quantity in fields["quantities"].items()}
    if any(isinstance(quantity, bool) for quantity in quantities.values()):
        raise InvalidInput(N_("This value is not valid."))
    purchase_orders.place_order(db, config, fields["project_id"], resident_id, quantities)

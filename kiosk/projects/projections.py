"""Projectors of building projects and group purchases (all ``building`` scope).

Money moves through ordinary ``transfer.recorded`` events (kinds ``project_contribution``,
``project_payment``, ``purchase_fee``) recorded by the domain just before the project event
that names them. Euros never touch the ledger: they live in the purchase and dues tables.

Each type's fields are declared with it below. What the declarations do not say: the lists
hold ``coordinators`` [resident ids], ``products`` [{product_id, name, unit, unit_price,
whole_units, stock_limit, retail_price}], ``lines`` [{product_id, quantity}] (the whole order,
replacing the previous one; no line: the order is cancelled), ``fees`` [{resident_id, amount,
transfer_id}] and ``refused`` [{resident_id, amount, reason}]; dues are in "eur" or "ceec" (a
CEEC payment names its transfer, a euro one has none); a purchase closes "confirmed" or "cancelled".
"""

from __future__ import annotations

from functools import partial

from sqlite_utils import Database

from kiosk.store.events import Event
from kiosk.store.registry import (
    BUILDING,
    MAYBE_TEXT,
    About,
    Authority,
    Creates,
    NoneType,
    event_type,
)

PROJECT = About("project", "project_id")
TASK = About("project_task", "task_id")

# Every event of a project is a building event that only a kiosk of the project's building
# emits: about the project, or about one of its tasks.
project_event = partial(
    event_type, scope=BUILDING, authority=Authority.HOME_BUILDING, about=PROJECT
)
task_event = partial(event_type, scope=BUILDING, authority=Authority.HOME_BUILDING, about=TASK)


def _touch(db: Database, project_id: str, event: Event) -> None:
    db.execute("UPDATE projects SET updated_at = ? WHERE id = ?", [event.created_at, project_id])


@project_event(
    "project.proposed",
    fields={
        "project_id": str,
        "title": str,
        "description": str,
        "kind": str,
        "account_id": str,
        "coordinators": list,
    },
    optional={"created_by": MAYBE_TEXT},
    tables=("projects", "project_coordinators", "project_members"),
    creates=(Creates("project", "project_id"),),
)
def _proposed(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO projects (id, title, description, kind, status, account_id, created_by, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, 'proposed', ?, ?, ?, ?)",
        [
            p["project_id"],
            p["title"],
            p["description"],
            p["kind"],
            p["account_id"],
            p.get("created_by"),
            event.created_at,
            event.created_at,
        ],
    )
    for resident_id in p["coordinators"]:
        db.execute(
            "INSERT INTO project_coordinators (project_id, resident_id, added_at) VALUES (?, ?, ?)",
            [p["project_id"], resident_id, event.created_at],
        )
        _join(db, p["project_id"], resident_id, event.created_at)


@project_event(
    "project.status_changed",
    fields={"project_id": str, "status": str},
    tables=("projects",),
)
def _status_changed(db: Database, event: Event) -> None:
    p = event.payload
    db.execute("UPDATE projects SET status = ? WHERE id = ?", [p["status"], p["project_id"]])
    _touch(db, p["project_id"], event)


@project_event(
    "project.coordinator_added",
    fields={"project_id": str, "resident_id": str},
    tables=("project_coordinators", "project_members"),
)
def _coordinator_added(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT OR IGNORE INTO project_coordinators (project_id, resident_id, added_at) VALUES (?, ?, ?)",
        [p["project_id"], p["resident_id"], event.created_at],
    )
    _join(db, p["project_id"], p["resident_id"], event.created_at)


def _join(db: Database, project_id: str, resident_id: str, when: str) -> None:
    db.execute(
        "INSERT INTO project_members (project_id, resident_id, joined_at) VALUES (?, ?, ?) "
        "ON CONFLICT (project_id, resident_id) DO UPDATE SET joined_at = excluded.joined_at, "
        "left_at = NULL WHERE project_members.left_at IS NOT NULL",
        [project_id, resident_id, when],
    )


@project_event(
    "project.member_joined",
    fields={"project_id": str, "resident_id": str},
    tables=("project_members", "projects"),
)
def _member_joined(db: Database, event: Event) -> None:
    p = event.payload
    _join(db, p["project_id"], p["resident_id"], event.created_at)
    _touch(db, p["project_id"], event)


@project_event(
    "project.member_left",
    fields={"project_id": str, "resident_id": str},
    tables=("project_members", "projects"),
)
def _member_left(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE project_members SET left_at = ? WHERE project_id = ? AND resident_id = ?",
        [event.created_at, p["project_id"], p["resident_id"]],
    )
    _touch(db, p["project_id"], event)


@project_event(
    "project.update_posted",
    fields={"project_id": str, "author_id": str, "body": str},
    tables=("project_updates", "projects"),
)
def _update_posted(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO project_updates (id, project_id, author_id, body, created_at) VALUES (?, ?, ?, ?, ?)",
        [event.id, p["project_id"], p["author_id"], p["body"], event.created_at],
    )
    _touch(db, p["project_id"], event)


@project_event(
    "project.task_added",
    fields={"project_id": str, "task_id": str, "title": str, "when_label": str, "slots": int},
    tables=("project_tasks",),
    creates=(Creates("project_task", "task_id"),),
)
def _task_added(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO project_tasks (id, project_id, title, when_label, slots, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [p["task_id"], p["project_id"], p["title"], p["when_label"], p["slots"], event.created_at],
    )


@task_event(
    "project.task_signed_up",
    fields={"task_id": str, "resident_id": str},
    tables=("project_volunteers",),
)
def _task_signed_up(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO project_volunteers (task_id, resident_id, signed_at) VALUES (?, ?, ?)",
        [p["task_id"], p["resident_id"], event.created_at],
    )


@task_event(
    "project.task_withdrawn",
    fields={"task_id": str, "resident_id": str},
    tables=("project_volunteers",),
)
def _task_withdrawn(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "DELETE FROM project_volunteers WHERE task_id = ? AND resident_id = ? AND transfer_id IS NULL",
        [p["task_id"], p["resident_id"]],
    )


@task_event(
    "project.volunteer_paid",
    fields={"task_id": str, "resident_id": str, "minutes": int, "transfer_id": str},
    tables=("project_volunteers",),
)
def _volunteer_paid(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE project_volunteers SET minutes = ?, transfer_id = ? WHERE task_id = ? AND resident_id = ?",
        [p["minutes"], p["transfer_id"], p["task_id"], p["resident_id"]],
    )


@project_event(
    "project.dues_set",
    fields={"project_id": str, "currency": str, "amount": int, "period": str},
    optional={"payee_id": MAYBE_TEXT},
    tables=("projects",),
)
def _dues_set(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE projects SET dues_currency = ?, dues_amount = ?, dues_period = ?, dues_payee_id = ? "
        "WHERE id = ?",
        [p["currency"], p["amount"], p["period"], p.get("payee_id"), p["project_id"]],
    )
    _touch(db, p["project_id"], event)


@project_event(
    "project.dues_paid",
    fields={"project_id": str, "period": str, "resident_id": str, "currency": str, "amount": int},
    optional={"transfer_id": MAYBE_TEXT, "marked_by": MAYBE_TEXT},
    tables=("project_dues",),
)
def _dues_paid(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO project_dues (project_id, period, resident_id, currency, amount, transfer_id, "
        "marked_by, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            p["project_id"],
            p["period"],
            p["resident_id"],
            p["currency"],
            p["amount"],
            p.get("transfer_id"),
            p.get("marked_by"),
            event.created_at,
        ],
    )


@project_event(
    "purchase.opened",
    fields={
        "project_id": str,
        "organiser_id": str,
        "supplier": str,
        "deadline": str,
        "pickup_place": str,
        "pickup_at": str,
        "fee_kind": str,
        "fee_amount": int,
        "products": list,
    },
    optional={"minimum_total": (int, NoneType), "minimum_quantity": (int, NoneType)},
    tables=("purchases", "purchase_products", "projects"),
)
def _purchase_opened(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO purchases (project_id, organiser_id, supplier, deadline, pickup_place, pickup_at, "
        "minimum_total, minimum_quantity, fee_kind, fee_amount, state, opened_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
        [
            p["project_id"],
            p["organiser_id"],
            p["supplier"],
            p["deadline"],
            p["pickup_place"],
            p["pickup_at"],
            p.get("minimum_total"),
            p.get("minimum_quantity"),
            p["fee_kind"],
            p["fee_amount"],
            event.created_at,
        ],
    )
    for position, product in enumerate(p["products"], start=1):
        db.execute(
            "INSERT INTO purchase_products (id, project_id, position, name, unit, unit_price, "
            "whole_units, stock_limit, retail_price) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                product["product_id"],
                p["project_id"],
                position,
                product["name"],
                product["unit"],
                product["unit_price"],
                1 if product["whole_units"] else 0,
                product.get("stock_limit"),
                product.get("retail_price"),
            ],
        )
    db.execute("UPDATE projects SET status = 'open' WHERE id = ?", [p["project_id"]])
    _touch(db, p["project_id"], event)


@project_event(
    "purchase.ordered",
    fields={"project_id": str, "resident_id": str, "apartment": str, "lines": list},
    tables=("purchase_orders",),
)
def _purchase_ordered(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "DELETE FROM purchase_orders WHERE project_id = ? AND resident_id = ?",
        [p["project_id"], p["resident_id"]],
    )
    for line in p["lines"]:
        db.execute(
            "INSERT INTO purchase_orders (project_id, resident_id, product_id, apartment, quantity, "
            "ordered_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                p["project_id"],
                p["resident_id"],
                line["product_id"],
                p["apartment"],
                line["quantity"],
                event.created_at,
            ],
        )


@project_event(
    "purchase.closed",
    fields={"project_id": str, "outcome": str, "order_total": int},
    tables=("purchases", "projects"),
)
def _purchase_closed(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE purchases SET state = ?, closed_at = ?, order_total = ? WHERE project_id = ?",
        [p["outcome"], event.created_at, p["order_total"], p["project_id"]],
    )
    status = "running" if p["outcome"] == "confirmed" else "closed"
    db.execute("UPDATE projects SET status = ? WHERE id = ?", [status, p["project_id"]])
    _touch(db, p["project_id"], event)


def _household(db: Database, project_id: str, apartment: str) -> None:
    db.execute(
        "INSERT OR IGNORE INTO purchase_households (project_id, apartment) VALUES (?, ?)",
        [project_id, apartment],
    )


@project_event(
    "purchase.payment_marked",
    fields={"project_id": str, "apartment": str, "amount": int, "method": str},
    optional={"marked_by": MAYBE_TEXT},
    tables=("purchase_households",),
)
def _payment_marked(db: Database, event: Event) -> None:
    p = event.payload
    _household(db, p["project_id"], p["apartment"])
    db.execute(
        "UPDATE purchase_households SET paid_amount = ?, paid_method = ?, paid_at = ?, paid_marked_by = ? "
        "WHERE project_id = ? AND apartment = ?",
        [
            p["amount"],
            p["method"],
            event.created_at,
            p.get("marked_by"),
            p["project_id"],
            p["apartment"],
        ],
    )


@project_event(
    "purchase.pickup_marked",
    fields={"project_id": str, "apartment": str},
    optional={"marked_by": MAYBE_TEXT},
    tables=("purchase_households",),
)
def _pickup_marked(db: Database, event: Event) -> None:
    p = event.payload
    _household(db, p["project_id"], p["apartment"])
    db.execute(
        "UPDATE purchase_households SET picked_up_at = ?, picked_marked_by = ? "
        "WHERE project_id = ? AND apartment = ?",
        [event.created_at, p.get("marked_by"), p["project_id"], p["apartment"]],
    )


@project_event(
    "purchase.distributed",
    fields={"project_id": str, "fees": list},
    optional={"marked_by": MAYBE_TEXT, "refused": list},
    tables=("purchases", "purchase_fees", "purchase_fee_refusals", "projects"),
)
def _distributed(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE purchases SET state = 'distributed', distributed_at = ?, distributed_by = ? "
        "WHERE project_id = ?",
        [event.created_at, p.get("marked_by"), p["project_id"]],
    )
    db.conn.executemany(
        "INSERT INTO purchase_fees (project_id, resident_id, amount, transfer_id) VALUES (?, ?, ?, ?)",
        [(p["project_id"], f["resident_id"], f["amount"], f["transfer_id"]) for f in p["fees"]],
    )
    for r in p.get("refused", []):  # a fee the ledger refused, kept with its reason's code
        db.execute(
            "INSERT OR IGNORE INTO purchase_fee_refusals VALUES (?, ?, ?, ?)",
            [p["project_id"], r["resident_id"], r["amount"], r["reason"]],
        )
    db.execute("UPDATE projects SET status = 'closed' WHERE id = ?", [p["project_id"]])
    _touch(db, p["project_id"], event)

"""A believable demo building: residents over several floors, months of exchanges.

Every demo resident's PIN is 1234. The administrator is Claire Petit, apartment A-001.
Dates are spread over the last four months by moving the kiosk clock while recording, the
way a real history would have been written, so the log stays the only source of truth.
"""

from __future__ import annotations

import random

from sqlite_utils import Database

from kiosk import clock, store
from kiosk.config import Config
from kiosk.errors import KioskError
from kiosk.ledger.exchanges import record_exchange
from kiosk.residents import residents
from printing import queue as print_queue

DEMO_PIN = "1234"

# (apartment, name): stairs A and B, floors 0 to 5; some households have two residents.
HOUSEHOLDS = [
    ("A-001", ["Claire Petit"]),
    ("A-002", ["Marcel Dubois"]),
    ("A-101", ["Jeanne Martin", "Louis Martin"]),
    ("A-102", ["Fatima Benali"]),
    ("A-201", ["Hélène Rousseau"]),
    ("A-202", ["Thomas Lefèvre", "Camille Lefèvre"]),
    ("A-301", ["Yvonne Garnier"]),
    ("A-302", ["Karim Haddad"]),
    ("A-401", ["Odile Fournier"]),
    ("A-402", ["Nicolas Girard"]),
    ("A-501", ["Suzanne Bonnet"]),
    ("B-001", ["Ahmed Diallo", "Aïssata Diallo"]),
    ("B-101", ["Françoise Mercier"]),
    ("B-102", ["Lucas Blanc"]),
    ("B-201", ["Monique Chevalier"]),
    ("B-202", ["Julien Robin", "Sophie Robin"]),
    ("B-203", ["Geneviève Lambert"]),
    ("B-204", ["Éric Faure"]),
    ("B-301", ["Paulette Morel"]),
    ("B-302", ["Antoine Gauthier"]),
    ("B-401", ["Denise Perrin"]),
    ("B-402", ["Mathieu Roux", "Léa Roux"]),
    ("B-501", ["Bernard Caron"]),
    ("B-502", ["Chloé Nguyen"]),
    ("A-502", ["Roger Vidal"]),
]

EXCHANGES = [
    ("diy", "Réparer une fuite sous l'évier", 60),
    ("diy", "Monter une étagère", 45),
    ("diy", "Changer un joint de robinet", 30),
    ("sewing", "Ourlet d'un pantalon", 30),
    ("sewing", "Recoudre une fermeture éclair", 45),
    ("haircut", "Coupe de cheveux à domicile", 30),
    ("school", "Aide aux devoirs de maths", 60),
    ("school", "Conversation en anglais", 60),
    ("moving", "Porter un canapé au 4e", 90),
    ("computer", "Installer une imprimante", 45),
    ("computer", "Apprendre à faire un appel vidéo", 60),
    ("childcare", "Garde d'enfants le mercredi", 120),
    ("pets", "Promener le chien", 30),
    ("plants", "Arroser les plantes pendant les vacances", 20),
    ("cooking", "Préparer un gâteau d'anniversaire", 90),
    ("transport", "Conduire à l'hôpital", 60),
    ("other", "Prêt d'une perceuse", None),
    ("other", "Courses pour une voisine", 45),
]


def populate(
    db: Database, config: Config, *, seed: int = 2026, exchanges: int = 120
) -> dict[str, int]:
    rng = random.Random(seed)
    people: list[residents.Resident] = []
    for apartment, names in HOUSEHOLDS:
        already_here = {r.name.casefold(): r for r in residents.in_apartment(db, apartment)}
        for name in names:
            if name.casefold() in already_here:  # e.g. the administrator made by `kiosk init`
                people.append(already_here[name.casefold()])
                continue
            role = "admin" if (apartment, name) == ("A-001", "Claire Petit") else "resident"
            people.append(
                residents.register(db, apartment=apartment, name=name, pin=DEMO_PIN, role=role)
            )
    days_back = 120
    recorded = 0
    try:
        for index in range(exchanges):
            day = days_back - int(index * days_back / exchanges)
            clock.shift(-day * 86400 + rng.randint(8, 19) * 3600)
            try:
                payer, payee = rng.sample(people, 2)
                category, description, minutes = rng.choice(EXCHANGES)
                amount = None if minutes else rng.choice([200, 500, 800])
                record_exchange(
                    db,
                    config,
                    payer_id=payer.id,
                    payee_id=payee.id,
                    description=description,
                    category=category,
                    minutes=minutes,
                    amount=amount,
                    recorded_by=payer.id,
                )
                recorded += 1
            except KioskError:
                pass  # a neighbour at the floor or ceiling: the kiosk refused, as it would
            finally:
                clock.reset()
    finally:
        clock.reset()
    # The demo's receipts are history, not jobs for today's printer.
    for job in print_queue.list_jobs(db, states=("queued",), limit=exchanges + 1):
        print_queue.cancel_job(db, job.id)
    return {"residents": len(people), "exchanges": recorded}


def building_is_empty(db: Database) -> bool:
    """Nothing but what `kiosk init` makes: no exchange yet, and no resident but administrators."""
    if store.scalar(db, "SELECT count(*) FROM transfers"):
        return False
    return all(resident.is_admin for resident in residents.all_residents(db))

"""One example payload per layout: for the admin page's "preview a layout", tests and bench."""

from __future__ import annotations

from typing import Any

SAMPLE_PAYLOADS: dict[str, dict[str, Any]] = {
    "receipt": {
        "reference": "RJGPEP-42",
        "created_at": "2026-11-23T10:00:00Z",
        "kind": "exchange",
        "reverses_reference": None,
        "payer": {"apartment": "B-204", "name": "Jeanne Martin", "balance_after": -1500},
        "payee": {"apartment": "A-12", "name": "Loïc Béranger", "balance_after": 123450},
        "description": "Réparer un robinet (joint usé) à l’évier de la cuisine",
        "category_label": "Bricolage et petite plomberie",
        "minutes": 90,
        "amount": 1500,
    },
    "voucher": {
        "serial": "BCDFGH-42",
        "amount": 1000,
        "issued_at": "2026-11-23T10:00:00Z",
        "expires_at": "2027-11-23T10:00:00Z",
        "qr": (
            "KVCCTLRNUVLTGYXGJFLTGJGPCTXKEUJXGRLVKKKENLPSUFUGCENBKJRGXYJDRCPJFXLDKRVPCXEVXVLCVBDSKUHNGR"
            "NVYULRXGCCFBPCYKHRJCGSLRKTSRGJLPDNGVCCRGSFKGERCJCTDBNCJLLHDPGGSPUYDKKBJNCKELSFYHPFCDDVBUPH"
        ),
        "check_code": "BCDFGH-42-K7N29-HX4FR-3PV2T",
        "issued_to": "Jeanne Martin",
    },
    "member_card": {
        "name": "Jeanne Martin",
        "apartment": "B-204",
        "card_token": "KCBFHJ7Q2M9XD4N8STWY",
        "card_number": 2,
        "issued_at": "2026-11-23T10:00:00Z",
    },
    "statement": {
        "name": "Jeanne Martin",
        "apartment": "B-204",
        "month": "2026-11",
        "opening_balance": 500,
        "lines": [
            {
                "created_at": "2026-11-03T17:30:00Z",
                "reference": "RJGPEP-12",
                "counterparty": "Loïc Béranger (A-12)",
                "description": "Garde de chat (week-end)",
                "amount": 2000,
            },
            {
                "created_at": "2026-11-23T10:00:00Z",
                "reference": "RJGPEP-42",
                "counterparty": "Bons en circulation",
                "description": "Réparer un robinet",
                "amount": -1500,
            },
        ],
        "earlier_lines": 0,
        "total_in": 2000,
        "total_out": 1500,
        "closing_balance": 1000,
        "printed_at": "2026-12-01T08:00:00Z",
    },
    "board_sheet": {
        "week_of": "2026-11-23",
        "offers": [
            {
                "title": "Cours de guitare débutant",
                "apartment": "A-12",
                "category_label": "Musique",
                "name": "Loïc",
            },
            {
                "title": "Arrosage des plantes pendant vos congés",
                "apartment": "C-31",
                "category_label": "Entraide",
                "name": None,
            },
        ],
        "requests": [
            {
                "title": "Monter une armoire (2 h)",
                "apartment": "B-204",
                "category_label": "Bricolage",
                "name": "Jeanne",
            },
        ],
        "kiosk_hint": None,
    },
    "mailbox_slip": {
        "apartment": "B-204",
        "name": "Jeanne Martin",
        "code": "482913",
        "expires_at": "2026-11-30T10:00:00Z",
    },
    "test_page": {"requested_at": "2026-11-23T10:00:00Z"},
    "departure": {
        "reference": "RJGPEP-42",
        "created_at": "2026-11-23T10:00:00Z",
        "resident": {"name": "Paul Durand", "apartment": "A-101"},
        "closed_by": "Claire Petit",
        "balance_before": 1500,
        "fees_paid": 200,
        "final_balance": 1300,
        "settlement": "to_fund",
        "posts_withdrawn": 1,
        "items": [
            {
                "kind": "Prêt emprunté",
                "what": "Perceuse",
                "neighbour": "Jeanne Martin (B-204)",
                "outcome": "Clos ; les frais de 2,00 CEEC sont payés à Jeanne Martin.",
            }
        ],
    },
}

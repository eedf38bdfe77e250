"""Signals: how a lower feature shows what higher ones know, without importing them.

The packages are layered (``docs/architecture.md``): residents never imports the board, the
ledger never imports the board. Where a lower page must show something a higher feature owns
(the welcome page rotates offers, polls and group purchases; the exchange form names the board
post it comes from), the lower page sends a signal and the higher feature connects a receiver,
as Indico's modules do. Receivers are connected when the app factory imports the feature's
views, so a signal with no receiver simply yields nothing.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

welcome_items = _signals.signal(
    "welcome-items",
    doc="""The welcome (idle) screen asks what to rotate through.

    Sent with no sender arguments; each receiver returns a list of ``IdleItem``-like objects
    that only the lobby may see (titles, apartments, dates; never a balance or a vote).""",
)

exchange_subject = _signals.signal(
    "exchange-subject",
    doc="""The exchange form asks what the exchange is about.

    Sent with ``post_id``; the board's receiver returns its post (or None if it does not
    exist). The exchange records only the id.""",
)

sync_soon = _signals.signal(
    "sync-soon",
    doc="""A page waits on something only the hub can bring (a phone being linked): sync now
    rather than at the next interval.

    Sent with ``config``; the sync page's receiver starts a run in the background if this
    kiosk has a hub (one run at a time: asking again while one runs changes nothing).""",
)


def first_answer(signal, **kwargs):
    """The first receiver's non-None answer to ``signal``, or None."""
    for _receiver, answer in signal.send(None, **kwargs):
        if answer is not None:
            return answer
    return None


def all_answers(signal, **kwargs) -> list:
    """Every receiver's answers to ``signal``, as one list (receivers return lists)."""
    return [item for _receiver, answer in signal.send(None, **kwargs) for item in answer or ()]

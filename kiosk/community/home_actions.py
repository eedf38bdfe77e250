"""What a resident may do in the community pages from their own device (kiosk/home_requests.py):
vote in a poll. The applier calls the kiosk's own ``polls.vote``, as the resident, inside the
write transaction of sync/home_inbox.py: one vote per resident or per apartment, as the poll
says, whichever of the kiosk or the device it comes from."""

from __future__ import annotations

from kiosk.community import polls
from kiosk.errors import N_
from kiosk.home_requests import home_action


@home_action(
    "poll.vote",
    fields={"poll_id": str, "option": (str, int)},
    summary=N_("Vote in a poll"),
)
def vote(db, config, resident_id, fields, *, request_id):
    polls.vote(db, config, fields["poll_id"], voter_id=resident_id, option=fields["option"])

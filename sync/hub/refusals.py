"""How the hub refuses a request: a 4xx status, a machine code and a sentence, as JSON."""

from __future__ import annotations

from typing import Any


class HubRefusal(Exception):
    """A refused request: ``status`` (4xx), a machine ``code`` and a sentence."""

    status = 400
    code = "refused"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra

    def as_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": str(self), **self.extra}


class BadRequest(HubRefusal):
    status, code = 400, "bad_request"


class Unauthenticated(HubRefusal):
    status, code = 401, "unauthenticated"


class Replayed(HubRefusal):
    status, code = 401, "replayed"


class Revoked(HubRefusal):
    status, code = 403, "revoked"


class BadCode(HubRefusal):
    status, code = 403, "bad_code"


class Gap(HubRefusal):
    status, code = 409, "gap"


class Fork(HubRefusal):
    status, code = 409, "fork"


class NotFound(HubRefusal):
    status, code = 404, "not_found"


class Conflict(HubRefusal):
    status, code = 409, "conflict"


class TooMany(HubRefusal):
    status, code = 429, "too_many"

"""A resident at the kiosk with a browser of their own, over real HTTP (the app served by
waitress: ``live_server``): a cookie jar, no redirects followed, the page's CSRF token sent
with every form. For the tests that send requests at the same moment from several people."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from html import unescape

from app_fixtures import PIN

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Visitor:
    """(status, page text with entities decoded) for each request."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, form: dict) -> tuple[int, str]:
        status, page = self.get("/")
        if status == 302:  # "/" moves on once logged in
            page = self.get("/me/")[1]
        token = CSRF.search(page).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, **form}).encode()
        return self._open(urllib.request.Request(self.base + path, data=data))

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, unescape(response.read().decode())
        except urllib.error.HTTPError as error:
            return error.code, unescape(error.read().decode())

    def choose(self, resident) -> None:
        assert self.post("/login/choose", {"resident_id": resident.id})[0] == 302

    def type_pin(self, pin: str) -> tuple[int, str]:
        return self.post("/login/pin", {"pin": pin})

    def login(self, resident, pin: str = PIN) -> None:
        self.choose(resident)
        assert self.type_pin(pin)[0] == 302

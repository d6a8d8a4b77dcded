"""Cookie hand-off: what a browser earned by passing a host's challenge, reused by the plain HTTP client.

The challenge binds its cookies to the User-Agent that solved it, so both are handed over together. They
serve until the host challenges again; if they never served at all (the site wants more than cookies, e.g.
requests signed by its page script), the host goes straight to the browser for a while instead of wasting
a request on every poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass
class Handoff:
    user_agent: str
    cookies: dict[str, str] = field(default_factory=dict)
    served: int = 0  # answers with content obtained with these cookies

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


class CookieHandoff:
    def __init__(self, browser_only_s: float = 6 * 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._browser_only_s = browser_only_s
        self._clock = clock
        self._hosts: dict[str, Handoff] = {}
        self._browser_only_until: dict[str, float] = {}

    def give(self, host: str, cookies: Mapping[str, str], user_agent: str) -> None:
        if cookies:
            self._hosts[host] = Handoff(user_agent, dict(cookies))

    def get(self, host: str) -> Handoff | None:
        return self._hosts.get(host)

    def served(self, host: str, set_cookies: Mapping[str, str]) -> None:
        """The cookies worked; keep any the server rotated in its answer."""
        if handoff := self._hosts.get(host):
            handoff.served += 1
            handoff.cookies.update(set_cookies)

    def revoke(self, host: str) -> None:
        """The host challenged again: these cookies are spent."""
        handoff = self._hosts.pop(host, None)
        if handoff is not None and handoff.served == 0:
            self._browser_only_until[host] = self._clock() + self._browser_only_s

    def browser_only(self, host: str) -> bool:
        """Cookies alone did not get us in last time: skip the plain request for now."""
        return self._browser_only_until.get(host, 0.0) > self._clock()

"""Whether the venue accepts the API key (EX-1, OPS-2): a refusal that persists is not a
transient fault.

Every private request answered 401 is sent again once with a new token (the adapter's
HTTP client): a token the venue refused once (a reused nonce, a clock hiccup) costs one
retry. A 401 that survives that retry is one *refusal*. The key counts as rejected once
refusals go on — at least `REFUSALS` private requests in a row over at least `SPAN_S`
seconds — with no private request accepted in between. Any other answer to a private
request (2xx, or a 4xx other than 401: authentication passed) accepts the key and ends the
streak; 429, 5xx and network errors say nothing about the key.

A refusal of a request sent on both clock bases (the local clock, and the local clock
corrected by the venue's `/time`: the HTTP client tries the other one while the two
differ beyond the bound) may be the clock's as much as the key's: the rejection then says
so, naming the offset measured, and sends the operator to the system clock (NTP) too.
"""

from __future__ import annotations

import time
from collections.abc import Callable

REFUSALS = 3
SPAN_S = 5.0
SHOWN_ENDPOINTS = 3


class KeyStanding:
    """What the venue's answers say about one API key (`key`: its name and where it came
    from, never the key itself)."""

    def __init__(
        self,
        key: str,
        *,
        refusals: int = REFUSALS,
        span_s: float = SPAN_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.key = key
        self._needed = refusals
        self._span_s = span_s
        self._clock = clock
        self.accepted_once = False  # the venue accepted the key at least once
        self.refusals = 0  # private requests refused in a row
        self.refused_since: float | None = None  # the first of them (monotonic)
        self.last_refused_at: float | None = None
        self._endpoints: dict[str, None] = {}  # refused in this streak, in order
        # the venue's offset to the local clock when a request of this streak was refused
        # on both clock bases (None: it was not)
        self.both_clocks_offset_s: float | None = None

    def accepted(self) -> None:
        self.accepted_once = True
        self.refusals = 0
        self.refused_since = self.last_refused_at = None
        self._endpoints.clear()
        self.both_clocks_offset_s = None

    def refused_on_both_clocks(self, measured_offset_s: float) -> None:
        """The request about to be counted refused was signed on both clock bases,
        `measured_offset_s` (venue minus local, from `/time`) apart."""
        self.both_clocks_offset_s = measured_offset_s

    def refused(self, endpoint: str) -> None:
        now = self._clock()
        if self.refused_since is None:
            self.refused_since = now
        self.last_refused_at = now
        self.refusals += 1
        self._endpoints.setdefault(endpoint, None)

    def rejection(self) -> str | None:
        """One line saying the venue refuses the key, or None while it does not (yet)."""
        since = self.refused_since
        if since is None or self.refusals < self._needed:
            return None
        span = self._clock() - since
        if span < self._span_s:
            return None
        endpoints = list(self._endpoints)
        shown = ", ".join(endpoints[:SHOWN_ENDPOINTS])
        more = f" and {len(endpoints) - SHOWN_ENDPOINTS} more" if len(endpoints) > 3 else ""
        clocks = signed = ntp = ""
        offset = self.both_clocks_offset_s
        if offset is not None:
            clocks = " on both clock bases"
            signed = (
                f" and on both clocks: the local one and the venue's /time, {offset:+.1f} s "
                "from the local one"
            )
            ntp = "the system clock (NTP, e.g. timedatectl) as well as "
        return (
            f"the venue refused the API key (HTTP 401){clocks}: key {self.key}; "
            f"{self.refusals} private requests in a row over {span:.0f} s, each also with a "
            f"new token{signed} ({shown}{more}); check {ntp}that the key exists, is enabled "
            "and allows this machine's IP address"
        )

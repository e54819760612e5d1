"""WebSocket streams with reconnect, watchdog and sequence checks (EX-2, protocol §5).

One `WsStream` is one connection kind (market or user). It subscribes one channel per
message, each with a fresh WS JWT; reads frames up to 16 MiB; reconnects with jittered
exponential backoff on ANY close (1000/1001/1006 included), on connect errors and when no
frame arrived for `watchdog_s` (heartbeats come every second). The backoff starts afresh
only after a connection that stayed up `STABLE_S`: one closed within seconds, whatever it
delivered first, counts as another failure. `sequence_num` is one
counter per connection: a frame at or below the last seen is a duplicate or out of order
and is ignored; a jump is a gap → `StreamStatus("resync")` and every data channel is
resubscribed (fresh snapshots: book, open orders, recent trades). Gaps that follow one
another share one resubscribe and one log line per `RESYNC_MIN_S` (a channel whose frames
keep being lost would otherwise resubscribe, and log, at every frame); each gap is counted.

The work one frame costs the event loop is bounded: a frame above `MAX_FRAME_BYTES` is
refused by the WebSocket library (close 1009, reconnect with fresh snapshots) and a
`ticker` or `market_trades` frame above the decoder's row cap is refused unread and the
stream resynced like after a gap. Either is venue data refused: counted in
`trader_venue_data_errors_total{kind="oversized_frame"}`, one `ws_frame_oversized` line
per episode and channel (refusals less than `OVERSIZED_QUIET_S` apart are one episode).
After each frame the reader yields to the loop, so a venue sending frames faster than they
are applied never starves the other tasks (decisions, `/status`, the kill switch, a stop).
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from trader.core.clock import Clock
from trader.exchange.coinbase.auth import JwtSigner
from trader.exchange.coinbase.decode import (
    IGNORED_CHANNELS,
    DecodeError,
    OversizedFrame,
    decode_events,
)
from trader.exchange.metrics import AdapterMetrics
from trader.exchange.models import StreamStatus

log = structlog.get_logger("trader.exchange")
MAX_FRAME_BYTES = 16 * 1024 * 1024
MESSAGE_TOO_BIG = 1009  # the close code the WebSocket library sends above `max_size`
DEFAULT_WATCHDOG_S = 5.0
RESYNC_MIN_S: Final = 2.0
OVERSIZED_QUIET_S: Final = 60.0  # an oversized frame after this long starts a new episode
# a connection up this long starts the backoff afresh; shorter ones (a venue closing each
# connection at its first frames, an oversized frame at each snapshot) keep doubling it
STABLE_S: Final = 10.0


KNOWN_LABELS = frozenset(
    {"<unparsed>", "error", *IGNORED_CHANNELS, "ticker", "market_trades", "l2_data", "user"}
)


@dataclass(frozen=True, slots=True)
class Subscription:
    channel: str
    product_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WsSettings:
    watchdog_s: float = DEFAULT_WATCHDOG_S
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 15.0
    open_timeout_s: float = 10.0


class _Reconnect(Exception):
    """Leave the current connection and reconnect; `reason` labels the metric."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SequenceTracker:
    """Per-connection `sequence_num` bookkeeping."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last: int | None = None

    def check(self, seq: int) -> str:
        """ "ok", "stale" (duplicate / out of order: ignore) or "gap" (accept, resync)."""
        last = self.last
        if last is not None and seq <= last:
            return "stale"
        self.last = seq
        if last is not None and seq > last + 1:
            return "gap"
        return "ok"


class ResyncPacer:
    """Gaps seen, and when the next resubscribe may go: at once for a first gap, then no
    sooner than `RESYNC_MIN_S` after the last (a gap meanwhile waits for it, never lost)."""

    __slots__ = ("gaps", "next_at")

    def __init__(self) -> None:
        self.gaps = 0
        self.next_at = 0.0

    def due(self, now: float) -> int:
        """The gaps a resubscribe now answers (0: none pending, or not yet)."""
        if not self.gaps or now < self.next_at:
            return 0
        gaps, self.gaps = self.gaps, 0
        self.next_at = now + RESYNC_MIN_S
        return gaps


class WsStream:
    """One reconnecting WebSocket connection yielding typed events and `StreamStatus`."""

    def __init__(
        self,
        name: str,
        url: str,
        subscriptions: Sequence[Subscription],
        metrics: AdapterMetrics,
        *,
        signer: JwtSigner | None,
        ssl_context: ssl.SSLContext | None = None,
        settings: WsSettings | None = None,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.subscriptions = list(subscriptions)
        self.metrics = metrics
        self.signer = signer
        self.ssl = ssl_context
        self.settings = settings or WsSettings()
        self.clock = clock
        self.rng = rng or random.Random()
        self.connects = 0
        self._oversized_at: dict[str, float] = {}  # channel -> last refusal (monotonic)

    async def events(self) -> AsyncIterator[Any]:
        """Forever: connect, subscribe, yield events; on trouble yield `down` and retry."""
        failures = 0
        while True:
            reason = "connect_error"
            opened_at: float | None = None
            try:
                async with connect(
                    self.url,
                    ssl=self.ssl,
                    max_size=MAX_FRAME_BYTES,
                    proxy=None,
                    open_timeout=self.settings.open_timeout_s,
                    close_timeout=1.0,
                    ping_interval=20.0,
                    ping_timeout=20.0,
                ) as ws:
                    self.connects += 1
                    opened_at = time.monotonic()
                    await self._subscribe(ws, "subscribe", self.subscriptions)
                    async for event in self._read(ws):
                        yield event
            except _Reconnect as exc:
                reason = exc.reason
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else 1006
                if exc.sent is not None and exc.sent.code == MESSAGE_TOO_BIG:
                    code = MESSAGE_TOO_BIG
                    self._refuse_oversized("<unparsed>", f"more than {MAX_FRAME_BYTES} bytes")
                reason = f"closed_{code}"
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
                reason = f"connect_error_{type(exc).__name__}"
            if opened_at is not None and time.monotonic() - opened_at >= STABLE_S:
                failures = 0  # a connection that held starts the backoff afresh
            failures += 1
            self.metrics.ws_reconnects.labels(stream=self.name, reason=reason).inc()
            delay = self._delay(failures)
            log.warning("ws_reconnect", stream=self.name, reason=reason, delay_s=round(delay, 3))
            yield StreamStatus(self.name, "down", reason, self.clock())
            await asyncio.sleep(delay)

    def _delay(self, failures: int) -> float:
        ceiling = min(
            self.settings.backoff_cap_s, self.settings.backoff_base_s * 2 ** (failures - 1)
        )
        return self.rng.uniform(ceiling / 2, ceiling)

    async def _subscribe(
        self, ws: ClientConnection, kind: str, subscriptions: Sequence[Subscription]
    ) -> None:
        """One channel per message, a fresh JWT in each (protocol §5)."""
        for sub in subscriptions:
            message: dict[str, Any] = {
                "type": kind,
                "product_ids": list(sub.product_ids),
                "channel": sub.channel,
            }
            if self.signer is not None:
                message["jwt"] = self.signer.ws_token()
            await ws.send(orjson.dumps(message).decode())

    async def _resubscribe(self, ws: ClientConnection) -> None:
        """After a gap: unsubscribe and subscribe every data channel (fresh snapshots)."""
        data_subs = [s for s in self.subscriptions if s.channel != "heartbeats"]
        await self._subscribe(ws, "unsubscribe", data_subs)
        await self._subscribe(ws, "subscribe", data_subs)

    async def _read(self, ws: ClientConnection) -> AsyncIterator[Any]:
        tracker = SequenceTracker()
        pacer = ResyncPacer()
        up = False
        while True:
            try:  # asyncio.timeout, not wait_for: 3.11's wait_for can lose a cancellation
                async with asyncio.timeout(self.settings.watchdog_s):
                    raw = await ws.recv(decode=False)
            except TimeoutError:
                raise _Reconnect("watchdog") from None
            msg = self._parse(raw)
            if msg is None:
                continue
            channel = msg.get("channel")
            if not isinstance(channel, str):
                self._error_frame(msg)
                continue
            seq = msg.get("sequence_num")
            verdict = tracker.check(seq) if isinstance(seq, int) else "ok"
            if verdict == "stale":
                self.metrics.ws_frames.labels(stream=self.name, disposition="stale").inc()
                continue
            if verdict == "gap":
                self.metrics.ws_gaps.labels(stream=self.name).inc()
                pacer.gaps += 1
            gaps = pacer.due(time.monotonic()) if pacer.gaps else 0
            if gaps:
                log.warning("ws_sequence_gap", stream=self.name, seq=tracker.last, gaps=gaps)
                yield StreamStatus(self.name, "resync", "sequence_gap", self.clock())
                await self._resubscribe(ws)
            if channel == "subscriptions" and not up and self._all_acked(msg):
                up = True
                yield StreamStatus(self.name, "up", "subscribed", self.clock())
            elif channel == "heartbeats":
                yield StreamStatus(self.name, "heartbeat", "", self.clock())
                continue
            try:
                events = self._decode(channel, msg)
            except OversizedFrame as exc:
                self._refuse_oversized(channel, exc.problem)
                pacer.gaps += 1  # what it held is lost: resync like after a gap
                await asyncio.sleep(0)
                continue
            for event in events:
                yield event
            await asyncio.sleep(0)  # one frame at a time: the loop's other tasks run

    def _all_acked(self, msg: dict[str, Any]) -> bool:
        """The cumulative `subscriptions` ack lists every channel we asked for (an ack of
        any other shape acknowledges nothing, and is counted as a bad frame)."""
        events = msg.get("events")
        if not isinstance(events, list):
            self._bad("subscriptions", f"events is not a list: {type(events).__name__}", 0)
            return False
        acked: set[str] = set()
        for event in events:
            subs = event.get("subscriptions") if isinstance(event, dict) else None
            if isinstance(subs, dict):
                acked.update(str(key) for key in subs)
        return all(sub.channel in acked for sub in self.subscriptions)

    def _parse(self, raw: bytes | str) -> dict[str, Any] | None:
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            self._bad("<unparsed>", f"not JSON: {exc}", len(raw))
            return None
        if not isinstance(msg, dict):
            self._bad("<unparsed>", "not a JSON object", len(raw))
            return None
        return msg

    def _refuse_oversized(self, channel: str, problem: str) -> None:
        """Count a frame refused for its size; log the first of an episode."""
        self.metrics.venue_data_errors.labels(kind="oversized_frame").inc()
        now = time.monotonic()
        last = self._oversized_at.get(channel)
        self._oversized_at[channel] = now
        if last is None or now - last >= OVERSIZED_QUIET_S:
            log.warning(
                "ws_frame_oversized",
                stream=self.name,
                channel=channel[:64],
                problem=problem,
                action="refused unread; the stream resyncs (fresh snapshots)",
            )

    def _decode(self, channel: str, msg: dict[str, Any]) -> list[Any]:
        """The frame's events; raises `OversizedFrame` for a frame above the row cap."""
        try:
            events = decode_events(channel, msg)
        except OversizedFrame:
            raise
        except DecodeError as exc:
            self._bad(channel, exc.problem, 0)
            return []
        except Exception:  # a decoder bug drops the frame, never the stream (EX-2)
            log.exception("ws_frame_decoder_failed", stream=self.name, channel=channel[:64])
            self._bad(channel, "decoder failed", 0)
            return []
        if (
            not events
            and channel not in IGNORED_CHANNELS
            and channel not in ("ticker", "market_trades", "l2_data", "user")
        ):
            self.metrics.ws_frames.labels(stream=self.name, disposition="unknown").inc()
        else:
            self.metrics.ws_frames.labels(stream=self.name, disposition="ok").inc()
        return events

    def _bad(self, channel: str, problem: str, size: int) -> None:
        """Count and log a dropped frame. The metric's label is a channel we know (a frame
        cannot mint series with names of its own); the log line keeps what it said."""
        label = channel if channel in KNOWN_LABELS else "other"
        self.metrics.ws_bad_frames.labels(stream=self.name, channel=label).inc()
        log.warning(
            "ws_bad_frame", stream=self.name, channel=channel[:64], problem=problem[:300], size=size
        )

    def _error_frame(self, msg: dict[str, Any]) -> None:
        """`{"type":"error","message":...}`: a refused subscription; reconnect fresh."""
        message = str(msg.get("message", ""))
        self._bad("error", message or "frame without channel", 0)
        if msg.get("type") == "error":
            raise _Reconnect("error_frame")

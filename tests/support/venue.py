"""A standalone simulated venue (`trader sim` as its own process) that daemons under test
talk to as if it were Coinbase, and YAML merging for their config files."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from tests.support.daemon import REPO_ROOT, TEST_PUBLIC_PER_S, merge, wait_for
from trader.config.app import ExchangeConfig
from trader.config.secrets import load_credentials
from trader.core.orders import OrderKind, OrderRequest
from trader.core.types import Side
from trader.exchange.coinbase.exchange import CoinbaseExchange
from trader.exchange.models import OrderAccepted
from trader.ops.metrics import Metrics


def throwaway_key_pem() -> bytes:
    """A fresh EC P-256 private key, PEM: well-formed, and known to no venue."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def merge_yaml(path: Path, override: dict[str, Any]) -> None:
    """Merge `override` into the YAML file at `path` (nested keys merged, others replaced)."""
    data = yaml.safe_load(path.read_text()) or {}
    path.write_text(yaml.safe_dump(merge(data, override), sort_keys=False))


@dataclass
class Venue:
    proc: subprocess.Popen[bytes] | subprocess.Popen[str]
    rest: str
    ws: str
    key_file: Path
    ca_file: Path | None = None  # with `tls`: the certificate clients trust

    def exchange_section(self, **extra: Any) -> dict[str, Any]:
        """The `exchange:` settings that point a daemon at this venue (as if it were Coinbase)."""
        return {
            "venue": "coinbase",
            "rest_url": self.rest,
            "ws_market_url": self.ws,
            "ws_user_url": self.ws,
            **extra,
        }

    @property
    def control(self) -> str:
        return self.rest.removesuffix("/api/v3/brokerage") + "/_sim"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.control + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def market_buys(self, product_id: str, base_size: str, client_order_ids: list[str]) -> None:
        """Market buys of `base_size` each, sent with this venue's own key as a daemon
        would send them (its client ids), each filled before the next is sent."""
        asyncio.run(self._market_buys(product_id, Decimal(base_size), client_order_ids))

    async def _market_buys(
        self, product_id: str, base_size: Decimal, client_order_ids: list[str]
    ) -> None:
        credentials = load_credentials({"CB_API_KEY_FILE": str(self.key_file)})
        config = ExchangeConfig(**self.exchange_section(read_only=False))
        exchange = CoinbaseExchange(config, credentials, Metrics())
        try:
            for client_order_id in client_order_ids:
                order = OrderRequest(
                    client_order_id,
                    product_id,
                    Side.BUY,
                    OrderKind.MARKET_IOC,
                    base_size=base_size,
                )
                result = await exchange.create_order(order)
                assert isinstance(result, OrderAccepted), result
                filled = await exchange.get_order(result.order_id)
                assert filled.filled_size > 0, filled
        finally:
            await exchange.close()

    def refused_key_file(self, directory: Path, kind: str = "unknown_name") -> Path:
        """A well-formed key file (mode 600) this venue refuses with HTTP 401: `kind`
        "unknown_name" is its own private key under a key name it does not know,
        "other_key" its key name with another private key (no signature verifies)."""
        known = json.loads(self.key_file.read_text())
        if kind == "unknown_name":
            refused = {**known, "name": "organizations/o/apiKeys/unknown"}
        elif kind == "other_key":
            refused = {**known, "privateKey": throwaway_key_pem().decode()}
        else:
            raise ValueError(f"no refused key of kind {kind!r}")
        path = directory / f"refused-{kind}.json"
        path.write_text(json.dumps(refused))
        path.chmod(0o600)
        return path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_venue(
    workdir: Path,
    seed: int,
    products: int,
    balances: dict[str, str] | None = None,
    tls: bool = False,
) -> Venue:
    """`trader sim` as its own process; its output goes to a file (a pipe nobody reads
    would fill up and stall it). `balances`: the account's starting balances beside
    USD 100,000 (e.g. coins of the user's own, outside any daemon); `tls`: https/wss with
    the venue's CA written to `workdir/ca.pem`."""
    log_path = workdir / "venue.log"
    log_file = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trader",
            "sim",
            "--port",
            "0",
            "--products",
            str(products),
            "--seed",
            str(seed),
            "--trades-per-minute",
            "900",
            "--public-per-s",
            str(TEST_PUBLIC_PER_S),
            "--write-credentials",
            str(workdir),
            *(f"--balance={c}={amount}" for c, amount in (balances or {}).items()),
            *(["--tls"] if tls else []),
        ],
        cwd=REPO_ROOT,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    log_file.close()

    def announced() -> dict[str, str] | None:
        if proc.poll() is not None:
            raise RuntimeError(f"venue exited with {proc.returncode}: {log_path.read_text()}")
        lines = dict(
            line.split(" ", 1)
            for line in log_path.read_text().splitlines()
            if line.split(" ", 1)[0] in wanted
        )
        return lines if len(lines) == len(wanted) else None

    wanted = ("REST", "WS", "KEY_FILE", *(["CA_FILE"] if tls else []))
    lines = wait_for(announced, timeout=60, interval=0.05)
    ca_file = Path(lines["CA_FILE"]) if tls else None
    return Venue(proc, lines["REST"], lines["WS"], Path(lines["KEY_FILE"]), ca_file)

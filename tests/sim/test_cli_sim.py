"""SIM-1 standalone venue: a real subprocess prints its URLs and key file, serves https/wss
with a CA that unmodified clients can trust, and exits 0 on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import ssl
import sys
import time

import aiohttp
import orjson
from cryptography.hazmat.primitives import serialization

from tests.sim.test_server_support import PREFIX, make_jwt


async def _read_announcement(proc: asyncio.subprocess.Process) -> dict[str, str]:
    lines: dict[str, str] = {}
    async with asyncio.timeout(20):
        while "CA_FILE" not in lines:
            raw = await proc.stdout.readline()
            assert raw, "venue exited before announcing itself"
            key, _, value = raw.decode().strip().partition(" ")
            lines[key] = value
    return lines


async def test_sim1_cli_subprocess_tls_credentials_and_sigterm(tmp_path, repo_root):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "trader.sim.cli",
        "--port",
        "0",
        "--products",
        "3",
        "--tls",
        "--write-credentials",
        str(tmp_path),
        cwd=repo_root,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        lines = await _read_announcement(proc)
        assert lines["REST"].startswith("https://127.0.0.1:")
        assert lines["WS"].startswith("wss://127.0.0.1:")
        key_file = json.loads((tmp_path / "cdp_api_key.json").read_text())
        assert lines["KEY_FILE"] == str(tmp_path / "cdp_api_key.json")
        assert key_file["name"].startswith("organizations/") and "/apiKeys/" in key_file["name"]
        assert key_file["privateKey"].startswith("-----BEGIN EC PRIVATE KEY-----\n")
        assert (tmp_path / "cdp_api_key.json").stat().st_mode & 0o077 == 0
        key = serialization.load_pem_private_key(key_file["privateKey"].encode(), None)
        context = ssl.create_default_context(cafile=lines["CA_FILE"])
        host = lines["REST"].split("//")[1].split("/")[0]
        token = make_jwt(key_file["name"], key, uri=f"GET {host}{PREFIX}/accounts", now=time.time())
        async with aiohttp.ClientSession() as session:
            async with session.get(
                f"{lines['REST']}/accounts",
                ssl=context,
                headers={"Authorization": f"Bearer {token}"},
            ) as resp:
                assert resp.status == 200
                assert (await resp.json())["accounts"]
            async with session.ws_connect(lines["WS"], ssl=context) as ws:
                await ws.send_str(
                    orjson.dumps(
                        {"type": "subscribe", "channel": "heartbeats", "product_ids": []}
                    ).decode()
                )
                frame = orjson.loads((await ws.receive(timeout=5)).data)
                assert frame["channel"] == "subscriptions"
            try:
                async with session.get(f"{lines['REST']}/time") as resp:
                    raise AssertionError(f"untrusted certificate accepted: {resp.status}")
            except aiohttp.ClientConnectorCertificateError:
                pass
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            code = await proc.wait()
        assert code == 0
        rest = (await proc.stdout.read()).decode()
        assert "stopped" in rest
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

"""OPS-6, SEC: no secret value ever reaches a log line, checked with a real private key."""

from __future__ import annotations

import logging

import orjson
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.daemon import wait_for
from trader.config.app import LoggingConfig
from trader.config.secrets import load_credentials
from trader.ops.logging import Redactor, configure_logging


def _real_ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def test_ops6_redactor_scrubs_key_everywhere(tmp_path):
    pem = _real_ec_pem()
    creds = load_credentials(
        {
            "CB_API_KEY_NAME": "organizations/o/apiKeys/k",
            "CB_API_PRIVATE_KEY": pem.replace("\n", "\\n"),
        }
    )
    assert creds is not None
    log_file = tmp_path / "logs" / "t.log"
    setup = configure_logging(
        LoggingConfig(stdout=False), log_file, Redactor(creds.secret_values())
    )
    try:
        logger = structlog.get_logger("test")
        body_line = pem.splitlines()[1]
        logger.error("oops", detail=f"bad key {pem}", nested={"x": [body_line]}, private_key="abc")
        logger.info("header", authorization="Bearer eyJhbGciOi.payload.sig")
        logging.getLogger("stdlib").warning("stdlib says %s", body_line)
    finally:
        setup.close()
    text = log_file.read_text()
    assert "oops" in text and "stdlib says" in text
    for line in pem.splitlines()[1:-1]:
        assert line not in text
    assert "eyJhbGciOi" not in text and '"abc"' not in text
    for line in text.splitlines():
        orjson.loads(line)  # every line is one JSON document


def test_ops6_daemon_logs_hold_no_secret_from_a_real_key_file(daemon_dir, tmp_path):
    pem = _real_ec_pem()
    key_file = tmp_path / "cdp_api_key.json"
    key_file.write_bytes(orjson.dumps({"name": "organizations/o/apiKeys/k", "privateKey": pem}))
    key_file.chmod(0o600)
    daemon = daemon_dir.start(env={"CB_API_KEY_FILE": str(key_file)})
    daemon.wait_started()
    wait_for(lambda: daemon.status()["last_cycle"], timeout=5)
    assert daemon.stop() == 0
    everything = daemon.output() + "".join(p.read_text() for p in daemon_dir.logs.iterdir())
    everything += "".join(
        p.read_bytes().decode(errors="replace") for p in daemon_dir.data.iterdir() if p.is_file()
    )
    for line in pem.splitlines()[1:-1]:
        assert line not in everything

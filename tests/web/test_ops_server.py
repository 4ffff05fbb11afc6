"""The worker's small HTTP server: off with port 0, one line naming the variable when its
port is taken, and ``/readyz`` saying whether this process holds the scheduler lease."""

from __future__ import annotations

import json
import socket
import urllib.request

import pytest
from sqlalchemy import Engine

from bot.config import ConfigError, load_settings
from bot.runtime import build_runtime
from bot.services import telemetry
from bot.web import ops_server


def test_port_zero_serves_nothing_and_a_taken_port_names_the_variable(engine: Engine) -> None:
    runtime = build_runtime(load_settings(), engine=engine, default_team="T0001")
    assert ops_server.start(runtime, port=0) is None
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as error:
            ops_server.start(runtime, host="127.0.0.1", port=port)
    assert str(error.value).startswith(
        f"configuration error: DEBTPULSE_METRICS_PORT: cannot listen on 127.0.0.1:{port}"
    )


def test_readiness_says_whether_the_lease_is_held(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = build_runtime(load_settings(), engine=engine, default_team="T0001")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ops_server.start(runtime, host="127.0.0.1", port=port)
    assert server is not None
    try:
        for held in (False, True):
            monkeypatch.setattr(telemetry, "_lease", {"held": held})
            url = f"http://127.0.0.1:{port}/readyz"
            with urllib.request.urlopen(url, timeout=5) as answer:
                assert answer.status == 200
                assert json.loads(answer.read())["lease_held"] is held
    finally:
        server.stop()

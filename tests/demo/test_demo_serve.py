"""``debtpulse demo --serve``: after the simulated weeks the demo keeps running and prints a
lead's sign-in link; the link signs a browser in to the simulated team's ranking, and Ctrl-C
stops it cleanly."""

from __future__ import annotations

import http.client
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e
LINK = re.compile(r"http://127\.0\.0\.1:(\d+)(/dash/signin\?t=[A-Za-z0-9_-]{43})")
#: How long the demo may take to print its link on a loaded machine (a guard, not a figure).
STARTUP_S = 120


def _get(port: int, path: str, cookie: str | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    response.read()
    return response


def _page(port: int, path: str, cookie: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie})
    return connection.getresponse().read().decode()


def test_demo_serve_prints_a_link_that_signs_in_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "demo",
            "--serve",
            "--weeks",
            "2",
            "--team-size",
            "5",
            "--db",
            str(tmp_path / "demo.db"),
            "--chart",
            str(tmp_path / "chart.png"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    output: list[str] = []
    try:
        found = None
        while found is None:
            line = lines.get(timeout=STARTUP_S)
            assert line is not None, "".join(output)
            output.append(line)
            found = LINK.search(line)
        port, path = int(found.group(1)), found.group(2)

        signed_in = _get(port, path)
        assert signed_in.status == 303 and signed_in.headers["Location"] == "/dash"
        cookie = signed_in.headers["Set-Cookie"].split(";")[0]
        page = _page(port, "/dash", cookie)
        assert "<h1>Debt ranking</h1>" in page
        assert len(re.findall(r'<tr data-key="DEBT-\d+">', page)) >= 5
        assert "(lead)" in page and "/dash/register.csv" in page
        key = re.search(r'<tr data-key="(DEBT-\d+)">', page)
        assert key is not None
        item = _page(port, f"/dash/items/{key.group(1)}", cookie)
        assert "Why this score" in item
        assert _get(port, path).status == 410  # the link signed in once
        assert urlsplit(found.group(0)).hostname == "127.0.0.1"
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    while (line := lines.get(timeout=30)) is not None:
        output.append(line)
    shown = "".join(output)
    assert code == 0, shown
    assert "press Ctrl-C to stop" in shown and "stopping the demo" in shown
    assert "Traceback" not in shown

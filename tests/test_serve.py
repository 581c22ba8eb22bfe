"""`ascc serve` as a real server subprocess, driven by the `mcp` package's own client (stdio and HTTP)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

mcp = pytest.importorskip("mcp")
anyio = pytest.importorskip("anyio")

from mcp import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "shop.env.yaml"
ORDER = "#W0065976"  # pending in the shop seed; customer C0010 paid 73.50 by gift card
CANCEL = {"order_id": ORDER, "reason": "no longer needed"}
ASCC = [sys.executable, "-c", "from ascc.cli import main; main()"]


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    # compiled once here so the servers start fast and do not race to compile
    from ascc.runtime.domain import compile_and_load

    out = tmp_path_factory.mktemp("build")
    compile_and_load(SPEC, out)
    return out


async def _value(session, tool, args):
    r = await session.call_tool(tool, args)
    return r.is_error, json.loads(r.content[0].text)


def test_stdio_server(build):
    async def scenario():
        params = StdioServerParameters(command=ASCC[0], args=[*ASCC[1:], "serve", str(SPEC), "--build-dir",
                                                               str(build)], cwd=str(ROOT))
        async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
            init = await s.initialize()
            assert init.server_info.name == "ascc-shop" and "pending orders" in init.instructions
            tools = {t.name: t for t in (await s.list_tools()).tools}
            from ascc.runtime.domain import load_domain

            domain = load_domain(str(build / "shop"))
            assert {n: t.input_schema for n, t in tools.items()} == {
                x["function"]["name"]: x["function"]["parameters"] for x in domain.schemas}
            assert tools["get_order"].annotations.read_only_hint is True
            assert tools["cancel_pending_order"].annotations.destructive_hint is True

            err, before = await _value(s, "get_customer", {"customer_id": "C0010"})
            assert not err and before["gift_card_balance"] == 86.73
            err, order = await _value(s, "get_order", {"order_id": ORDER})
            assert not err and order["status"] == "pending"
            err, order = await _value(s, "cancel_pending_order", CANCEL)
            assert not err and order["status"] == "cancelled" and order["payments"][-1]["kind"] == "refund"
            err, after = await _value(s, "get_customer", {"customer_id": "C0010"})
            assert after["gift_card_balance"] == 160.23

            # refused and invalid calls are error results and change nothing
            err, v = await _value(s, "cancel_pending_order", CANCEL)
            assert err and v["error"]["code"] == "precondition"
            err, v = await _value(s, "change_item_quantity", {"order_id": ORDER, "sku": "P-100", "quantity": 9})
            assert err and v["error"]["message"] == "Non-pending order cannot be modified"
            err, v = await _value(s, "cancel_pending_order", {"order_id": ORDER, "reason": "bored"})
            assert err and v["error"]["code"] == "invalid_arguments"
            err, v = await _value(s, "no_such_tool", {})
            assert err and v["error"]["code"] == "unknown_tool"
            assert (await _value(s, "get_customer", {"customer_id": "C0010"}))[1] == after
            assert (await _value(s, "get_order", {"order_id": ORDER}))[1] == order

    anyio.run(scenario)


def test_stdio_server_refuses_the_users_own_tools(tmp_path):
    """Dual control: telecom's phone tools (`actor: user`) are not listed and a client calling one is refused."""
    spec = ROOT / "specs" / "telecom.env.yaml"

    async def scenario():
        params = StdioServerParameters(command=ASCC[0], args=[*ASCC[1:], "serve", str(spec), "--build-dir",
                                                               str(tmp_path)], cwd=str(ROOT))
        async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            names = {t.name for t in (await s.list_tools()).tools}
            assert "get_customer_by_phone" in names and "toggle_roaming" not in names
            err, v = await _value(s, "toggle_roaming", {})
            assert err and v["error"]["code"] == "unknown_tool" and "the user's tool" in v["error"]["message"]

    anyio.run(scenario)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("server did not start")


def test_http_sessions_are_isolated(build):
    from mcp.client.streamable_http import streamable_http_client

    port = _free_port()
    proc = subprocess.Popen([*ASCC, "serve", str(SPEC), "--build-dir", str(build), "--transport", "http",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_port(port, proc)
        url = f"http://127.0.0.1:{port}/mcp"

        async def scenario():
            async with streamable_http_client(url) as (r1, w1), ClientSession(r1, w1) as a, \
                    streamable_http_client(url) as (r2, w2), ClientSession(r2, w2) as b:
                await a.initialize()
                await b.initialize()
                assert len((await b.list_tools()).tools) == len((await a.list_tools()).tools) == 6
                assert not (await _value(a, "cancel_pending_order", CANCEL))[0]
                assert (await _value(a, "get_order", {"order_id": ORDER}))[1]["status"] == "cancelled"
                assert (await _value(b, "get_order", {"order_id": ORDER}))[1]["status"] == "pending"
                err, v = await _value(a, "cancel_pending_order", CANCEL)
                assert err and v["error"]["code"] == "precondition"
                assert not (await _value(b, "cancel_pending_order", CANCEL))[0]  # b's own copy still pending

        anyio.run(scenario)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_rejects_unknown_transport(build):
    r = subprocess.run([*ASCC, "serve", str(SPEC), "--transport", "ws", "--build-dir", str(build)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--transport must be" in r.stderr


def _first_line(proc: subprocess.Popen, seconds: float = 30) -> str:
    """The first line the process writes on stderr, or "" when it writes none in time (no hang either way)."""
    import select

    ready, _, _ = select.select([proc.stderr], [], [], seconds)
    return proc.stderr.readline() if ready else ""


def test_stdio_at_a_terminal_says_what_it_is_and_stops_on_ctrl_c(build):
    """At a terminal the stdio server prints one line on stderr; Ctrl-C ends it at once (it used to wait for a line
    on stdin). A client's pipe gets no such line: the server stays silent there."""
    import os
    import pty
    import signal

    main, side = pty.openpty()
    proc = subprocess.Popen([*ASCC, "serve", str(SPEC), "--build-dir", str(build)], stdin=side,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    os.close(side)
    try:
        line = _first_line(proc)
        assert line.startswith("ascc serve: `shop` (6 tools) over MCP on stdin/stdout") and "Ctrl-C" in line
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 130
        assert "Traceback" not in proc.stderr.read()
    finally:
        proc.kill()
        os.close(main)


def test_http_prints_its_url(build):
    import re
    import signal

    proc = subprocess.Popen([*ASCC, "serve", str(SPEC), "--build-dir", str(build), "--transport", "http",
                             "--port", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = _first_line(proc)
        url = re.search(r"at (http://127\.0\.0\.1:(\d+)/mcp);", line)
        assert url, line
        _wait_for_port(int(url.group(2)), proc)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 130  # uvicorn stops gracefully, then exits as interrupted
        assert "Traceback" not in proc.stderr.read()
    finally:
        proc.kill()

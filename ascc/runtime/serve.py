"""`ascc serve`: a domain's tools as a Model Context Protocol server (the official `mcp` package, 2.x).

Each MCP session gets its own `Environment`, created at its first tool call, so clients never see each other's
writes: over stdio the process is the session; over streamable HTTP the `Mcp-Session-Id` header names it (the
server runs stateful, so every client that starts with `initialize` gets one). The tools are listed with the exact
JSON schemas the compiler wrote (`tools.json`), read tools marked `readOnlyHint`. A call's result is one text
content block holding the `ToolResult` JSON; a refused or invalid call is the same JSON with `isError: true`,
and leaves the state as it was.
"""

from __future__ import annotations

import collections
import os
import signal
import sys
import threading

import mcp_types as types
from mcp.server.lowlevel import Server

from ascc import __version__
from ascc.runtime.actors import call_as
from ascc.runtime.domain import CompiledDomain
from ascc.runtime.env import Environment, Limits

MAX_SESSIONS = 256  # environments kept for HTTP sessions; the least recently used is dropped past this


class SessionEnvironments:
    """One `Environment` per MCP session key (`None` for stdio), least recently used dropped past a bound."""

    def __init__(self, domain: CompiledDomain, limit: int = MAX_SESSIONS, limits: Limits | None = None):
        self.domain = domain
        self.limit = limit
        self.limits = limits
        self._envs: collections.OrderedDict[str | None, Environment] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str | None) -> Environment:
        with self._lock:
            env = self._envs.get(key)
            if env is None:
                env = self._envs[key] = Environment(self.domain, self.limits)
                while len(self._envs) > self.limit:
                    self._envs.popitem(last=False)[1].close()
            self._envs.move_to_end(key)
            return env

    def close(self) -> None:
        with self._lock:
            for env in self._envs.values():
                env.close()
            self._envs.clear()


def session_key(ctx) -> str | None:
    """The HTTP session id of a request, or None on stdio (no HTTP request)."""
    request = getattr(ctx, "request", None)
    headers = getattr(request, "headers", None)
    return headers.get("mcp-session-id") if headers is not None else None


def mcp_tools(domain: CompiledDomain) -> list[types.Tool]:
    out = []
    for s in domain.schemas:
        fn = s["function"]
        tool = domain.info.tools.get(fn["name"])
        kind = tool.kind if tool else None
        out.append(types.Tool(name=fn["name"], description=fn.get("description"), input_schema=fn["parameters"],
                              annotations=types.ToolAnnotations(read_only_hint=kind == "read",
                                                                destructive_hint=kind == "write")))
    return out


def build_server(domain: CompiledDomain, envs: SessionEnvironments, *, http: bool = False) -> Server:
    tools = mcp_tools(domain)
    schemas = {t.name: t.input_schema for t in tools}

    async def list_tools(ctx, params) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        key = session_key(ctx)
        if http and key is None:
            text = ('{"error": {"code": "no_session", "message": "this server keeps one environment per MCP '
                    'session: start with initialize so the server assigns an Mcp-Session-Id"}}')
            return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)
        # the client is the agent: the user's own tools (dual control) and task-setup tools are not its to call
        result = call_as(envs.get(key), "agent", params.name, params.arguments if params.arguments is not None else {})
        return types.CallToolResult(content=[types.TextContent(text=result.content)], is_error=not result.ok)

    return Server(f"ascc-{domain.name}", version=__version__, description=domain.info.description,
                  instructions=domain.policy, on_list_tools=list_tools, on_call_tool=call_tool,
                  get_tool_input_schema=schemas.get)


HTTP_PATH = "/mcp"


def stdio_hint(domain: CompiledDomain) -> str:
    """The line for a person who started the stdio server at a terminal, where it otherwise waits silently."""
    return (f"ascc serve: `{domain.name}` ({len(domain.schemas)} tools) over MCP on stdin/stdout: this is for an MCP "
            f"client to start (--transport http to serve a URL); Ctrl-C to stop")


def http_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{HTTP_PATH}"


def run_stdio(domain: CompiledDomain, hint=None, limits: Limits | None = None) -> None:
    """Serve over stdin/stdout; `hint(line)` is given `stdio_hint` first (the CLI prints it at a terminal)."""
    import anyio
    from mcp.server.stdio import stdio_server

    envs = SessionEnvironments(domain, limit=1, limits=limits)
    server = build_server(domain, envs)

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    if hint:
        hint(stdio_hint(domain))
    previous = signal.signal(signal.SIGINT, _stop_now)
    try:
        anyio.run(main)
    finally:
        signal.signal(signal.SIGINT, previous)
        envs.close()


def _stop_now(signum, frame) -> None:
    """Ctrl-C: leave at once. A KeyboardInterrupt would wait for the thread blocked reading stdin, i.e. hang
    until the next line; the environments are in memory, so there is nothing to save."""
    sys.stderr.flush()
    os._exit(128 + signal.SIGINT)


def run_http(domain: CompiledDomain, host: str, port: int, hint=None, limits: Limits | None = None) -> None:
    """Serve streamable HTTP at `http_url(host, port)`; `hint(line)` is told the URL once the port is bound
    (port 0: the one the system picked)."""
    import uvicorn

    envs = SessionEnvironments(domain, limits=limits)
    server = build_server(domain, envs, http=True)
    app = server.streamable_http_app(host=host, streamable_http_path=HTTP_PATH)

    class Listening(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started and hint:
                bound = self.servers[0].sockets[0].getsockname()[1]
                hint(f"ascc serve: `{domain.name}` ({len(domain.schemas)} tools) over MCP at "
                     f"{http_url(host, bound)}; Ctrl-C to stop")

    try:
        Listening(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()
    finally:
        envs.close()

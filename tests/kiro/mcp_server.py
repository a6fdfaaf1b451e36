"""A small real MCP server built with the official SDK, run over stdio by the tests.

Every tool is deterministic so that a call's result can be compared byte for byte with
and without the proxy; `fail` raises (a tool error, `isError: true`) and `slow` sleeps
(used for the timeout case).
"""

import asyncio
import sys

from mcp.server.fastmcp import FastMCP

app = FastMCP("perfcycle-test", log_level="WARNING")  # no per-request log lines


@app.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@app.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@app.tool()
def fail(reason: str = "boom") -> str:
    """Always raise: the SDK turns this into a result with isError true."""
    raise RuntimeError(reason)


@app.tool()
async def slow(seconds: float) -> str:
    """Sleep, then answer."""
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


@app.resource("note://greeting")
def greeting() -> str:
    """A fixed resource."""
    return "hello"


@app.prompt()
def review(code: str) -> str:
    """A fixed prompt."""
    return f"Review this: {code}"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "http":
        app.settings.port = int(sys.argv[2])
        app.settings.log_level = "WARNING"
        app.run("streamable-http")
    else:
        app.run("stdio")

"""Free TCP ports on 127.0.0.1, so several stacks (or a stack and the tests) never collide."""
from __future__ import annotations

import socket

HOST = "127.0.0.1"
"""The stack listens on loopback only: it is a local trial, never a deployment."""


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports the kernel reports free right now (all sockets held until the end)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def url(port: int, path: str = "") -> str:
    return f"http://{HOST}:{port}{path}"

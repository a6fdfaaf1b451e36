"""Our small wrapper around the real ``promtool`` (no PyPI package provides it), and ``amtool``.

Every call runs the Debian-packaged binary; a missing binary is a clear error that
says how to install it, never a silently skipped check.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


class ToolMissing(RuntimeError):
    """The real tool is not installed; the message says how to get it."""


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).strip()


def binary(name: str = "promtool") -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(f"{name} not found on PATH: run `make deps` (Debian package prometheus)")
    return path


def run(*args: str | Path, stdin: str | None = None, timeout: float = 120, tool: str = "promtool") -> Result:
    """Run ``promtool ARGS`` (or another tool's) and capture its output."""
    done = subprocess.run([binary(tool), *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=timeout, check=False)
    return Result(done.returncode, done.stdout, done.stderr)


def check_rules(*files: str | Path) -> Result:
    return run("check", "rules", *files)


def test_rules(*files: str | Path) -> Result:
    return run("test", "rules", *files)


def check_metrics(exposition: str) -> Result:
    return run("check", "metrics", stdin=exposition)


def amtool_check_config(*files: str | Path) -> Result:
    """``amtool check-config``: Alertmanager's own validation of a config file."""
    return run("check-config", *files, tool="amtool")

"""The line protocol between the benchmark and its peer processes.

A peer runner seeds its server, writes one JSON line {"ready": true, ...}
to standard output, then reads commands from standard input, one JSON
object per line: {"op": "warmup" | "timed" | "follow_up", ...} runs the
`ShapeRunner` method of that name and writes its result as one JSON line,
and {"op": "finish"} ends the process. Both sides run on this machine only.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from .workload import ShapeRunner

COMMANDS = {"warmup", "timed", "follow_up"}


def _write_line(stream: TextIO, message: dict[str, Any]) -> None:
    stream.write(json.dumps(message) + "\n")
    stream.flush()


def serve(runner: ShapeRunner, ready: dict[str, Any]) -> None:
    """Announce `ready`, then run the benchmark's commands from standard input until "finish".

    Standard output carries the protocol only: anything else that the
    process prints goes to standard error.
    """
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    _write_line(protocol, {"ready": True, **ready})
    for line in sys.stdin:
        command = json.loads(line)
        operation = command.pop("op")
        if operation == "finish":
            return
        if operation not in COMMANDS:
            raise ValueError(f"Unknown benchmark command {operation!r}; expected one of {sorted(COMMANDS)} or finish.")
        _write_line(protocol, getattr(runner, operation)(**command))


class PeerFailed(Exception):
    """A peer process exited, timed out or sent something that is not a protocol line."""


class LocalServer:
    """The server measured in the benchmark's own process (p81), behind the same `call` as a peer."""

    def __init__(self, name: str, runner: ShapeRunner) -> None:
        self.name = name
        self.runner = runner

    def call(self, operation: str, **arguments: Any) -> dict[str, Any]:
        return getattr(self.runner, operation)(**arguments)

    def close(self) -> None:
        pass


class PeerProcess:
    """A peer runner started as a subprocess, driven through `serve` on its side."""

    def __init__(self, name: str, command: list[str], cwd: Path, timeout: float) -> None:
        self.name = name
        self.timeout = timeout
        self.process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        # A reader thread lets `receive` wait with a timeout on a blocking pipe.
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def receive(self) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=self.timeout)
        except queue.Empty:
            raise PeerFailed(f"{self.name} sent nothing for {self.timeout:.0f} s") from None
        if line is None:
            raise PeerFailed(f"{self.name} exited with status {self.process.wait()}")
        try:
            return json.loads(line)
        except ValueError:
            raise PeerFailed(f"{self.name} wrote a line that is not JSON: {line[:200]!r}") from None

    def call(self, operation: str, **arguments: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps({"op": operation, **arguments}) + "\n")
            self.process.stdin.flush()
        except OSError as error:
            raise PeerFailed(f"{self.name} no longer reads commands: {error}") from None
        return self.receive()

    def close(self) -> None:
        """Ask the peer to finish, and kill it if it has not exited 30 seconds later."""
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(json.dumps({"op": "finish"}) + "\n")
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

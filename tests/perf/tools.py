"""Running the outside tools of `make bench` (npm, Lighthouse, `reflex init`, Locust): when one fails
or hangs, the benchmark fails with the tool's own words, never a bare exit status."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

TAIL = 6000  # characters of each stream shown


class ToolFailed(AssertionError):
    """A tool exited non-zero or timed out; the message carries its command, stderr and stdout."""

    def __init__(self, what: str, command: Sequence[str], stdout: str | bytes | None, stderr: str | bytes | None):
        self.what, self.stdout, self.stderr = what, _text(stdout), _text(stderr)
        super().__init__(
            f"{what}\n$ {shlex.join(str(part) for part in command)}\n"
            f"--- stderr (last {TAIL} characters) ---\n{self.stderr[-TAIL:] or '(empty)'}\n"
            f"--- stdout (last {TAIL // 3} characters) ---\n{self.stdout[-TAIL // 3 :] or '(empty)'}"
        )


def _text(stream: str | bytes | None) -> str:
    if stream is None:
        return ""
    return stream.decode(errors="replace") if isinstance(stream, bytes) else stream


def run_tool(command: Sequence[str | Path], what: str, *, timeout: float, **kwargs) -> subprocess.CompletedProcess[str]:
    """`subprocess.run` with output captured; raises ToolFailed (stderr included) on a non-zero exit
    or a timeout."""
    command = [str(part) for part in command]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as exc:
        raise ToolFailed(f"{what} did not finish in {timeout:.0f} s", command, exc.stdout, exc.stderr) from None
    except OSError as exc:
        raise ToolFailed(f"{what} could not start: {exc}", command, "", "") from None
    if done.returncode != 0:
        raise ToolFailed(f"{what} exited {done.returncode}", command, done.stdout, done.stderr)
    return done

"""A failing tool fails the benchmark with its own words (tools.py)."""

from __future__ import annotations

import sys

import pytest

from tests.perf.tools import ToolFailed, run_tool


def test_a_failing_tool_shows_its_stderr_and_exit_status():
    script = "import sys; print('half done'); sys.stderr.write('Unable to connect to Chrome\\n'); sys.exit(1)"
    with pytest.raises(ToolFailed) as failed:
        run_tool([sys.executable, "-c", script], "lighthouse http://127.0.0.1/", timeout=60)
    message = str(failed.value)
    assert "lighthouse http://127.0.0.1/ exited 1" in message
    assert "Unable to connect to Chrome" in message and "half done" in message
    assert failed.value.stderr == "Unable to connect to Chrome\n"


def test_a_hanging_tool_is_stopped_and_shows_what_it_said():
    script = "import sys, time; sys.stderr.write('waiting for the page\\n'); sys.stderr.flush(); time.sleep(30)"
    with pytest.raises(ToolFailed) as failed:
        run_tool([sys.executable, "-c", script], "lighthouse", timeout=2)
    assert "did not finish in 2 s" in str(failed.value) and "waiting for the page" in str(failed.value)


def test_a_tool_that_works_returns_its_output():
    assert run_tool([sys.executable, "-c", "print('12.8.2')"], "lighthouse --version", timeout=60).stdout == "12.8.2\n"

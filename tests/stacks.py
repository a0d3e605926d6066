"""The engine run alone with a stack of a given size: what the structure check lets
through must leave room to spare on the stack of the process that evaluates it."""

import resource
import subprocess
import sys

import pytest

#: The engine with the stack named by its argument and 20 s of CPU, on the text from
#: stdin; a syntax error is the engine through with it too.
_ENGINE = """
import contextlib, resource, sys
from pyoxigraph import Store
hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
resource.setrlimit(resource.RLIMIT_STACK, (int(sys.argv[1]), hard))
resource.setrlimit(resource.RLIMIT_CPU, (20, 21))
with contextlib.suppress(SyntaxError):
    Store().query(sys.stdin.read())
"""
_HARD_STACK = resource.getrlimit(resource.RLIMIT_STACK)[1]


def needs_stack(size: int, whose: str) -> pytest.MarkDecorator:
    """Skip a test on a machine whose hard stack limit is under ``size`` bytes, where
    it could not give the engine the stack of ``whose``."""
    return pytest.mark.skipif(
        _HARD_STACK != resource.RLIM_INFINITY and size > _HARD_STACK,
        reason=f"the machine's hard stack limit is under {whose}",
    )


def engine_with_stack(text: str, stack: int) -> "subprocess.CompletedProcess[str]":
    """The engine's end on ``text`` with ``stack`` bytes of stack: exit 0 once it has
    parsed and planned it, a signal if its stack overflowed or its CPU ran out."""
    engine = [sys.executable, "-c", _ENGINE, str(stack)]
    return subprocess.run(engine, input=text, text=True, capture_output=True, check=False)

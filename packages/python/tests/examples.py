"""Run a seed's Python example as written: its text compiled as a module (top-level ``await``
allowed, as in seed 000's token.py), printing to stdout."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any


def compile_example(source: str) -> Any:
    return compile(textwrap.dedent(source), "<seed example>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


def run_example(source: str) -> dict[str, Any]:
    """Execute an example that runs itself (``asyncio.run(main())``); return its globals."""
    namespace: dict[str, Any] = {"__name__": "seed_example"}
    result = eval(compile_example(source), namespace)
    assert not inspect.iscoroutine(result), "this example awaits at top level: use run_example_async"
    return namespace


async def run_example_async(source: str) -> dict[str, Any]:
    """Execute an example in the running loop (top-level ``await`` or only definitions); return its globals."""
    namespace: dict[str, Any] = {"__name__": "seed_example"}
    result = eval(compile_example(source), namespace)
    if inspect.iscoroutine(result):
        await result
    return namespace

"""``SyncAgentVault``: the async client run on a dedicated event loop in a background thread, so
it works in plain scripts and also inside code that already runs an event loop."""

from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from ._client import AgentVault
from ._transport import Sleep

P = ParamSpec("P")
T = TypeVar("T")


def _blocking(
    method: Callable[Concatenate[AgentVault, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[SyncAgentVault, P], T]:
    """The sync twin of an ``AgentVault`` method: same parameters and docs, blocks for the result."""

    @functools.wraps(method)
    def call(self: SyncAgentVault, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._run(method(self._client, *args, **kwargs))

    return call


def _stop(loop: asyncio.AbstractEventLoop) -> None:
    if not loop.is_closed():
        loop.call_soon_threadsafe(loop.stop)


class SyncAgentVault:
    """Blocking client with the same methods and signatures as ``AgentVault``; use ``with`` or ``close()``."""

    def __init__(
        self,
        agent_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        *,
        retry_delay: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self._client = AgentVault(
            agent_key, base_url, timeout, retries, retry_delay=retry_delay, transport=transport, sleep=sleep
        )
        self.base_url = self._client.base_url
        self.timeout = timeout
        self.retries = retries
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="agentvault-sync", daemon=True)
        self._thread.start()
        self._closed = False
        # A client dropped without close() still stops its thread when collected.
        weakref.finalize(self, _stop, self._loop)

    def __repr__(self) -> str:
        return f"SyncAgentVault(base_url={self.base_url!r})"

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coroutine.close()
            raise RuntimeError("this SyncAgentVault is closed")
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result()

    def close(self) -> None:
        """Close the connection pool and stop the background loop. Safe to call twice."""
        if self._closed:
            return
        try:
            self._run(self._client.close())
        finally:
            self._closed = True
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    def __enter__(self) -> SyncAgentVault:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    get_secret = _blocking(AgentVault.get_secret)
    set_secret = _blocking(AgentVault.set_secret)
    create_secret = _blocking(AgentVault.create_secret)
    update_secret = _blocking(AgentVault.update_secret)
    list_secrets = _blocking(AgentVault.list_secrets)
    list_versions = _blocking(AgentVault.list_versions)
    rollback_secret = _blocking(AgentVault.rollback_secret)
    rotate_secret = _blocking(AgentVault.rotate_secret)
    delete_secret = _blocking(AgentVault.delete_secret)
    restore_secret = _blocking(AgentVault.restore_secret)
    request_token = _blocking(AgentVault.request_token)
    revoke_token = _blocking(AgentVault.revoke_token)
    get_approval = _blocking(AgentVault.get_approval)
    list_approvals = _blocking(AgentVault.list_approvals)
    approve = _blocking(AgentVault.approve)
    deny = _blocking(AgentVault.deny)
    wait_for_approval = _blocking(AgentVault.wait_for_approval)
    import_env = _blocking(AgentVault.import_env)
    query_audit = _blocking(AgentVault.query_audit)

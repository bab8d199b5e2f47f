"""``SyncAgentVault`` has ``AgentVault``'s methods with identical signatures, and blocks for them."""

from __future__ import annotations

import inspect

import httpx
import pytest

from agentvault import AgentVault, AgentVaultNotFoundError, SyncAgentVault
from conftest import Server
from mock import SECRET_WIRE, error, mock_sync_client


def public_coroutines() -> list[str]:
    return [
        name
        for name, member in inspect.getmembers(AgentVault, inspect.iscoroutinefunction)
        if not name.startswith("_") and name != "close"
    ]


def test_every_async_method_has_a_sync_twin_with_the_same_signature() -> None:
    names = public_coroutines()
    assert len(names) == 19
    for name in names:
        twin = getattr(SyncAgentVault, name)
        assert not inspect.iscoroutinefunction(twin), name
        assert inspect.signature(twin) == inspect.signature(getattr(AgentVault, name)), name
        assert twin.__doc__ == getattr(AgentVault, name).__doc__
    assert inspect.signature(SyncAgentVault.__init__) == inspect.signature(AgentVault.__init__)


def test_sync_calls_block_and_raise_the_same_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("missing"):
            return error(404, "not_found", path="missing")
        return httpx.Response(200, json=SECRET_WIRE)

    client, rec = mock_sync_client(handler)
    with client:
        assert client.get_secret("production/openai/api-key", version="v1").value == SECRET_WIRE["value"]
        with pytest.raises(AgentVaultNotFoundError):
            client.get_secret("missing")
    assert str(rec.requests[0].url) == "http://vault.test/v1/secrets/production%2Fopenai%2Fapi-key?version=v1"
    assert rec.requests[0].headers["user-agent"].startswith("agentvault-python/")


def test_close_is_idempotent_and_a_closed_client_refuses_calls() -> None:
    client, _ = mock_sync_client(lambda _: httpx.Response(200, json=SECRET_WIRE))
    client.close()
    client.close()
    with pytest.raises(RuntimeError, match="closed"):
        client.get_secret("a/b")


async def test_the_sync_client_works_inside_a_running_event_loop(server: Server, prefix: str) -> None:
    # Its own loop runs on a thread, so a blocking call from async code does not deadlock.
    with SyncAgentVault(server.root_key, server.url) as vault:
        vault.set_secret(f"{prefix}/k", "v")
        assert vault.get_secret(f"{prefix}/k").value == "v"


def test_sync_round_trip_against_the_server(server: Server, prefix: str) -> None:
    with SyncAgentVault(server.root_key, server.url) as vault:
        vault.set_secret(f"{prefix}/a/b", "first", tags={"env": "test"})
        rotated = vault.rotate_secret(f"{prefix}/a/b", "second", grace_period_seconds=60)
        assert (rotated.old_version, rotated.new_version) == (1, 2)
        assert [v.version for v in vault.list_versions(f"{prefix}/a/b")] == [1, 2]
        assert vault.get_secret(f"{prefix}/a/b", version=1).value == "first"
        assert [s.path for s in vault.list_secrets(prefix).items] == [f"{prefix}/a/b"]
        vault.delete_secret(f"{prefix}/a/b", permanent=True)
        assert vault.list_secrets(prefix).items == []


def test_request_encoding() -> None:
    """Paths are one URL segment; booleans and repeated filters encode as the server expects."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [], "total": 0, "next_cursor": None})

    client, _ = mock_sync_client(handler)
    with client:
        client.list_secrets("production/openai", limit=10, tier=["critical", "sensitive"], trashed=True)
    assert seen[0].url.query == b"namespace=production%2Fopenai&limit=10&tier=critical&tier=sensitive&trashed=true"


def test_a_client_dropped_without_close_stops_its_thread() -> None:
    import gc

    client, _ = mock_sync_client(lambda _: httpx.Response(200, json=SECRET_WIRE))
    client.get_secret("a/b")
    thread = client._thread
    assert thread.is_alive()
    del client
    gc.collect()
    thread.join(timeout=5)
    assert not thread.is_alive()

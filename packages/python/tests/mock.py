"""A client wired to an ``httpx.MockTransport``: no network, and sleeps recorded instead of slept."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from agentvault import AgentVault, SyncAgentVault

KEY = "ass_live_unit_test_key_0123456789abcdefghij"
BASE = "http://vault.test/v1"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Recorder:
    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def mock_client(handler: Handler, *, retries: int = 3, retry_delay: float = 0.5) -> tuple[AgentVault, Recorder]:
    recorder = Recorder()

    def record(request: httpx.Request) -> httpx.Response:
        recorder.requests.append(request)
        return handler(request)

    client = AgentVault(
        KEY, BASE, retries=retries, retry_delay=retry_delay, transport=httpx.MockTransport(record), sleep=recorder.sleep
    )
    return client, recorder


def mock_sync_client(handler: Handler) -> tuple[SyncAgentVault, Recorder]:
    recorder = Recorder()

    def record(request: httpx.Request) -> httpx.Response:
        recorder.requests.append(request)
        return handler(request)

    client = SyncAgentVault(KEY, BASE, transport=httpx.MockTransport(record), sleep=recorder.sleep)
    return client, recorder


def error(status: int, code: str, message: str = "refused", headers: dict[str, str] | None = None, **extra: object) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message, **extra}}, headers=headers)


def body_of(request: httpx.Request) -> object:
    return json.loads(request.content)


SECRET_WIRE: dict[str, object] = {
    "path": "production/openai/api-key",
    "value": "sk-proj-unit-test-value",
    "version": 1,
    "latest_version": 1,
    "tier": "standard",
    "type": "api_key",
    "description": None,
    "tags": {},
    "created_at": "2026-01-15T10:00:00.000Z",
    "created_by": "key:key_1",
    "updated_at": "2026-01-15T10:00:00.000Z",
    "updated_by": "key:key_1",
    "accessed_at": "2026-01-15T10:30:00.000Z",
    "expires_at": None,
    "trashed_at": None,
    "purge_at": None,
}

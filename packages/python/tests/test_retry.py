"""Retries: exponential backoff with jitter on 429 (Retry-After wins), 5xx and network errors;
never on another 4xx. Sleeps are injected and recorded, never slept."""

from __future__ import annotations

from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from agentvault import (
    AgentVaultError,
    AgentVaultNetworkError,
    AgentVaultRateLimitError,
    AgentVaultUnavailableError,
)
from agentvault._transport import Transport
from mock import SECRET_WIRE, error, mock_client




def replay(*outcomes: httpx.Response | Exception) -> "Replay":
    return Replay(list(outcomes))


class Replay:
    """Answers with the given outcomes in order (an exception is raised as a network failure)."""

    def __init__(self, outcomes: list[httpx.Response | Exception]) -> None:
        self.outcomes = outcomes

    def __call__(self, request: httpx.Request) -> httpx.Response:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def ok() -> httpx.Response:
    return httpx.Response(200, json=SECRET_WIRE)


async def test_a_5xx_is_retried_then_succeeds() -> None:
    client, rec = mock_client(replay(error(503, "unavailable"), error(500, "internal_error"), ok()))
    secret = await client.get_secret("production/openai/api-key")
    assert secret.version == 1
    assert len(rec.requests) == 3
    assert len(rec.sleeps) == 2
    assert 0.375 <= rec.sleeps[0] <= 0.5 and 0.75 <= rec.sleeps[1] <= 1.0


async def test_backoff_doubles_per_retry_and_gives_up_after_retries() -> None:
    client, rec = mock_client(replay(*(error(502, "internal_error", "bad gateway") for _ in range(4))), retries=3)
    with pytest.raises(AgentVaultError) as raised:
        await client.get_secret("a/b")
    assert (raised.value.code, raised.value.status_code) == ("internal_error", 502)
    assert len(rec.requests) == 4
    assert [low <= s <= high for s, (low, high) in zip(rec.sleeps, [(0.375, 0.5), (0.75, 1.0), (1.5, 2.0)])] == [True] * 3


def test_jitter_scales_the_exponential_delay_between_three_quarters_and_one() -> None:
    async def no_sleep(_: float) -> None:
        return None

    def transport(jitter: float) -> Transport:
        return Transport(
            base_url="http://x/v1", credential="k", timeout=1, retries=3, retry_delay=0.5,
            user_agent="t", sleep=no_sleep, jitter=lambda: jitter, now=lambda: 0.0,
        )

    assert [transport(0.0).backoff(n, None) for n in range(4)] == [0.375, 0.75, 1.5, 3.0]
    assert [transport(1.0).backoff(n, None) for n in range(4)] == [0.5, 1.0, 2.0, 4.0]
    assert transport(0.5).backoff(2, 7.0) == 7.0


async def test_a_429_waits_what_retry_after_says() -> None:
    client, rec = mock_client(replay(error(429, "rate_limited", headers={"Retry-After": "7"}, retry_after=7), ok()))
    await client.get_secret("a/b")
    assert rec.sleeps == [7.0]


async def test_retry_after_as_an_http_date() -> None:
    at = datetime.now(timezone.utc) + timedelta(seconds=30)
    client, rec = mock_client(replay(error(429, "rate_limited", headers={"Retry-After": format_datetime(at, usegmt=True)}), ok()))
    await client.get_secret("a/b")
    assert 27 <= rec.sleeps[0] <= 30


async def test_a_503_with_retry_after_waits_that_long() -> None:
    client, rec = mock_client(replay(error(503, "unavailable", headers={"Retry-After": "2"}), ok()))
    await client.get_secret("a/b")
    assert rec.sleeps == [2.0]


async def test_rate_limited_after_the_last_retry_raises_with_retry_after() -> None:
    limited = [error(429, "rate_limited", headers={"Retry-After": "12"}, retry_after=12) for _ in range(3)]
    client, rec = mock_client(replay(*limited), retries=2)
    with pytest.raises(AgentVaultRateLimitError) as raised:
        await client.get_secret("a/b")
    assert raised.value.retry_after == 12.0
    assert rec.sleeps == [12.0, 12.0] and len(rec.requests) == 3


async def test_network_errors_are_retried_then_raised_as_network_errors() -> None:
    failures = [httpx.ConnectError("refused"), httpx.ReadError("reset"), httpx.RemoteProtocolError("eof"), httpx.ConnectError("x")]
    client, rec = mock_client(replay(*failures))
    with pytest.raises(AgentVaultNetworkError) as raised:
        await client.get_secret("a/b")
    assert str(raised.value) == "Could not reach http://vault.test/v1 (ConnectError)"
    assert len(rec.requests) == 4 and len(rec.sleeps) == 3


async def test_a_timeout_is_a_network_error_naming_the_timeout() -> None:
    client, rec = mock_client(replay(httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow")), retries=1)
    with pytest.raises(AgentVaultNetworkError, match=r"No answer from http://vault.test/v1 within 10 s"):
        await client.get_secret("a/b")


async def test_a_network_error_then_success() -> None:
    client, rec = mock_client(replay(httpx.ConnectError("refused"), ok()))
    assert (await client.get_secret("a/b")).version == 1
    assert len(rec.sleeps) == 1


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "invalid_request"),
        (401, "unauthorized"),
        (403, "permission_denied"),
        (404, "not_found"),
        (409, "conflict"),
        (410, "gone"),
        (413, "payload_too_large"),
        (422, "validation_error"),
    ],
)
async def test_other_4xx_are_never_retried(status: int, code: str) -> None:
    client, rec = mock_client(replay(error(status, code, headers={"Retry-After": "1"})))
    with pytest.raises(AgentVaultError) as raised:
        await client.get_secret("a/b")
    assert raised.value.status_code == status
    assert len(rec.requests) == 1 and rec.sleeps == []


async def test_retries_zero_means_one_attempt() -> None:
    client, rec = mock_client(replay(error(503, "unavailable")), retries=0)
    with pytest.raises(AgentVaultUnavailableError):
        await client.get_secret("a/b")
    assert len(rec.requests) == 1 and rec.sleeps == []


async def test_writes_are_retried_with_the_same_body() -> None:
    client, rec = mock_client(replay(error(500, "internal_error"), httpx.Response(200, json={
        "path": "a/b", "old_version": 1, "new_version": 2, "old_expires_at": "2026-01-15T10:05:00Z",
    })))
    result = await client.rotate_secret("a/b", "new-value-123", grace_period_seconds=300)
    assert (result.old_version, result.new_version) == (1, 2)
    assert rec.requests[0].content == rec.requests[1].content
    assert result.expires_at == datetime(2026, 1, 15, 10, 5, tzinfo=timezone.utc)

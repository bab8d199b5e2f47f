"""Every documented error code maps to its exception, with its fields."""

from __future__ import annotations

import httpx
import pytest

from agentvault import (
    AgentVaultAuthError,
    AgentVaultConflictError,
    AgentVaultError,
    AgentVaultGoneError,
    AgentVaultNotFoundError,
    AgentVaultPayloadTooLargeError,
    AgentVaultPermissionError,
    AgentVaultRateLimitError,
    AgentVaultUnavailableError,
    AgentVaultValidationError,
)
from agentvault.exceptions import ValidationIssue
from mock import error, mock_client


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "invalid_request", AgentVaultValidationError),
        (401, "unauthorized", AgentVaultAuthError),
        (403, "permission_denied", AgentVaultPermissionError),
        (404, "not_found", AgentVaultNotFoundError),
        (409, "conflict", AgentVaultConflictError),
        (410, "gone", AgentVaultGoneError),
        (413, "payload_too_large", AgentVaultPayloadTooLargeError),
        (422, "validation_error", AgentVaultValidationError),
        (429, "rate_limited", AgentVaultRateLimitError),
        (500, "internal_error", AgentVaultError),
        (503, "unavailable", AgentVaultUnavailableError),
    ],
)
@pytest.mark.parametrize("with_body", [True, False], ids=["body", "status-only"])
async def test_each_code_maps_to_its_exception(status: int, code: str, cls: type[AgentVaultError], with_body: bool) -> None:
    response = error(status, code, f"the {code} message") if with_body else httpx.Response(status, text="<html>nginx</html>")
    client, _ = mock_client(lambda _: response, retries=0)
    with pytest.raises(AgentVaultError) as raised:
        await client.get_secret("a/b")
    assert type(raised.value) is cls
    assert (raised.value.code, raised.value.status_code) == (code, status)
    expected = f"the {code} message" if with_body else f"HTTP {status} from the AgentVault server"
    assert str(raised.value) == raised.value.message == expected


async def test_permission_denied_carries_path_and_required_scope() -> None:
    response = error(
        403,
        "permission_denied",
        "Token scope 'secrets:read:production/openai/*' does not cover path 'production/stripe/api-key'",
        path="production/stripe/api-key",
        required_scope="secrets:read:production/stripe/*",
    )
    client, _ = mock_client(lambda _: response)
    with pytest.raises(AgentVaultPermissionError) as raised:
        await client.get_secret("production/stripe/api-key")
    assert (raised.value.path, raised.value.required_scope) == ("production/stripe/api-key", "secrets:read:production/stripe/*")


@pytest.mark.parametrize(("status", "code", "cls"), [(404, "not_found", AgentVaultNotFoundError), (410, "gone", AgentVaultGoneError)])
async def test_not_found_and_gone_carry_the_path(status: int, code: str, cls: type[AgentVaultError]) -> None:
    client, _ = mock_client(lambda _: error(status, code, path="a/b"))
    with pytest.raises(cls) as raised:
        await client.get_secret("a/b")
    assert isinstance(raised.value, (AgentVaultNotFoundError, AgentVaultGoneError)) and raised.value.path == "a/b"


async def test_validation_issues_are_parsed() -> None:
    issues = [
        {"path": ["tags", "team"], "field": "tags.team", "message": "control characters are not allowed"},
        {"path": ["path"], "field": "path", "message": "a segment is 1-128 of A-Z a-z 0-9 . _ -"},
    ]
    client, _ = mock_client(lambda _: error(422, "validation_error", "Invalid input", issues=issues))
    with pytest.raises(AgentVaultValidationError) as raised:
        await client.create_secret("a/b", "value-1234")
    assert raised.value.issues == (
        ValidationIssue(("tags", "team"), "tags.team", "control characters are not allowed"),
        ValidationIssue(("path",), "path", "a segment is 1-128 of A-Z a-z 0-9 . _ -"),
    )


async def test_rate_limit_retry_after_from_the_body_when_no_header() -> None:
    client, _ = mock_client(lambda _: error(429, "rate_limited", retry_after=9), retries=0)
    with pytest.raises(AgentVaultRateLimitError) as raised:
        await client.get_secret("a/b")
    assert raised.value.retry_after == 9.0


async def test_an_unknown_code_keeps_its_code_and_status() -> None:
    client, _ = mock_client(lambda _: error(418, "teapot", "short and stout"), retries=0)
    with pytest.raises(AgentVaultError) as raised:
        await client.get_secret("a/b")
    assert (type(raised.value), raised.value.code, raised.value.status_code) == (AgentVaultError, "teapot", 418)


async def test_the_code_wins_over_the_status() -> None:
    client, _ = mock_client(lambda _: error(400, "unauthorized", "bad credential format"), retries=0)
    with pytest.raises(AgentVaultAuthError):
        await client.get_secret("a/b")


async def test_a_malformed_success_body_is_reported_without_its_content() -> None:
    client, _ = mock_client(lambda _: httpx.Response(200, json={"path": "a/b", "value": "leaky-value-999"}))
    with pytest.raises(AgentVaultError) as raised:
        await client.get_secret("a/b")
    assert "version" in str(raised.value) and "leaky-value-999" not in str(raised.value)


async def test_no_credential_is_an_auth_error_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentvault import AgentVault

    monkeypatch.delenv("ASS_AGENT_KEY", raising=False)
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    async with AgentVault(base_url="http://vault.test/v1", transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(AgentVaultAuthError, match="ASS_AGENT_KEY"):
            await client.get_secret("a/b")
    assert sent == []


def test_every_exception_is_an_agentvault_error() -> None:
    from agentvault import exceptions

    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        if name != "ValidationIssue":
            assert issubclass(cls, AgentVaultError), name


def test_exceptions_survive_pickling_with_their_fields() -> None:
    import pickle

    from agentvault import AgentVaultApprovalPendingError

    for original in (
        AgentVaultRateLimitError("slow down", retry_after=7.0),
        AgentVaultPermissionError("no", path="a/b", required_scope="secrets:read:a/*"),
        AgentVaultApprovalPendingError("wait", approval_request_id="apr_1"),
        AgentVaultValidationError("bad", issues=(ValidationIssue(("path",), "path", "bad segment"),)),
    ):
        copy = pickle.loads(pickle.dumps(original))
        assert type(copy) is type(original) and str(copy) == str(original)
        assert copy.__dict__ == original.__dict__

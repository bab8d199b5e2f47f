"""A value or credential never appears in an exception's text or repr, a model's repr, or a log."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import httpx
import pytest

from agentvault import AgentVault, AgentVaultError, AgentVaultNetworkError, AgentVaultValidationError
from agentvault._wire import to_approval, to_secret, to_token
from conftest import Server
from mock import KEY, SECRET_WIRE, error, mock_client

VALUE = "sk-proj-unit-test-value"
TOKEN_VALUE = "ast_tok_0123456789abcdefghijklmnopqrstuv"


def test_secret_repr_hides_the_value() -> None:
    secret = to_secret(SECRET_WIRE)
    assert secret.value == VALUE
    for text in (repr(secret), str(secret), f"{secret}", repr([secret])):
        assert VALUE not in text
        assert "value='***'" in text and "path='production/openai/api-key'" in text


def test_token_and_approval_reprs_hide_the_token() -> None:
    wire = {
        "id": "tok_1", "value": TOKEN_VALUE, "scope": "secrets:read:a/*", "ttl_seconds": 60,
        "description": None, "allowed_ips": None, "max_uses": None, "uses_remaining": None,
        "expires_at": "2026-01-15T11:00:00Z", "approval_status": "approved",
        "approval_request_id": "apr_1", "approved_tier": "critical",
    }
    token = to_token(wire)
    assert TOKEN_VALUE not in repr(token) and "value='***'" in repr(token)
    approval = to_approval({
        "id": "apr_1", "status": "approved", "approval_status": "approved", "approval_request_id": "apr_1",
        "requested_by": "key:key_1", "requester_description": None, "scope": "secrets:read:a/*", "tier": "critical",
        "ttl_seconds": 60, "description": None, "allowed_ips": None, "max_uses": None, "required_approvals": 1,
        "decisions": [{"decision": "approve", "by": "key:key_2", "note": "ok", "at": "2026-01-15T10:00:00Z"}],
        "created_at": "2026-01-15T10:00:00Z", "expires_at": "2026-01-16T10:00:00Z", "decided_at": "2026-01-15T10:00:00Z",
        "claimed_at": "2026-01-15T10:00:01Z", "token_id": "tok_1", "token": wire,
    })
    assert approval.token is not None and approval.token.value == TOKEN_VALUE
    assert TOKEN_VALUE not in repr(approval)
    assert approval.decisions[0].at == datetime(2026, 1, 15, 10, tzinfo=timezone.utc)


async def test_a_server_message_echoing_the_value_is_scrubbed() -> None:
    issues = [{"path": ["value"], "field": "value", "message": f"'{VALUE}' is not allowed"}]
    client, _ = mock_client(lambda _: error(422, "validation_error", f"bad value {VALUE}", issues=issues))
    with pytest.raises(AgentVaultValidationError) as raised:
        await client.set_secret("a/b", VALUE)
    for text in (str(raised.value), repr(raised.value), repr(raised.value.args), repr(raised.value.issues)):
        assert VALUE not in text
    assert str(raised.value) == "bad value [redacted]"


async def test_a_server_message_echoing_the_credential_is_scrubbed() -> None:
    client, _ = mock_client(lambda _: error(401, "unauthorized", f"unknown key {KEY}"))
    with pytest.raises(AgentVaultError) as raised:
        await client.get_secret("a/b")
    assert KEY not in str(raised.value) and KEY not in repr(raised.value)
    client, _ = mock_client(lambda _: error(401, "unauthorized", f"unknown token {TOKEN_VALUE}"))
    with pytest.raises(AgentVaultError) as raised:
        await client.get_secret("a/b", token=TOKEN_VALUE)
    assert TOKEN_VALUE not in str(raised.value)


async def test_rotate_and_import_values_are_scrubbed_too(tmp_path: object) -> None:
    from pathlib import Path

    client, _ = mock_client(lambda _: error(500, "internal_error", f"oops {VALUE}"), retries=0)
    with pytest.raises(AgentVaultError) as raised:
        await client.rotate_secret("a/b", VALUE)
    assert VALUE not in str(raised.value)
    env = Path(str(tmp_path)) / ".env"
    env.write_text(f"OPENAI_API_KEY='{VALUE}'\n")
    with pytest.raises(AgentVaultError) as raised:
        await client.import_env(env, namespace="prod")
    assert VALUE not in str(raised.value)


async def test_retry_logs_name_no_value_or_credential(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    replies = [error(503, "unavailable", f"storage down {VALUE}"), httpx.Response(200, json=SECRET_WIRE)]
    client, _ = mock_client(lambda _: replies.pop(0))
    await client.set_secret("production/openai/api-key", VALUE, expected_version=1)
    assert "retry 1 of 3" in caplog.text
    assert VALUE not in caplog.text and KEY not in caplog.text


async def test_network_errors_name_no_credential() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect ({request.headers['authorization']})")

    client, _ = mock_client(refuse, retries=0)
    with pytest.raises(AgentVaultNetworkError) as raised:
        await client.get_secret("a/b")
    assert KEY not in str(raised.value) and KEY not in repr(raised.value)


async def test_against_the_server_nothing_secret_reaches_logs_or_errors(
    server: Server, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore included
    value = "s3cr3t-" + prefix
    async with AgentVault(server.root_key, server.url) as vault:
        await vault.set_secret(f"{prefix}/db/main", value, tier="standard")
        assert (await vault.get_secret(f"{prefix}/db/main")).value == value
        token = await vault.request_token(f"secrets:read:{prefix}/*")
        assert token.value is not None
        with pytest.raises(AgentVaultError) as raised:
            await vault.create_secret(f"{prefix}/db/main", value)  # exists: 409
        with pytest.raises(AgentVaultError) as too_big:
            await vault.set_secret(f"{prefix}/db/big", value * 10_000)  # over the 64 KiB value limit: 422
        audit = await vault.query_audit(namespace=prefix, limit=1000)
    assert too_big.value.code == "validation_error"
    for text in (caplog.text, str(raised.value), repr(raised.value), str(too_big.value), repr(audit)):
        assert value not in text and server.root_key not in text and token.value not in text

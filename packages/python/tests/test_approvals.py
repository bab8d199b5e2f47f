"""The approval flow end to end against the real server: an agent asks for a token to a critical
secret, the approver key approves over HTTP, and the agent's ``wait_for_approval`` gets the token
once."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import httpx
import pytest

from agentvault import (
    AgentVault,
    AgentVaultApprovalPendingError,
    AgentVaultConflictError,
    AgentVaultGoneError,
    AgentVaultPermissionError,
    SecretTier,
    SyncAgentVault,
)
from conftest import Server


def approve_over_http(server: Server, approval_id: str, comment: str) -> dict[str, object]:
    response = httpx.post(
        f"{server.url}/approvals/{quote(approval_id, safe='')}/approve",
        headers={"authorization": f"Bearer {server.approver_key}"},
        json={"comment": comment},
        timeout=10.0,
    )
    response.raise_for_status()
    body: dict[str, object] = response.json()
    return body


async def test_agent_waits_approver_approves_agent_gets_the_token_once(
    server: Server, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = f"{prefix}/postgres/main"
    async with AgentVault(server.root_key, server.url) as agent:
        await agent.create_secret(path, "postgresql://app:pw@db/app", tier="critical")

        pending = await agent.request_token(f"secrets:read:{prefix}/postgres/*", ttl_seconds=600, description="nightly job")
        assert (pending.approval_status, pending.value, pending.expires_at) == ("pending", None, None)
        assert pending.approval_request_id is not None and pending.approval_request_id.startswith("apr_")
        assert pending.approve_url is not None and pending.approval_request_id in pending.approve_url
        approval_id = pending.approval_request_id

        polls = 0
        real_get = agent.get_approval

        async def counting_get(approval_request_id: str, *, token: str | None = None) -> object:
            nonlocal polls
            polls += 1
            return await real_get(approval_request_id, token=token)

        monkeypatch.setattr(agent, "get_approval", counting_get)

        async def approver() -> dict[str, object]:
            while polls < 2:  # the agent is already waiting
                await asyncio.sleep(0.01)
            return await asyncio.to_thread(approve_over_http, server, approval_id, "approved for the nightly job")

        token, decided = await asyncio.gather(agent.wait_for_approval(approval_id, poll_interval=0.05), approver())
        monkeypatch.undo()

        # The approver sees the decision, never the token.
        assert decided["status"] == "approved" and decided["token"] is None
        assert token.approval_status == "approved" and token.approval_request_id == approval_id
        assert token.value is not None and token.value.startswith("ast_tok_")
        assert token.approved_tier == SecretTier.CRITICAL and token.ttl_seconds == 600
        assert polls >= 3

        # The token reads the critical secret.
        assert (await agent.get_secret(path, token=token.value)).value == "postgresql://app:pw@db/app"

        # A second collect does not get it.
        with pytest.raises(AgentVaultConflictError, match="already collected"):
            await agent.wait_for_approval(approval_id, poll_interval=0.05)
        again = await agent.get_approval(approval_id)
        assert (again.status, again.token, again.token_id) == ("approved", None, token.id)
        assert again.decisions[0].decision == "approve" and again.decisions[0].note == "approved for the nightly job"

        # The audit trail holds the request, the decision and the claim.
        audit = await agent.query_audit(type=["approval.request", "approval.approve", "token.issue"], limit=1000, order="asc")
        trail = [(e.type, e.actor) for e in audit.events if e.details.get("approvalId") == approval_id]
        (_, requester), (_, decider), (_, claimer) = trail
        assert [kind for kind, _ in trail] == ["approval.request", "approval.approve", "token.issue"]
        assert requester == claimer != decider


async def test_the_requester_cannot_approve_its_own_request(server: Server, prefix: str) -> None:
    async with AgentVault(server.root_key, server.url) as agent:
        await agent.create_secret(f"{prefix}/ssh/deploy", "-----BEGIN KEY-----", tier="critical")
        pending = await agent.request_token(f"secrets:read:{prefix}/ssh/*")
        assert pending.approval_request_id is not None
        with pytest.raises(AgentVaultPermissionError):
            await agent.approve(pending.approval_request_id, "self-service")
        assert (await agent.get_approval(pending.approval_request_id)).status == "pending"


async def test_a_denial_ends_the_wait(server: Server, prefix: str) -> None:
    async with AgentVault(server.root_key, server.url) as agent, AgentVault(server.approver_key, server.url) as approver:
        await agent.create_secret(f"{prefix}/stripe/key", "sk_live_1", tier="critical")
        pending = await agent.request_token(f"secrets:read:{prefix}/stripe/*")
        assert pending.approval_request_id is not None
        denied = await approver.deny(pending.approval_request_id, "unexpected access pattern")
        assert denied.status == "denied" and denied.token is None
        with pytest.raises(AgentVaultPermissionError, match="denied"):
            await agent.wait_for_approval(pending.approval_request_id, poll_interval=0.05)
        # A decision is final.
        with pytest.raises(AgentVaultConflictError):
            await approver.approve(pending.approval_request_id)


async def test_waiting_gives_up_with_the_request_id(server: Server, prefix: str) -> None:
    async with AgentVault(server.root_key, server.url) as agent:
        await agent.create_secret(f"{prefix}/kms/root", "k", tier="critical")
        pending = await agent.request_token(f"secrets:read:{prefix}/kms/*")
        assert pending.approval_request_id is not None
        with pytest.raises(AgentVaultApprovalPendingError) as raised:
            await agent.wait_for_approval(pending.approval_request_id, timeout=0.2, poll_interval=0.05)
        assert raised.value.approval_request_id == pending.approval_request_id
        listed = await agent.list_approvals(status="pending", limit=200)
        assert pending.approval_request_id in {a.id for a in listed.items}


async def test_an_unknown_request_is_not_found(server: Server) -> None:
    from agentvault import AgentVaultNotFoundError

    async with AgentVault(server.root_key, server.url) as agent:
        with pytest.raises(AgentVaultNotFoundError):
            await agent.wait_for_approval("apr_doesnotexist")


def test_the_sync_client_waits_too(server: Server, prefix: str) -> None:
    with SyncAgentVault(server.root_key, server.url) as agent, SyncAgentVault(server.approver_key, server.url) as approver:
        agent.create_secret(f"{prefix}/payments/key", "pk_live_1", tier="critical")
        pending = agent.request_token(f"secrets:read:{prefix}/payments/*", max_uses=1)
        assert pending.approval_request_id is not None
        approver.approve(pending.approval_request_id, "ok")
        token = agent.wait_for_approval(pending.approval_request_id)
        assert token.value is not None and token.max_uses == 1
        assert agent.get_secret(f"{prefix}/payments/key", token=token.value).value == "pk_live_1"
        with pytest.raises(AgentVaultConflictError):
            agent.wait_for_approval(pending.approval_request_id)


async def test_wait_polls_with_growing_intervals(monkeypatch: pytest.MonkeyPatch) -> None:
    """Polls start poll_interval apart and grow 1.5x up to max_poll_interval (clock and sleep faked)."""
    from mock import mock_client

    looks = iter(["pending"] * 5 + ["expired"])
    approval: dict[str, object] = {
        "id": "apr_1", "requested_by": "key:k", "requester_description": None, "scope": "secrets:read:a/*",
        "tier": "critical", "ttl_seconds": 60, "description": None, "allowed_ips": None, "max_uses": None,
        "required_approvals": 1, "decisions": [], "created_at": "2026-01-15T10:00:00Z",
        "expires_at": "2026-01-16T10:00:00Z", "decided_at": None, "claimed_at": None, "token_id": None, "token": None,
    }
    client, rec = mock_client(lambda _: httpx.Response(200, json={**approval, "status": next(looks)}))
    monkeypatch.setattr("agentvault._client.monotonic", lambda: sum(rec.sleeps))
    with pytest.raises(AgentVaultGoneError, match="expired"):
        await client.wait_for_approval("apr_1", poll_interval=1.0, max_poll_interval=3.0)
    assert rec.sleeps == [1.0, 1.5, 2.25, 3.0, 3.0]

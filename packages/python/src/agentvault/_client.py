"""``AgentVault``: the async client with seed 001's surface, over ``httpx``."""

from __future__ import annotations

import asyncio
import os
from time import monotonic, time
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Final, Literal
from urllib.parse import quote

import httpx

from . import _wire
from ._transport import QueryValue, Sleep, Transport
from .exceptions import (
    AgentVaultApprovalPendingError,
    AgentVaultConflictError,
    AgentVaultGoneError,
    AgentVaultNotFoundError,
    AgentVaultPermissionError,
)
from .models import (
    Approval,
    ApprovalPage,
    AuditPage,
    ImportResult,
    RotateResult,
    ScopedToken,
    Secret,
    SecretMetadata,
    SecretPage,
    SecretVersion,
    TierLike,
    TokenInfo,
    TypeLike,
)

__version__ = "0.1.0"

DEFAULT_BASE_URL: Final = "http://127.0.0.1:8787/v1"


class Unset(Enum):
    """The type of ``UNSET``: "leave this field as it is" (``None`` clears it)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def _segment(text: str | int) -> str:
    return quote(str(text), safe="")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetimes sent to AgentVault must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return value.isoformat()


def _secret_fields(
    *,
    type: TypeLike | None,
    tier: TierLike | None,
    description: str | None | Unset,
    tags: Mapping[str, str] | None,
    expires_at: datetime | None | Unset,
    expires_in_days: int | None,
) -> dict[str, object]:
    body: dict[str, object] = {}
    if type is not None:
        body["type"] = str(type)
    if tier is not None:
        body["tier"] = str(tier)
    if not isinstance(description, Unset):
        body["description"] = description
    if tags is not None:
        body["tags"] = dict(tags)
    if not isinstance(expires_at, Unset):
        body["expires_at"] = _iso(expires_at)
    if expires_in_days is not None:
        body["expires_in_days"] = expires_in_days
    return body


class AgentVault:
    """Async client for an AgentVault server.

    ``agent_key`` defaults to ``$ASS_AGENT_KEY`` (an ``ass_live_...`` key or an ``ast_tok_...``
    token); ``base_url`` to ``$AGENTVAULT_URL`` or ``http://127.0.0.1:8787/v1`` (the API root,
    mount point included). ``timeout`` is per attempt, in seconds; ``retries`` is how many times a
    call is retried after a 429, a 5xx or a network error. Keyword-only extras: ``retry_delay``
    (first backoff in seconds, doubled per retry, with jitter; a ``Retry-After`` wins),
    ``transport`` (an ``httpx`` transport, e.g. ``httpx.MockTransport`` in tests) and ``sleep``
    (what waits between retries and polls; ``asyncio.sleep`` by default).
    """

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
        self.base_url: str = base_url or os.environ.get("AGENTVAULT_URL") or DEFAULT_BASE_URL
        self.timeout = timeout
        self.retries = retries
        self._sleep: Sleep = sleep or asyncio.sleep
        self._http = Transport(
            base_url=self.base_url,
            credential=agent_key if agent_key is not None else os.environ.get("ASS_AGENT_KEY"),
            timeout=timeout,
            retries=retries,
            retry_delay=retry_delay,
            user_agent=f"agentvault-python/{__version__}",
            transport=transport,
            sleep=self._sleep,
            now=time,
        )

    def __repr__(self) -> str:
        return f"AgentVault(base_url={self.base_url!r})"

    async def __aenter__(self) -> AgentVault:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        await self._http.aclose()

    # ── Secrets ────────────────────────────────────────────────────────────

    async def get_secret(self, path: str, *, version: int | str | None = None, token: str | None = None) -> Secret:
        """Read a secret: the current version, or ``version`` (``2`` or ``"v2"``)."""
        _, body = await self._http.send(
            "GET", f"/secrets/{_segment(path)}", query={"version": None if version is None else str(version)}, token=token
        )
        return _wire.to_secret(body)

    async def set_secret(
        self,
        path: str,
        value: str,
        *,
        type: TypeLike | None = None,
        tier: TierLike | None = None,
        description: str | None | Unset = UNSET,
        tags: Mapping[str, str] | None = None,
        expires_at: datetime | None | Unset = UNSET,
        expires_in_days: int | None = None,
        expected_version: int | None = None,
        token: str | None = None,
    ) -> SecretMetadata:
        """Create the secret, or append a version when it exists. With ``expected_version`` it
        only updates, and only if that is still the current version (check-and-set)."""

        async def update() -> SecretMetadata:
            return await self.update_secret(
                path,
                value,
                type=type,
                tier=tier,
                description=description,
                tags=tags,
                expires_at=expires_at,
                expires_in_days=expires_in_days,
                expected_version=expected_version,
                token=token,
            )

        if expected_version is not None:
            return await update()
        try:
            return await update()
        except AgentVaultNotFoundError:
            pass
        try:
            return await self.create_secret(
                path,
                value,
                type=type,
                tier=tier,
                description=None if isinstance(description, Unset) else description,
                tags=tags,
                expires_at=None if isinstance(expires_at, Unset) else expires_at,
                expires_in_days=expires_in_days,
                token=token,
            )
        except AgentVaultConflictError:
            # Created by someone else in between (or in the trash, which the update will report).
            return await update()

    async def create_secret(
        self,
        path: str,
        value: str,
        *,
        type: TypeLike | None = None,
        tier: TierLike | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        expires_at: datetime | None = None,
        expires_in_days: int | None = None,
        token: str | None = None,
    ) -> SecretMetadata:
        """Create a secret at version 1; ``AgentVaultConflictError`` if the path exists or is in the trash."""
        body: dict[str, object] = {
            "path": path,
            "value": value,
            **_secret_fields(
                type=type,
                tier=tier,
                description=UNSET if description is None else description,
                tags=tags,
                expires_at=UNSET if expires_at is None else expires_at,
                expires_in_days=expires_in_days,
            ),
        }
        _, answer = await self._http.send("POST", "/secrets", body=body, token=token, sensitive=(value,))
        return _wire.to_metadata(answer)

    async def update_secret(
        self,
        path: str,
        value: str | None = None,
        *,
        type: TypeLike | None = None,
        tier: TierLike | None = None,
        description: str | None | Unset = UNSET,
        tags: Mapping[str, str] | None = None,
        expires_at: datetime | None | Unset = UNSET,
        expires_in_days: int | None = None,
        expected_version: int | None = None,
        token: str | None = None,
    ) -> SecretMetadata:
        """Update a secret: a ``value`` appends a version; metadata alone does not. Fields left out
        stay as they are; ``description=None`` and ``expires_at=None`` clear them."""
        body = _secret_fields(
            type=type, tier=tier, description=description, tags=tags, expires_at=expires_at, expires_in_days=expires_in_days
        )
        if value is not None:
            body["value"] = value
        if expected_version is not None:
            body["expected_version"] = expected_version
        _, answer = await self._http.send(
            "PUT", f"/secrets/{_segment(path)}", body=body, token=token, sensitive=() if value is None else (value,)
        )
        return _wire.to_metadata(answer)

    async def list_secrets(
        self,
        namespace: str = "",
        *,
        limit: int | None = None,
        cursor: str | None = None,
        tier: TierLike | Sequence[TierLike] | None = None,
        type: TypeLike | Sequence[TypeLike] | None = None,
        trashed: bool | None = None,
        token: str | None = None,
    ) -> SecretPage:
        """One page of metadata under ``namespace`` (a path prefix on a segment boundary; ``""`` = all).
        ``limit`` defaults to 50 on the server (at most 200); pass ``next_cursor`` back for more."""
        query: dict[str, QueryValue] = {
            "namespace": namespace or None,
            "limit": limit,
            "cursor": cursor,
            "tier": _many(tier),
            "type": _many(type),
            "trashed": trashed,
        }
        _, body = await self._http.send("GET", "/secrets", query=query, token=token)
        return _wire.to_secret_page(body)

    async def list_versions(self, path: str, *, token: str | None = None) -> list[SecretVersion]:
        """Every version of a secret, oldest first (no values)."""
        _, body = await self._http.send("GET", f"/secrets/{_segment(path)}/versions", token=token)
        return _wire.to_versions(body)

    async def rollback_secret(
        self, path: str, version: int | str, *, expected_version: int | None = None, token: str | None = None
    ) -> SecretMetadata:
        """Make an earlier version (``2`` or ``"v2"``) current again, without re-encrypting it."""
        body: dict[str, object] = {"version": version}
        if expected_version is not None:
            body["expected_version"] = expected_version
        _, answer = await self._http.send("POST", f"/secrets/{_segment(path)}/rollback", body=body, token=token)
        return _wire.to_metadata(answer)

    async def rotate_secret(
        self,
        path: str,
        new_value: str,
        *,
        grace_period_seconds: int | None = None,
        expected_version: int | None = None,
        token: str | None = None,
    ) -> RotateResult:
        """Make ``new_value`` current; the old version stays readable by number for the grace period."""
        body: dict[str, object] = {"new_value": new_value}
        if grace_period_seconds is not None:
            body["grace_period_seconds"] = grace_period_seconds
        if expected_version is not None:
            body["expected_version"] = expected_version
        _, answer = await self._http.send(
            "POST", f"/secrets/{_segment(path)}/rotate", body=body, token=token, sensitive=(new_value,)
        )
        return _wire.to_rotate_result(answer)

    async def delete_secret(self, path: str, *, permanent: bool = False, token: str | None = None) -> None:
        """Move a secret to the trash (recoverable with ``restore_secret``), or destroy it with ``permanent=True``."""
        await self._http.send(
            "DELETE", f"/secrets/{_segment(path)}", query={"permanent": True if permanent else None}, token=token
        )

    async def restore_secret(self, path: str, *, token: str | None = None) -> SecretMetadata:
        """Bring a secret back from the trash."""
        _, body = await self._http.send("POST", f"/secrets/{_segment(path)}/restore", body={}, token=token)
        return _wire.to_metadata(body)

    # ── Tokens and approvals ───────────────────────────────────────────────

    async def request_token(
        self,
        scope: str,
        ttl_seconds: int | None = None,
        description: str | None = None,
        allowed_ips: Sequence[str] | None = None,
        max_uses: int | None = None,
        *,
        waive_approval: bool | None = None,
        token: str | None = None,
    ) -> ScopedToken:
        """Ask for a scoped token. Standard secrets: issued at once (``approval_status == "approved"``,
        ``value`` set). Sensitive or critical: ``"pending"`` with ``approval_request_id`` to pass to
        ``wait_for_approval``. ``ttl_seconds`` defaults to 3600 on the server; ``max_uses=None`` is unlimited."""
        body: dict[str, object] = {"scope": scope}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        if description is not None:
            body["description"] = description
        if allowed_ips is not None:
            body["allowed_ips"] = list(allowed_ips)
        if max_uses is not None:
            body["max_uses"] = max_uses
        if waive_approval is not None:
            body["waive_approval"] = waive_approval
        _, answer = await self._http.send("POST", "/tokens", body=body, token=token)
        return _wire.to_token(answer)

    async def revoke_token(self, token_id: str, *, token: str | None = None) -> TokenInfo:
        """Revoke a token (by its ``tok_...`` id) and every token minted from it."""
        _, body = await self._http.send("DELETE", f"/tokens/{_segment(token_id)}", token=token)
        return _wire.to_token_info(body)

    async def get_approval(self, approval_request_id: str, *, token: str | None = None) -> Approval:
        """Look at an approval request. The requester's first look after approval carries the token (once)."""
        _, body = await self._http.send("GET", f"/approvals/{_segment(approval_request_id)}", token=token)
        return _wire.to_approval(body)

    async def list_approvals(
        self,
        *,
        status: Literal["pending", "approved", "denied", "expired"] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        token: str | None = None,
    ) -> ApprovalPage:
        """Approval requests (approvers and admins)."""
        query: dict[str, QueryValue] = {"status": status, "limit": limit, "cursor": cursor}
        _, body = await self._http.send("GET", "/approvals", query=query, token=token)
        return _wire.to_approval_page(body)

    async def approve(self, approval_request_id: str, comment: str | None = None, *, token: str | None = None) -> Approval:
        """Approve a request (approver role; never your own). The token goes to the requester, not to you."""
        body = {} if comment is None else {"comment": comment}
        _, answer = await self._http.send("POST", f"/approvals/{_segment(approval_request_id)}/approve", body=body, token=token)
        return _wire.to_approval(answer)

    async def deny(self, approval_request_id: str, reason: str | None = None, *, token: str | None = None) -> Approval:
        """Deny a request (approver role)."""
        body = {} if reason is None else {"reason": reason}
        _, answer = await self._http.send("POST", f"/approvals/{_segment(approval_request_id)}/deny", body=body, token=token)
        return _wire.to_approval(answer)

    async def wait_for_approval(
        self,
        approval_request_id: str,
        *,
        timeout: float = 300.0,
        poll_interval: float = 1.0,
        max_poll_interval: float = 10.0,
        token: str | None = None,
    ) -> ScopedToken:
        """Poll an approval request until a human decides it; return the minted token.

        The server hands the token over once: a second wait on the same request raises
        ``AgentVaultConflictError``. A denial raises ``AgentVaultPermissionError``, an expired
        request ``AgentVaultGoneError``, and no decision within ``timeout`` seconds
        ``AgentVaultApprovalPendingError``. Polls start ``poll_interval`` apart and grow 1.5x up to
        ``max_poll_interval``.
        """
        deadline = monotonic() + timeout
        interval = poll_interval
        while True:
            approval = await self.get_approval(approval_request_id, token=token)
            if approval.token is not None:
                return approval.token
            if approval.status == "denied":
                raise AgentVaultPermissionError(f"Approval request {approval_request_id} was denied")
            if approval.status == "expired":
                raise AgentVaultGoneError(f"Approval request {approval_request_id} expired undecided")
            if approval.status == "approved":
                raise AgentVaultConflictError(f"The token of approval request {approval_request_id} was already collected")
            left = deadline - monotonic()
            if left <= 0:
                raise AgentVaultApprovalPendingError(
                    f"Approval request {approval_request_id} is still pending", approval_request_id=approval_request_id
                )
            await self._sleep(min(interval, left))
            interval = min(max_poll_interval, interval * 1.5)

    # ── Import and audit ───────────────────────────────────────────────────

    async def import_env(
        self,
        path: str | os.PathLike[str],
        namespace: str | None = None,
        tier_map: Mapping[str, TierLike] | None = None,
        dry_run: bool = False,
        overwrite: bool = False,
        *,
        tier: TierLike | None = None,
        type: TypeLike | None = None,
        token: str | None = None,
    ) -> ImportResult:
        """Import the ``.env`` file at ``path``: ``KEY`` lands at ``<namespace>/KEY``. ``tier_map``
        gives tiers by key prefix (``{"DB_": "critical"}``; the longest prefix wins), ``tier`` the
        rest. Existing secrets are skipped unless ``overwrite``; ``dry_run`` only reports. A malformed
        file imports nothing."""
        text = Path(path).read_text(encoding="utf-8")
        body: dict[str, object] = {"env": text, "dry_run": dry_run, "overwrite": overwrite}
        if namespace is not None:
            body["namespace"] = namespace
        if tier_map is not None:
            body["tier_by_prefix"] = {prefix: str(t) for prefix, t in tier_map.items()}
        if tier is not None:
            body["tier"] = str(tier)
        if type is not None:
            body["type"] = str(type)
        _, answer = await self._http.send("POST", "/import", body=body, token=token, sensitive=_env_values(text))
        return _wire.to_import_result(answer)

    async def query_audit(
        self,
        *,
        namespace: str | None = None,
        path: str | None = None,
        actor: str | None = None,
        type: str | Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        success: bool | None = None,
        order: Literal["asc", "desc"] | None = None,
        cursor: str | None = None,
        limit: int | None = None,
        token: str | None = None,
    ) -> AuditPage:
        """Audit events, newest first unless ``order="asc"``; ``limit`` defaults to 100 (at most 1000)."""
        query: dict[str, QueryValue] = {
            "namespace": namespace,
            "path": path,
            "actor": actor,
            "type": type,
            "since": _iso(since),
            "until": _iso(until),
            "success": success,
            "order": order,
            "cursor": cursor,
            "limit": limit,
        }
        _, body = await self._http.send("GET", "/audit", query=query, token=token)
        return _wire.to_audit_page(body)


def _many(value: str | Sequence[str] | None) -> str | list[str] | None:
    if value is None or isinstance(value, str):
        return None if value is None else str(value)
    return [str(v) for v in value]


def _env_values(text: str) -> tuple[str, ...]:
    """The values of a .env text, roughly: only to scrub them from any error message."""
    values = []
    for line in text.splitlines():
        _, sep, rest = line.partition("=")
        if sep and rest.strip():
            values.append(rest.strip().strip("'\""))
    return tuple(values)

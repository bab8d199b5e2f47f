"""What AgentVault calls return: dataclasses with parsed, timezone-aware datetimes.

A ``repr`` never shows a secret value or a token: ``Secret.value`` and ``ScopedToken.value`` print
as ``'***'``, so logging a result or an exception's locals cannot leak them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal


class SecretTier(StrEnum):
    """How much approval a token for the secret needs. Compares equal to its string value."""

    STANDARD = "standard"
    SENSITIVE = "sensitive"
    CRITICAL = "critical"


AccessTier = SecretTier
"""The same tiers under the name seed 003 uses (``AccessTier.CRITICAL``)."""


class SecretType(StrEnum):
    """What kind of credential a secret is: display, filtering and rotation routing, never access."""

    API_KEY = "api_key"
    OAUTH_TOKEN = "oauth_token"
    DB_CREDENTIAL = "db_credential"
    SSH_KEY = "ssh_key"
    PAYMENT_CREDENTIAL = "payment_credential"
    CUSTOM = "custom"


TierLike = SecretTier | Literal["standard", "sensitive", "critical"]
"""A tier argument: the enum or its string."""

TypeLike = SecretType | Literal["api_key", "oauth_token", "db_credential", "ssh_key", "payment_credential", "custom"]
"""A secret-type argument: the enum or its string."""

ApprovalStatus = Literal["approved", "pending", "denied", "expired"]

_HIDDEN = "***"


def _masked_repr(obj: Any, hidden: frozenset[str]) -> str:
    parts = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        shown = repr(_HIDDEN) if f.name in hidden and value is not None else repr(value)
        parts.append(f"{f.name}={shown}")
    return f"{type(obj).__name__}({', '.join(parts)})"


@dataclass(repr=False)
class Secret:
    """A secret's value at one version, with its metadata. ``value`` never appears in ``repr``."""

    path: str
    value: str
    version: int
    tier: SecretTier
    description: str | None
    tags: dict[str, str]
    created_at: datetime
    updated_at: datetime
    accessed_at: datetime
    expires_at: datetime | None
    type: SecretType = SecretType.CUSTOM
    latest_version: int | None = None
    """The current version (``version`` is the one served, older when read by number)."""
    created_by: str | None = None
    updated_by: str | None = None

    def __repr__(self) -> str:
        return _masked_repr(self, frozenset({"value"}))


@dataclass
class SecretMetadata:
    """Everything about a secret except its value (lists never carry values)."""

    path: str
    version: int
    tier: SecretTier
    description: str | None
    tags: dict[str, str]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    type: SecretType = SecretType.CUSTOM
    latest_version: int | None = None
    created_by: str | None = None
    updated_by: str | None = None
    accessed_at: datetime | None = None
    trashed_at: datetime | None = None
    purge_at: datetime | None = None


@dataclass
class SecretPage:
    """One page of ``list_secrets``: pass ``next_cursor`` back for the next (``None`` on the last)."""

    items: list[SecretMetadata]
    next_cursor: str | None
    total: int


@dataclass
class SecretVersion:
    """One immutable version of a secret (no value)."""

    version: int
    created_at: datetime
    is_active: bool
    created_by: str | None = None
    retires_at: datetime | None = None
    """When a rotated-out version stops being readable by number."""
    key_id: str | None = None


@dataclass
class RotateResult:
    path: str
    old_version: int
    new_version: int
    old_expires_at: datetime

    @property
    def expires_at(self) -> datetime:
        """When the old version stops being readable (the seed's name for ``old_expires_at``)."""
        return self.old_expires_at


@dataclass(repr=False)
class ScopedToken:
    """A token request's outcome. When approved, ``value`` is the ``ast_tok_...`` credential (shown
    once by the server, never in ``repr``); when pending, ``value`` and ``expires_at`` are ``None`` and
    ``approval_request_id`` is the ``apr_...`` id to pass to ``wait_for_approval``."""

    value: str | None
    scope: str
    ttl_seconds: int
    expires_at: datetime | None
    description: str | None
    allowed_ips: list[str] | None
    max_uses: int | None
    uses_remaining: int | None
    approval_status: Literal["approved", "pending"]
    approval_request_id: str | None
    id: str | None = None
    approved_tier: SecretTier | None = None
    approve_url: str | None = None
    message: str | None = None

    def __repr__(self) -> str:
        return _masked_repr(self, frozenset({"value"}))


@dataclass
class TokenInfo:
    """A token as administration sees it (never its value)."""

    id: str
    scope: str
    approved_tier: SecretTier
    description: str | None
    allowed_ips: list[str] | None
    max_uses: int | None
    uses_remaining: int | None
    created_at: datetime
    expires_at: datetime
    issued_by: str
    parent_id: str | None
    approval_request_id: str | None
    revoked_at: datetime | None


@dataclass
class ApprovalDecision:
    decision: Literal["approve", "deny"]
    by: str
    note: str | None
    at: datetime


@dataclass
class Approval:
    """An approval request. ``token`` is set only in the requester's first look after approval."""

    id: str
    status: ApprovalStatus
    requested_by: str
    requester_description: str | None
    scope: str
    tier: SecretTier
    ttl_seconds: int
    description: str | None
    allowed_ips: list[str] | None
    max_uses: int | None
    required_approvals: int
    decisions: list[ApprovalDecision]
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    claimed_at: datetime | None
    token_id: str | None
    token: ScopedToken | None

    @property
    def approval_request_id(self) -> str:
        return self.id

    @property
    def approval_status(self) -> ApprovalStatus:
        return self.status


@dataclass
class ApprovalPage:
    items: list[Approval]
    next_cursor: str | None


@dataclass
class AuditEvent:
    """One audited operation, success or refusal. ``actor`` names a principal by id, never by credential."""

    id: str
    type: str
    path: str | None
    actor: str
    actor_description: str | None
    ip: str | None
    user_agent: str | None
    timestamp: datetime
    success: bool
    error: str | None = None
    version: int | None = None
    details: dict[str, str | int | float | bool | None] = field(default_factory=dict)
    chain: int | None = None
    seq: int | None = None
    hash: str | None = None


@dataclass
class AuditPage:
    events: list[AuditEvent]
    next_cursor: str | None


@dataclass
class ImportedSecret:
    """One line of an imported ``.env`` file (never its value)."""

    path: str
    tier: SecretTier
    line: int
    status: Literal["created", "updated", "skipped"]
    reason: str | None = None
    """Why it was skipped: ``exists`` (pass ``overwrite=True``) or ``trashed``."""


@dataclass
class ImportResult:
    """``created``, ``updated`` and ``skipped`` are counts; ``secrets`` lists the created and updated
    ones in file order (with ``dry_run``, what would be), ``skipped_secrets`` the rest. Every ``tier``
    is the stored one: a skipped secret reports the tier it already has, not the one asked for."""

    created: int
    updated: int
    skipped: int
    dry_run: bool
    secrets: list[ImportedSecret]
    skipped_secrets: list[ImportedSecret]


__all__ = [
    "AccessTier",
    "Approval",
    "ApprovalDecision",
    "ApprovalPage",
    "ApprovalStatus",
    "AuditEvent",
    "AuditPage",
    "ImportResult",
    "ImportedSecret",
    "RotateResult",
    "ScopedToken",
    "Secret",
    "SecretMetadata",
    "SecretPage",
    "SecretTier",
    "SecretType",
    "SecretVersion",
    "TierLike",
    "TokenInfo",
    "TypeLike",
]

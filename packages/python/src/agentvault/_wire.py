"""Wire (snake_case JSON) to models. Unknown fields are ignored, so a newer server stays readable;
a field of the wrong type raises ``AgentVaultError`` naming the field, never its content."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal, cast

from .exceptions import AgentVaultError
from .models import (
    Approval,
    ApprovalDecision,
    ApprovalPage,
    AuditEvent,
    AuditPage,
    ImportedSecret,
    ImportResult,
    RotateResult,
    ScopedToken,
    Secret,
    SecretMetadata,
    SecretPage,
    SecretTier,
    SecretType,
    SecretVersion,
    TokenInfo,
)

_MISSING = object()


def parse_time(text: str) -> datetime:
    """ISO-8601 to an aware datetime (a time without offset is taken as UTC)."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


class _Fields:
    """Typed reads of one JSON object; ``what`` names it in errors."""

    def __init__(self, data: object, what: str) -> None:
        if not isinstance(data, dict):
            raise _bad(what, "(body)")
        self._data = cast("dict[str, Any]", data)
        self._what = what

    def _get(self, key: str, default: object = _MISSING) -> Any:
        if key in self._data:
            return self._data[key]
        if default is _MISSING:
            raise _bad(self._what, key)
        return default

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise _bad(self._what, key)
        return value

    def opt_str(self, key: str) -> str | None:
        value = self._get(key, None)
        if value is not None and not isinstance(value, str):
            raise _bad(self._what, key)
        return value

    def integer(self, key: str) -> int:
        value = self._get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _bad(self._what, key)
        return value

    def opt_int(self, key: str) -> int | None:
        value = self._get(key, None)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise _bad(self._what, key)
        return value

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise _bad(self._what, key)
        return value

    def time(self, key: str) -> datetime:
        try:
            return parse_time(self.text(key))
        except ValueError:
            raise _bad(self._what, key) from None

    def opt_time(self, key: str) -> datetime | None:
        return None if self._get(key, None) is None else self.time(key)

    def str_map(self, key: str) -> dict[str, str]:
        value = self._get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise _bad(self._what, key)
        return dict(value)

    def opt_str_list(self, key: str) -> list[str] | None:
        value = self._get(key, None)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(self._what, key)
        return list(value)

    def array(self, key: str) -> list[object]:
        value = self._get(key)
        if not isinstance(value, list):
            raise _bad(self._what, key)
        return value

    def tier(self, key: str) -> SecretTier:
        try:
            return SecretTier(self.text(key))
        except ValueError:
            raise _bad(self._what, key) from None

    def opt_tier(self, key: str) -> SecretTier | None:
        return None if self._get(key, None) is None else self.tier(key)

    def secret_type(self, key: str) -> SecretType:
        try:
            return SecretType(self._get(key, "custom"))
        except ValueError:
            raise _bad(self._what, key) from None

    def raw(self, key: str) -> object:
        return self._get(key, None)


def _bad(what: str, key: str) -> AgentVaultError:
    return AgentVaultError(f"Unexpected response from the server: {what} field {key!r} is missing or malformed")


def to_secret(data: object) -> Secret:
    f = _Fields(data, "secret")
    return Secret(
        path=f.text("path"),
        value=f.text("value"),
        version=f.integer("version"),
        tier=f.tier("tier"),
        description=f.opt_str("description"),
        tags=f.str_map("tags"),
        created_at=f.time("created_at"),
        updated_at=f.time("updated_at"),
        accessed_at=f.time("accessed_at"),
        expires_at=f.opt_time("expires_at"),
        type=f.secret_type("type"),
        latest_version=f.opt_int("latest_version"),
        created_by=f.opt_str("created_by"),
        updated_by=f.opt_str("updated_by"),
    )


def to_metadata(data: object) -> SecretMetadata:
    f = _Fields(data, "secret metadata")
    return SecretMetadata(
        path=f.text("path"),
        version=f.integer("version"),
        tier=f.tier("tier"),
        description=f.opt_str("description"),
        tags=f.str_map("tags"),
        created_at=f.time("created_at"),
        updated_at=f.time("updated_at"),
        expires_at=f.opt_time("expires_at"),
        type=f.secret_type("type"),
        latest_version=f.opt_int("latest_version"),
        created_by=f.opt_str("created_by"),
        updated_by=f.opt_str("updated_by"),
        accessed_at=f.opt_time("accessed_at"),
        trashed_at=f.opt_time("trashed_at"),
        purge_at=f.opt_time("purge_at"),
    )


def to_secret_page(data: object) -> SecretPage:
    f = _Fields(data, "secret list")
    items = [to_metadata(item) for item in f.array("items")]
    total = f.opt_int("total")
    return SecretPage(items=items, next_cursor=f.opt_str("next_cursor"), total=len(items) if total is None else total)


def to_versions(data: object) -> list[SecretVersion]:
    versions = []
    for item in _Fields(data, "version list").array("versions"):
        f = _Fields(item, "version")
        versions.append(
            SecretVersion(
                version=f.integer("version"),
                created_at=f.time("created_at"),
                is_active=f.flag("is_active"),
                created_by=f.opt_str("created_by"),
                retires_at=f.opt_time("retires_at"),
                key_id=f.opt_str("key_id"),
            )
        )
    return versions


def to_rotate_result(data: object) -> RotateResult:
    f = _Fields(data, "rotation")
    return RotateResult(
        path=f.text("path"),
        old_version=f.integer("old_version"),
        new_version=f.integer("new_version"),
        old_expires_at=f.time("old_expires_at"),
    )


def to_token(data: object) -> ScopedToken:
    f = _Fields(data, "token")
    status = f.text("approval_status")
    if status not in ("approved", "pending"):
        raise _bad("token", "approval_status")
    return ScopedToken(
        value=f.opt_str("value"),
        scope=f.text("scope"),
        ttl_seconds=f.integer("ttl_seconds"),
        expires_at=f.opt_time("expires_at"),
        description=f.opt_str("description"),
        allowed_ips=f.opt_str_list("allowed_ips"),
        max_uses=f.opt_int("max_uses"),
        uses_remaining=f.opt_int("uses_remaining"),
        approval_status=cast(Literal["approved", "pending"], status),
        approval_request_id=f.opt_str("approval_request_id"),
        id=f.opt_str("id"),
        approved_tier=f.opt_tier("approved_tier"),
        approve_url=f.opt_str("approve_url"),
        message=f.opt_str("message"),
    )


def to_token_info(data: object) -> TokenInfo:
    f = _Fields(data, "token info")
    return TokenInfo(
        id=f.text("id"),
        scope=f.text("scope"),
        approved_tier=f.tier("approved_tier"),
        description=f.opt_str("description"),
        allowed_ips=f.opt_str_list("allowed_ips"),
        max_uses=f.opt_int("max_uses"),
        uses_remaining=f.opt_int("uses_remaining"),
        created_at=f.time("created_at"),
        expires_at=f.time("expires_at"),
        issued_by=f.text("issued_by"),
        parent_id=f.opt_str("parent_id"),
        approval_request_id=f.opt_str("approval_request_id"),
        revoked_at=f.opt_time("revoked_at"),
    )


_APPROVAL_STATUSES = ("pending", "approved", "denied", "expired")


def to_approval(data: object) -> Approval:
    f = _Fields(data, "approval")
    status = f.text("status")
    if status not in _APPROVAL_STATUSES:
        raise _bad("approval", "status")
    decisions = []
    for item in f.array("decisions"):
        d = _Fields(item, "decision")
        decision = d.text("decision")
        if decision not in ("approve", "deny"):
            raise _bad("decision", "decision")
        decisions.append(
            ApprovalDecision(
                decision=cast(Literal["approve", "deny"], decision), by=d.text("by"), note=d.opt_str("note"), at=d.time("at")
            )
        )
    token = f.raw("token")
    return Approval(
        id=f.text("id"),
        status=cast(Literal["approved", "pending", "denied", "expired"], status),
        requested_by=f.text("requested_by"),
        requester_description=f.opt_str("requester_description"),
        scope=f.text("scope"),
        tier=f.tier("tier"),
        ttl_seconds=f.integer("ttl_seconds"),
        description=f.opt_str("description"),
        allowed_ips=f.opt_str_list("allowed_ips"),
        max_uses=f.opt_int("max_uses"),
        required_approvals=f.integer("required_approvals"),
        decisions=decisions,
        created_at=f.time("created_at"),
        expires_at=f.time("expires_at"),
        decided_at=f.opt_time("decided_at"),
        claimed_at=f.opt_time("claimed_at"),
        token_id=f.opt_str("token_id"),
        token=None if token is None else to_token(token),
    )


def to_approval_page(data: object) -> ApprovalPage:
    f = _Fields(data, "approval list")
    return ApprovalPage(items=[to_approval(item) for item in f.array("items")], next_cursor=f.opt_str("next_cursor"))


def _details(value: object) -> dict[str, str | int | float | bool | None]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if v is None or isinstance(v, (str, int, float, bool))}


def to_audit_page(data: object) -> AuditPage:
    f = _Fields(data, "audit page")
    events = []
    for item in f.array("events"):
        e = _Fields(item, "audit event")
        events.append(
            AuditEvent(
                id=e.text("id"),
                type=e.text("type"),
                path=e.opt_str("path"),
                actor=e.text("actor"),
                actor_description=e.opt_str("actor_description"),
                ip=e.opt_str("ip"),
                user_agent=e.opt_str("user_agent"),
                timestamp=e.time("timestamp"),
                success=e.flag("success"),
                error=e.opt_str("error"),
                version=e.opt_int("version"),
                details=_details(e.raw("details")),
                chain=e.opt_int("chain"),
                seq=e.opt_int("seq"),
                hash=e.opt_str("hash"),
            )
        )
    return AuditPage(events=events, next_cursor=f.opt_str("next_cursor"))


def to_import_result(data: object) -> ImportResult:
    f = _Fields(data, "import result")

    def lines(key: Literal["created", "updated", "skipped"]) -> list[ImportedSecret]:
        out = []
        for item in f.array(key):
            s = _Fields(item, "imported secret")
            out.append(
                ImportedSecret(path=s.text("path"), tier=s.tier("tier"), line=s.integer("line"), status=key, reason=s.opt_str("reason"))
            )
        return out

    created, updated, skipped = lines("created"), lines("updated"), lines("skipped")
    # The server's `counts` when it sends them (older servers: the lengths of the lists).
    counts = _Fields(f.raw("counts") or {"created": len(created), "updated": len(updated), "skipped": len(skipped)}, "import counts")
    return ImportResult(
        created=counts.integer("created"),
        updated=counts.integer("updated"),
        skipped=counts.integer("skipped"),
        dry_run=f.flag("dry_run"),
        secrets=sorted(created + updated, key=lambda s: s.line),
        skipped_secrets=skipped,
    )

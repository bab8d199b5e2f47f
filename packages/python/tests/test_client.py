"""The rest of the surface against the real server: versions, rollback, check-and-set, trash,
tokens, import, audit, metadata updates, validation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from agentvault import (
    UNSET,
    AgentVault,
    AgentVaultAuthError,
    AgentVaultConflictError,
    AgentVaultGoneError,
    AgentVaultNotFoundError,
    AgentVaultPermissionError,
    AgentVaultValidationError,
    SecretTier,
    SecretType,
)
from conftest import Server


async def test_versions_rollback_and_reads_by_number(vault: AgentVault, prefix: str) -> None:
    path = f"{prefix}/openai/api-key"
    created = await vault.create_secret(path, "one", type=SecretType.API_KEY)
    assert (created.version, created.type, created.tier) == (1, "api_key", SecretTier.STANDARD)
    await vault.update_secret(path, "two")
    await vault.update_secret(path, "three")
    versions = await vault.list_versions(path)
    assert [(v.version, v.is_active) for v in versions] == [(1, False), (2, False), (3, True)]
    assert all(v.created_at.tzinfo is not None and v.key_id for v in versions)
    rolled = await vault.rollback_secret(path, 1)
    assert (rolled.version, rolled.latest_version) == (1, 3)
    assert (await vault.get_secret(path)).value == "one"
    assert (await vault.get_secret(path, version="v2")).value == "two"
    assert (await vault.get_secret(path, version=3)).value == "three"
    with pytest.raises(AgentVaultNotFoundError):
        await vault.get_secret(path, version=9)


async def test_check_and_set_refuses_a_stale_version(vault: AgentVault, prefix: str) -> None:
    path = f"{prefix}/cas"
    await vault.set_secret(path, "a")
    updated = await vault.set_secret(path, "b", expected_version=1)
    assert updated.version == 2
    with pytest.raises(AgentVaultConflictError):
        await vault.set_secret(path, "c", expected_version=1)
    with pytest.raises(AgentVaultConflictError):
        await vault.rotate_secret(path, "d", expected_version=1)
    with pytest.raises(AgentVaultConflictError):
        await vault.create_secret(path, "e")


async def test_metadata_updates_keep_or_clear_fields(vault: AgentVault, prefix: str) -> None:
    path = f"{prefix}/github/token"
    expiry = datetime.now(timezone.utc) + timedelta(days=10)
    await vault.create_secret(path, "ghp_1", tier="sensitive", description="deploy", tags={"team": "ci"}, expires_at=expiry)
    kept = await vault.update_secret(path, tags={"team": "platform"})
    assert (kept.version, kept.description, kept.tags, kept.tier) == (1, "deploy", {"team": "platform"}, "sensitive")
    assert kept.expires_at is not None and abs((kept.expires_at - expiry).total_seconds()) < 0.01
    cleared = await vault.update_secret(path, description=None, expires_at=None)
    assert (cleared.description, cleared.expires_at) == (None, None)
    untouched = await vault.update_secret(path, description=UNSET, tier="critical")
    assert (untouched.description, untouched.tier) == (None, SecretTier.CRITICAL)


async def test_naive_datetimes_are_refused_before_sending(vault: AgentVault, prefix: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await vault.set_secret(f"{prefix}/x", "v", expires_at=datetime(2030, 1, 1))


async def test_trash_restore_and_permanent_delete(vault: AgentVault, prefix: str) -> None:
    path = f"{prefix}/staging/test-key"
    await vault.set_secret(path, "v1")
    await vault.delete_secret(path)
    with pytest.raises(AgentVaultNotFoundError):
        await vault.get_secret(path)
    with pytest.raises(AgentVaultConflictError):
        await vault.create_secret(path, "again")  # a trashed path blocks re-creation
    trashed = await vault.list_secrets(prefix, trashed=True)
    assert [(s.path, s.trashed_at is not None) for s in trashed.items] == [(path, True)]
    restored = await vault.restore_secret(path)
    assert restored.trashed_at is None
    assert (await vault.get_secret(path)).value == "v1"
    await vault.delete_secret(path, permanent=True)
    with pytest.raises(AgentVaultNotFoundError):
        await vault.restore_secret(path)
    await vault.create_secret(path, "fresh")  # the path is free again
    assert (await vault.get_secret(path)).version == 1


async def test_rotation_grace_period_ends_with_gone(vault: AgentVault, prefix: str) -> None:
    path = f"{prefix}/rotate-now"
    await vault.set_secret(path, "old")
    result = await vault.rotate_secret(path, "new")  # no grace: the old version retires at once
    assert (result.old_version, result.new_version) == (1, 2)
    with pytest.raises(AgentVaultGoneError):
        await vault.get_secret(path, version=1)


async def test_list_filters_by_tier_and_type(vault: AgentVault, prefix: str) -> None:
    await vault.set_secret(f"{prefix}/a", "v", tier="critical", type="db_credential")
    await vault.set_secret(f"{prefix}/b", "v", tier="standard", type="api_key")
    await vault.set_secret(f"{prefix}/c", "v", tier="sensitive", type="api_key")
    by_tier = await vault.list_secrets(prefix, tier=["critical", "sensitive"])
    assert sorted(s.path for s in by_tier.items) == [f"{prefix}/a", f"{prefix}/c"]
    by_type = await vault.list_secrets(prefix, type=SecretType.API_KEY, limit=1)
    assert len(by_type.items) == 1 and by_type.next_cursor is not None and by_type.total == 2
    rest = await vault.list_secrets(prefix, type=SecretType.API_KEY, cursor=by_type.next_cursor)
    assert {by_type.items[0].path, *(s.path for s in rest.items)} == {f"{prefix}/b", f"{prefix}/c"}


async def test_tokens_are_scoped_and_revocable(vault: AgentVault, server: Server, prefix: str) -> None:
    await vault.set_secret(f"{prefix}/openai/key", "sk-1")
    await vault.set_secret(f"{prefix}/stripe/key", "sk-2")
    token = await vault.request_token(f"secrets:read:{prefix}/openai/*", ttl_seconds=120, max_uses=5, description="batch")
    assert token.value is not None and token.id is not None
    assert (token.ttl_seconds, token.max_uses, token.uses_remaining, token.description) == (120, 5, 5, "batch")
    assert (await vault.get_secret(f"{prefix}/openai/key", token=token.value)).value == "sk-1"
    with pytest.raises(AgentVaultPermissionError) as denied:
        await vault.get_secret(f"{prefix}/stripe/key", token=token.value)
    assert denied.value.required_scope == f"secrets:read:{prefix}/stripe/*"
    with pytest.raises(AgentVaultPermissionError):
        await vault.set_secret(f"{prefix}/openai/key", "overwrite", token=token.value)
    # A token used as the client's own credential works the same way.
    async with AgentVault(token.value, server.url) as agent:
        assert (await agent.get_secret(f"{prefix}/openai/key")).value == "sk-1"
    info = await vault.revoke_token(token.id)
    assert info.revoked_at is not None and info.uses_remaining == 3
    with pytest.raises(AgentVaultAuthError):
        await vault.get_secret(f"{prefix}/openai/key", token=token.value)


async def test_import_env_dry_run_overwrite_and_tiers(vault: AgentVault, prefix: str, tmp_path: Path) -> None:
    env = tmp_path / "app.env"
    env.write_text("DB_PASSWORD=hunter22\nSTRIPE_KEY=sk_live_1\nPLAIN=x\n")
    dry = await vault.import_env(env, prefix, {"DB_": "critical", "STRIPE_": SecretTier.SENSITIVE}, dry_run=True)
    assert (dry.dry_run, dry.created, dry.skipped) == (True, 3, 0)
    assert [(s.path, s.tier, s.line, s.status) for s in dry.secrets] == [
        (f"{prefix}/DB_PASSWORD", "critical", 1, "created"),
        (f"{prefix}/STRIPE_KEY", "sensitive", 2, "created"),
        (f"{prefix}/PLAIN", "standard", 3, "created"),
    ]
    assert (await vault.list_secrets(prefix)).items == []
    await vault.import_env(env, prefix, tier="sensitive")
    assert (await vault.get_secret(f"{prefix}/PLAIN")).tier == "sensitive"
    env.write_text("DB_PASSWORD=changed\n")
    skipped = await vault.import_env(env, prefix)
    assert (skipped.created, skipped.updated, skipped.skipped) == (0, 0, 1)
    assert skipped.skipped_secrets[0].reason == "exists"
    # A skipped secret reports its stored tier (sensitive), not the tier this import asked for (standard).
    assert (skipped.skipped_secrets[0].path, skipped.skipped_secrets[0].tier) == (f"{prefix}/DB_PASSWORD", "sensitive")
    overwritten = await vault.import_env(env, prefix, overwrite=True)
    assert (overwritten.updated, overwritten.secrets[0].status) == (1, "updated")
    assert (await vault.get_secret(f"{prefix}/DB_PASSWORD")).value == "changed"


async def test_audit_records_reads_by_this_client(vault: AgentVault, prefix: str) -> None:
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    await vault.set_secret(f"{prefix}/k", "v")
    await vault.get_secret(f"{prefix}/k")
    with pytest.raises(AgentVaultNotFoundError):
        await vault.get_secret(f"{prefix}/missing")
    page = await vault.query_audit(namespace=prefix, type="secret.read", since=since, order="asc")
    assert [(e.path, e.success, e.error) for e in page.events] == [(f"{prefix}/k", True, None), (f"{prefix}/missing", False, "not_found")]
    event = page.events[0]
    assert event.user_agent is not None and event.user_agent.startswith("agentvault-python/")
    assert event.actor.startswith("key:") and event.id.startswith("evt_") and event.timestamp.tzinfo is not None
    failures = await vault.query_audit(namespace=prefix, success=False, limit=10)
    # set_secret tries an update first: creating a new path leaves a refused secret.update too.
    assert [(e.type, e.path) for e in failures.events] == [("secret.read", f"{prefix}/missing"), ("secret.update", f"{prefix}/k")]


async def test_invalid_input_is_a_validation_error_with_issues(vault: AgentVault) -> None:
    with pytest.raises(AgentVaultValidationError) as raised:
        await vault.create_secret("bad/../path", "v")
    assert raised.value.status_code in (400, 422) and raised.value.issues
    with pytest.raises(AgentVaultValidationError):
        await vault.request_token("secrets:read:open*")  # partial-segment globs are refused


async def test_a_wrong_key_is_an_auth_error(server: Server) -> None:
    async with AgentVault("ass_live_" + "0" * 40, server.url) as stranger:
        with pytest.raises(AgentVaultAuthError):
            await stranger.list_secrets()

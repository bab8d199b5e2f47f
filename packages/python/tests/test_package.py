"""The distribution's metadata says what the code is: name, version, Python and httpx ranges, typed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import agentvault

ROOT = Path(__file__).resolve().parents[1]


def test_metadata_matches_the_code() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert (project["name"], project["version"]) == ("agentvault", agentvault.__version__)
    assert project["requires-python"] == ">=3.11"
    assert project["dependencies"] == ["httpx>=0.23"]
    assert (ROOT / "src" / "agentvault" / "py.typed").exists()


def test_the_seed_names_are_exported() -> None:
    from agentvault import exceptions, models

    for name in ("AgentVault", "SyncAgentVault", "SecretType", "AccessTier", "SecretTier"):
        assert hasattr(agentvault, name), name
    for name in ("Secret", "SecretMetadata", "ScopedToken", "SecretTier", "SecretType", "AccessTier"):
        assert hasattr(models, name), name
    for name in (
        "AgentVaultError", "AgentVaultAuthError", "AgentVaultPermissionError", "AgentVaultNotFoundError",
        "AgentVaultApprovalPendingError", "AgentVaultRateLimitError", "AgentVaultNetworkError",
        "AgentVaultGoneError", "AgentVaultConflictError",
    ):
        assert hasattr(exceptions, name), name
    critical: models.SecretTier = models.AccessTier.CRITICAL
    assert critical == "critical" and f"{models.SecretTier.SENSITIVE}" == "sensitive"

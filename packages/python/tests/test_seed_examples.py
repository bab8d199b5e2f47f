"""Every Python example of seeds 000 (quick start), 001 (Python SDK) and 003 (vault storage), run
against the real server. Each example's text is copied from its seed with one change: the import
name ``agentsecretstore`` is ``agentvault``. Seed 003's page lost its indentation when it was
captured; its examples are re-indented (nothing else changed). Where an example needs data, the
test creates it first; after it, the test checks what the example did on the server.
"""

from __future__ import annotations

import re
import sys
import textwrap
import types
from datetime import datetime, timedelta, timezone
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import pytest

from agentvault import (
    AgentVault,
    AgentVaultAuthError,
    SecretTier,
    SecretType,
    SyncAgentVault,
)
from agentvault import models
from conftest import Server, running_server
from examples import run_example, run_example_async


PACKAGE_DIR = Path(__file__).resolve().parents[1]


def admin(server: Server) -> SyncAgentVault:
    return SyncAgentVault(server.root_key, server.url)


# ── Seed 000: quick start ────────────────────────────────────────────────────

STORE_SECRET_PY = '''
import asyncio
from agentvault import AgentVault

async def main():
    vault = AgentVault()  # reads ASS_AGENT_KEY from environment

    await vault.set_secret(
        path="production/openai/api-key",
        value="sk-proj-abc123...",
        tier="sensitive",           # standard | sensitive | critical
        description="OpenAI key for production agent",
        tags={"team": "ml", "env": "production"},
    )
    print("Secret stored!")

asyncio.run(main())
'''

RETRIEVE_PY = '''
import asyncio
from agentvault import AgentVault

async def main():
    vault = AgentVault()

    secret = await vault.get_secret("production/openai/api-key")
    print(secret.value)       # "sk-proj-abc123..."
    print(secret.version)     # 1
    print(secret.accessed_at) # 2025-01-15T10:30:00Z (logged in audit trail)

asyncio.run(main())
'''

TOKEN_PY = '''
from agentvault import AgentVault

vault = AgentVault()

# Request a scoped token that only allows reading OpenAI keys
token = await vault.request_token(
    scope="secrets:read:production/openai/*",
    ttl_seconds=3600,          # 1-hour expiry
    description="Inference agent token",
)

# Share this token with your agent — NOT the master key
print(token.value)  # "ast_tok_..."
print(token.expires_at)
'''


def test_000_store_secret(empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str]) -> None:
    run_example(STORE_SECRET_PY)
    assert capsys.readouterr().out == "Secret stored!\n"
    with admin(empty_vault) as vault:
        secret = vault.get_secret("production/openai/api-key")
    assert (secret.value, secret.version, secret.tier) == ("sk-proj-abc123...", 1, SecretTier.SENSITIVE)
    assert secret.description == "OpenAI key for production agent"
    assert secret.tags == {"team": "ml", "env": "production"}


def test_000_retrieve(empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str]) -> None:
    run_example(STORE_SECRET_PY)
    capsys.readouterr()
    before = datetime.now(timezone.utc)
    run_example(RETRIEVE_PY)
    value, version, accessed_at = capsys.readouterr().out.splitlines()
    assert (value, version) == ("sk-proj-abc123...", "1")
    accessed = datetime.fromisoformat(accessed_at)
    assert accessed.tzinfo is not None and accessed >= before - timedelta(seconds=5)


async def test_000_token(empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str]) -> None:
    # A standard secret: the token is issued at once (a sensitive one would wait for approval).
    async with AgentVault() as vault:
        await vault.set_secret("production/openai/api-key", "sk-proj-abc123...", tier="standard")
    namespace = await run_example_async(TOKEN_PY)
    value, expires_at = capsys.readouterr().out.splitlines()
    assert value.startswith("ast_tok_")
    expires = datetime.fromisoformat(expires_at)
    assert timedelta(minutes=59) < expires - datetime.now(timezone.utc) <= timedelta(hours=1)
    await namespace["vault"].close()
    # The token reads OpenAI keys and nothing else.
    async with AgentVault() as vault:
        await vault.set_secret("production/stripe/api-key", "sk_live_x", tier="standard")
        assert (await vault.get_secret("production/openai/api-key", token=value)).value == "sk-proj-abc123..."
        with pytest.raises(models_permission_error()):
            await vault.get_secret("production/stripe/api-key", token=value)


async def test_000_token_for_a_sensitive_secret_waits_for_approval(
    empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    # In the quick start's order the key stored in step 3 is sensitive, so step 5's request is
    # pending (the seed: sensitive means "approval required"): value and expires_at print None.
    run_example_sync_in_thread(STORE_SECRET_PY)
    capsys.readouterr()
    namespace = await run_example_async(TOKEN_PY)
    assert capsys.readouterr().out == "None\nNone\n"
    token = namespace["token"]
    assert token.approval_status == "pending" and token.approval_request_id.startswith("apr_")
    await namespace["vault"].close()


def models_permission_error() -> type[Exception]:
    from agentvault.exceptions import AgentVaultPermissionError

    return AgentVaultPermissionError


def run_example_sync_in_thread(source: str) -> None:
    """``asyncio.run`` cannot run inside a running loop: run such an example on a thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(run_example, source).result()


# ── Seed 001: Python SDK ─────────────────────────────────────────────────────

SETUP_PY = '''
import asyncio
from agentvault import AgentVault

async def main():
    # Reads ASS_AGENT_KEY from environment automatically
    vault = AgentVault()

    # Or provide explicitly
    vault = AgentVault(
        agent_key="ass_live_your_key_here",
        base_url="https://api.agentsecretstore.com/v1",  # default
        timeout=10.0,   # seconds, default: 10
        retries=3,      # default: 3
    )

    await vault.close()  # clean up connections

asyncio.run(main())
'''

CONTEXT_MANAGER_PY = '''
import asyncio
from agentvault import AgentVault

async def main():
    # Recommended: use as async context manager
    async with AgentVault() as vault:
        secret = await vault.get_secret("production/openai/api-key")
        print(secret.value)
    # connections closed automatically

asyncio.run(main())
'''

SYNC_CLIENT_PY = '''
from agentvault import SyncAgentVault

# For non-async code (e.g., scripts, Django views, legacy code)
vault = SyncAgentVault()

secret = vault.get_secret("production/openai/api-key")
print(secret.value)

# All async methods have sync equivalents with identical signatures
vault.set_secret("staging/key", "value")
tokens = vault.list_secrets("production")
'''

GET_SECRET_PY = '''
from agentvault import AgentVault
from agentvault.models import Secret

async def example():
    async with AgentVault() as vault:
        # Basic retrieval
        secret: Secret = await vault.get_secret("production/openai/api-key")

        print(secret.value)        # str: "sk-proj-abc123..."
        print(secret.version)      # int: 1
        print(secret.path)         # str: "production/openai/api-key"
        print(secret.tier)         # Literal["standard","sensitive","critical"]
        print(secret.description)  # str | None
        print(secret.tags)         # dict[str, str]
        print(secret.created_at)   # datetime
        print(secret.updated_at)   # datetime
        print(secret.accessed_at)  # datetime
        print(secret.expires_at)   # datetime | None

        # Specific version
        secret_v1 = await vault.get_secret(
            "production/openai/api-key",
            version=1,
        )

        # Using a scoped token
        secret_with_token = await vault.get_secret(
            "production/openai/api-key",
            token="ast_tok_received_from_orchestrator",
        )
'''

SET_SECRET_PY = '''
from agentvault.models import SecretTier
from datetime import datetime, timezone, timedelta

async def example():
    async with AgentVault() as vault:
        # Full options
        await vault.set_secret(
            path="production/openai/api-key",
            value="sk-proj-abc123...",
            tier=SecretTier.SENSITIVE,       # or "sensitive"
            description="OpenAI production key for inference cluster",
            tags={"team": "ml", "env": "prod", "rotated_by": "ci"},
            expires_at=datetime.now(timezone.utc) + timedelta(days=365),
        )

        # Minimal — just path + value
        await vault.set_secret("staging/feature-flag", "true")
'''

LIST_SECRETS_PY = '''
from agentvault.models import SecretMetadata

async def example():
    async with AgentVault() as vault:
        # List all secrets in a namespace prefix
        result = await vault.list_secrets(
            namespace="production/openai",
            limit=50,       # default: 50, max: 200
            cursor=None,    # for pagination
        )

        items: list[SecretMetadata] = result.items
        for item in items:
            print(f"{item.path}  v{item.version}  [{item.tier}]")

        # Paginate
        while result.next_cursor:
            result = await vault.list_secrets(
                "production/openai",
                cursor=result.next_cursor,
            )
            for item in result.items:
                print(item.path)
'''

REQUEST_TOKEN_PY = '''
from agentvault.models import ScopedToken

async def example():
    async with AgentVault() as vault:
        # Standard scoped token
        token: ScopedToken = await vault.request_token(
            scope="secrets:read:production/openai/*",
            ttl_seconds=3600,
            description="Inference agent token for batch run #4821",
            allowed_ips=["10.0.1.50"],   # Optional IP restriction
            max_uses=None,               # None = unlimited within TTL
        )

        print(token.value)               # "ast_tok_..."
        print(token.scope)               # "secrets:read:production/openai/*"
        print(token.expires_at)          # datetime
        print(token.approval_status)     # "approved" | "pending"

        # Single-use token
        one_time = await vault.request_token(
            scope="secrets:read:production/stripe/api-key",
            ttl_seconds=300,
            max_uses=1,
            description="Single payment processing run",
        )
'''

ROTATE_SECRET_PY = '''
async def example():
    async with AgentVault() as vault:
        result = await vault.rotate_secret(
            path="production/openai/api-key",
            new_value="sk-proj-rotated789...",
            grace_period_seconds=300,  # old version readable for 5 min
        )

        print(f"Rotated to version {result.new_version}")
        print(f"Old version {result.old_version} expires at {result.expires_at}")
'''

ERROR_HANDLING_PY = '''
import asyncio
from agentvault import AgentVault
from agentvault.exceptions import (
    AgentVaultError,
    AgentVaultAuthError,
    AgentVaultPermissionError,
    AgentVaultNotFoundError,
    AgentVaultRateLimitError,
    AgentVaultApprovalPendingError,
    AgentVaultNetworkError,
)

async def safe_get_secret(path: str) -> str | None:
    async with AgentVault() as vault:
        try:
            secret = await vault.get_secret(path)
            return secret.value

        except AgentVaultAuthError as e:
            # 401: Invalid or expired agent key / token
            print(f"Auth failed: {e}")
            return None

        except AgentVaultPermissionError as e:
            # 403: Token scope doesn't cover this path
            print(f"Permission denied: {e.path} — need {e.required_scope}")
            return None

        except AgentVaultNotFoundError as e:
            # 404: Secret doesn't exist
            print(f"Secret not found: {e.path}")
            return None

        except AgentVaultApprovalPendingError as e:
            # 202: Needs human approval
            print(f"Approval pending: {e.approval_request_id}")
            return None

        except AgentVaultRateLimitError as e:
            # 429: Too many requests
            print(f"Rate limited. Retry after {e.retry_after}s")
            return None

        except AgentVaultNetworkError as e:
            # Timeout or connectivity issue
            print(f"Network error: {e}")
            return None
'''

TYPES_PY = '''
from typing import Literal
from datetime import datetime
from dataclasses import dataclass

SecretTier = Literal["standard", "sensitive", "critical"]
ApprovalStatus = Literal["approved", "pending", "denied"]

@dataclass
class Secret:
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

@dataclass
class SecretMetadata:
    path: str
    version: int
    tier: SecretTier
    description: str | None
    tags: dict[str, str]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    # Note: no 'value' field

@dataclass
class ScopedToken:
    value: str
    scope: str
    ttl_seconds: int
    expires_at: datetime
    description: str | None
    allowed_ips: list[str] | None
    max_uses: int | None
    uses_remaining: int | None
    approval_status: ApprovalStatus
    approval_request_id: str | None
'''

AGENT_PY = '''
# Pattern: LangChain / CrewAI agent that fetches its own credentials

import asyncio
from agentvault import AgentVault
from openai import AsyncOpenAI

async def run_inference_agent(task: str, token: str) -> str:
    """
    Agent receives a scoped token from the orchestrator.
    Only reads the specific secrets its scope allows.
    """
    async with AgentVault() as vault:
        # Use scoped token — not the master key
        secret = await vault.get_secret(
            "production/openai/api-key",
            token=token,  # scoped: "secrets:read:production/openai/*"
        )

    # Use the secret and let it fall out of scope
    client = AsyncOpenAI(api_key=secret.value)
    response = await client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": task}],
    )
    return response.choices[0].message.content or ""
'''

# The SDK page's snippets after the first build on its earlier imports (``AgentVault``).
SDK_PAGE_IMPORTS = "from agentvault import AgentVault\n"


def test_001_setup(agent_env: Server) -> None:
    run_example(SETUP_PY)  # builds both clients (no request) and closes the second
    implicit = AgentVault()
    assert implicit.base_url == agent_env.url
    explicit = AgentVault(agent_key="ass_live_your_key_here", base_url="https://api.agentsecretstore.com/v1")
    assert (explicit.base_url, explicit.timeout, explicit.retries) == ("https://api.agentsecretstore.com/v1", 10.0, 3)


def test_001_context_manager(empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str]) -> None:
    with admin(empty_vault) as vault:
        vault.set_secret("production/openai/api-key", "sk-proj-abc123...")
    run_example(CONTEXT_MANAGER_PY)
    assert capsys.readouterr().out == "sk-proj-abc123...\n"


def test_001_sync_client(empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str]) -> None:
    with admin(empty_vault) as vault:
        vault.set_secret("production/openai/api-key", "sk-proj-abc123...")
        vault.set_secret("production/stripe/api-key", "sk_live_123")
    namespace = run_example(SYNC_CLIENT_PY)
    namespace["vault"].close()
    assert capsys.readouterr().out == "sk-proj-abc123...\n"
    assert sorted(item.path for item in namespace["tokens"].items) == [
        "production/openai/api-key",
        "production/stripe/api-key",
    ]
    with admin(empty_vault) as vault:
        assert vault.get_secret("staging/key").value == "value"


async def test_001_get_secret(empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str]) -> None:
    async with AgentVault() as vault:
        await vault.create_secret(
            "production/openai/api-key", "sk-proj-abc123...", tier="standard", description="OpenAI", tags={"team": "ml"}
        )
        await vault.update_secret("production/openai/api-key", "sk-proj-second...")
        real = await vault.request_token("secrets:read:production/openai/*", ttl_seconds=600)
    namespace = await run_example_async(GET_SECRET_PY)
    # As written, the last call passes the docs' placeholder token, which the server refuses.
    with pytest.raises(AgentVaultAuthError) as refused:
        await namespace["example"]()
    assert "ast_tok_received_from_orchestrator" not in str(refused.value)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:6] == ["sk-proj-second...", "2", "production/openai/api-key", "standard", "OpenAI", "{'team': 'ml'}"]
    for printed in lines[6:9]:
        assert datetime.fromisoformat(printed).tzinfo is not None
    assert lines[9] == "None"

    # With a real token from an orchestrator in the placeholder's place, every call succeeds.
    assert real.value is not None
    namespace = await run_example_async(GET_SECRET_PY.replace("ast_tok_received_from_orchestrator", real.value))
    await namespace["example"]()
    capsys.readouterr()


async def test_001_get_secret_reads_version_one(empty_vault: Server, agent_env: Server) -> None:
    async with AgentVault() as vault:
        await vault.set_secret("production/openai/api-key", "first")
        await vault.set_secret("production/openai/api-key", "second")
        assert (await vault.get_secret("production/openai/api-key", version=1)).value == "first"


async def test_001_set_secret(empty_vault: Server, agent_env: Server) -> None:
    namespace = await run_example_async(SDK_PAGE_IMPORTS + SET_SECRET_PY)
    await namespace["example"]()
    async with AgentVault() as vault:
        secret = await vault.get_secret("production/openai/api-key")
        assert (secret.value, secret.tier, secret.description) == (
            "sk-proj-abc123...",
            "sensitive",
            "OpenAI production key for inference cluster",
        )
        assert secret.tags == {"team": "ml", "env": "prod", "rotated_by": "ci"}
        assert secret.expires_at is not None
        assert timedelta(days=364) < secret.expires_at - datetime.now(timezone.utc) <= timedelta(days=365)
        flag = await vault.get_secret("staging/feature-flag")
        assert (flag.value, flag.tier, flag.expires_at) == ("true", "standard", None)


async def test_001_list_secrets_paginates(
    empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [f"production/openai/key-{i:03d}" for i in range(57)]
    async with AgentVault() as vault:
        for path in paths:
            await vault.set_secret(path, "v", tier="sensitive")
        await vault.set_secret("production/openai-evil/x", "v")
    namespace = await run_example_async(SDK_PAGE_IMPORTS + LIST_SECRETS_PY)
    await namespace["example"]()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 57
    first_page = [line for line in lines if "  v" in line]
    assert len(first_page) == 50
    assert all(re.fullmatch(r"production/openai/key-\d{3}  v1  \[sensitive\]", line) for line in first_page)
    listed = [line.split()[0] for line in lines]
    assert sorted(listed) == paths


async def test_001_request_token(empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str]) -> None:
    async with AgentVault() as vault:
        await vault.set_secret("production/openai/api-key", "sk-proj-abc123...", tier="standard")
        await vault.set_secret("production/stripe/api-key", "sk_live_123", tier="standard")
    namespace = await run_example_async(SDK_PAGE_IMPORTS + REQUEST_TOKEN_PY)
    await namespace["example"]()
    value, scope, expires_at, status = capsys.readouterr().out.splitlines()
    assert value.startswith("ast_tok_")
    assert (scope, status) == ("secrets:read:production/openai/*", "approved")
    assert datetime.fromisoformat(expires_at) > datetime.now(timezone.utc) + timedelta(minutes=59)
    async with AgentVault() as vault:
        # The standard token is bound to 10.0.1.50: this test's address is refused.
        with pytest.raises(models_permission_error()):
            await vault.get_secret("production/openai/api-key", token=value)


async def test_001_single_use_token(empty_vault: Server, agent_env: Server) -> None:
    async with AgentVault() as vault:
        await vault.set_secret("production/stripe/api-key", "sk_live_123", tier="standard")
        one_time = await vault.request_token(
            scope="secrets:read:production/stripe/api-key",
            ttl_seconds=300,
            max_uses=1,
            description="Single payment processing run",
        )
        assert one_time.value is not None and (one_time.max_uses, one_time.uses_remaining) == (1, 1)
        assert (await vault.get_secret("production/stripe/api-key", token=one_time.value)).value == "sk_live_123"
        with pytest.raises(AgentVaultAuthError):
            await vault.get_secret("production/stripe/api-key", token=one_time.value)


async def test_001_rotate_secret(empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str]) -> None:
    async with AgentVault() as vault:
        await vault.set_secret("production/openai/api-key", "sk-proj-abc123...")
    namespace = await run_example_async(SDK_PAGE_IMPORTS + ROTATE_SECRET_PY)
    before = datetime.now(timezone.utc)
    await namespace["example"]()
    rotated, old = capsys.readouterr().out.splitlines()
    assert rotated == "Rotated to version 2"
    match = re.fullmatch(r"Old version 1 expires at (.+)", old)
    assert match is not None
    retires = datetime.fromisoformat(match.group(1))
    assert timedelta(seconds=290) < retires - before <= timedelta(seconds=305)
    async with AgentVault() as vault:
        assert (await vault.get_secret("production/openai/api-key")).value == "sk-proj-rotated789..."
        assert (await vault.get_secret("production/openai/api-key", version=1)).value == "sk-proj-abc123..."


async def test_001_error_handling(
    empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = await run_example_async(ERROR_HANDLING_PY)
    safe_get_secret = namespace["safe_get_secret"]
    async with AgentVault() as vault:
        await vault.set_secret("production/openai/api-key", "sk-proj-abc123...")
        await vault.set_secret("production/stripe/api-key", "sk_live_123")
        scoped = await vault.request_token("secrets:read:production/openai/*")
    assert scoped.value is not None

    assert await safe_get_secret("production/openai/api-key") == "sk-proj-abc123..."
    assert capsys.readouterr().out == ""

    assert await safe_get_secret("production/missing/key") is None
    assert capsys.readouterr().out == "Secret not found: production/missing/key\n"

    monkeypatch.setenv("ASS_AGENT_KEY", scoped.value)
    assert await safe_get_secret("production/stripe/api-key") is None
    assert capsys.readouterr().out == (
        "Permission denied: production/stripe/api-key — need secrets:read:production/stripe/*\n"
    )

    wrong_key = "ass_live_" + "x" * 40
    monkeypatch.setenv("ASS_AGENT_KEY", wrong_key)
    assert await safe_get_secret("production/openai/api-key") is None
    out = capsys.readouterr().out
    assert out.startswith("Auth failed: ") and wrong_key not in out

    monkeypatch.setenv("ASS_AGENT_KEY", agent_env.root_key)
    monkeypatch.setenv("AGENTVAULT_URL", "http://127.0.0.1:9/v1")  # nothing listens on the discard port
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("agentvault._client.asyncio.sleep", record)  # the example's own client retries
    assert await safe_get_secret("production/openai/api-key") is None
    assert capsys.readouterr().out == "Network error: Could not reach http://127.0.0.1:9/v1 (ConnectError)\n"
    assert len(slept) == 3 and 0.375 <= slept[0] < slept[1] < slept[2] <= 2.0


@pytest.fixture(scope="module")
def rate_limited_server() -> Iterator[Server]:
    with running_server(AGENTVAULT_RATE_LIMIT="2") as started:
        yield started


async def test_001_error_handling_rate_limited(
    rate_limited_server: Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The example builds its own client, so its retries sleep with asyncio.sleep: record instead.
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setenv("ASS_AGENT_KEY", rate_limited_server.root_key)
    monkeypatch.setenv("AGENTVAULT_URL", rate_limited_server.url)
    async with AgentVault() as vault:
        await vault.set_secret("production/openai/api-key", "sk-proj-abc123...")  # two requests: the budget
    namespace = await run_example_async(ERROR_HANDLING_PY)
    monkeypatch.setattr("agentvault._client.asyncio.sleep", record)
    assert await namespace["safe_get_secret"]("production/openai/api-key") is None
    match = re.fullmatch(r"Rate limited\. Retry after (\d+(?:\.\d+)?)s\n", capsys.readouterr().out)
    assert match is not None
    retry_after = float(match.group(1))
    assert 1 <= retry_after <= 60
    # Each retry waited what that answer's Retry-After said (the window may tick by a second).
    assert len(slept) == 3 and all(retry_after <= waited <= retry_after + 1 for waited in slept)


def test_001_type_reference_fields_exist_in_models() -> None:
    seed = run_example(TYPES_PY)
    for name in ("Secret", "SecretMetadata", "ScopedToken"):
        seed_fields = seed[name].__annotations__
        ours = getattr(models, name).__annotations__
        missing = [field for field in seed_fields if field not in ours]
        assert missing == [], f"{name} lacks {missing}"
    assert {tier.value for tier in SecretTier} == set(seed["SecretTier"].__args__)
    assert set(seed["ApprovalStatus"].__args__) <= set(models.ApprovalStatus.__args__)  # type: ignore[attr-defined]


async def test_001_agent_pattern(
    empty_vault: Server, agent_env: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `openai` is not installed here: a stand-in module records the key the agent hands it.
    handed: list[str] = []

    class AsyncOpenAI:
        def __init__(self, api_key: str) -> None:
            handed.append(api_key)
            self.chat = types.SimpleNamespace(completions=types.SimpleNamespace(create=self._create))

        async def _create(self, model: str, messages: list[dict[str, str]]) -> Any:
            message = types.SimpleNamespace(content=f"{model} answered: {messages[-1]['content']}")
            return types.SimpleNamespace(choices=[types.SimpleNamespace(message=message)])

    openai = types.ModuleType("openai")
    setattr(openai, "AsyncOpenAI", AsyncOpenAI)
    monkeypatch.setitem(sys.modules, "openai", openai)
    async with AgentVault() as vault:
        await vault.set_secret("production/openai/api-key", "sk-proj-abc123...")
        token = await vault.request_token("secrets:read:production/openai/*", ttl_seconds=600)
    assert token.value is not None
    monkeypatch.delenv("ASS_AGENT_KEY")  # the agent holds only its scoped token
    namespace = await run_example_async(AGENT_PY)
    answer = await namespace["run_inference_agent"]("Summarise the report", token.value)
    assert answer == "gpt-4o answered: Summarise the report"
    assert handed == ["sk-proj-abc123..."]


# ── Seed 003: vault storage ──────────────────────────────────────────────────

PROVISION_SECRETS_PY = '''
from agentvault import AgentVault, SecretType, AccessTier
async def provision_secrets():
    async with AgentVault() as vault:
        # API key — standard tier, auto-expires in 90 days
        await vault.create_secret(
            path="production/openai/api-key",
            value="sk-proj-...",
            type=SecretType.API_KEY,
            tier=AccessTier.STANDARD,
            tags={"service": "openai", "team": "ml-platform"},
            expires_in_days=90,
        )
        # Database credential — critical tier, requires approval
        await vault.create_secret(
            path="production/postgres/main",
            value="postgresql://user:pass@host:5432/db",
            type=SecretType.DB_CREDENTIAL,
            tier=AccessTier.CRITICAL,
            tags={"service": "postgres", "env": "production"},
            description="Main production PostgreSQL connection string",
        )
        # OAuth token — sensitive tier, expires naturally
        await vault.create_secret(
            path="production/github/oauth-token",
            value="ghp_xxxx...",
            type=SecretType.OAUTH_TOKEN,
            tier=AccessTier.SENSITIVE,
            tags={"provider": "github", "scopes": "repo,read:org"},
        )
'''

ROTATE_AND_ROLLBACK_PY = '''
from agentvault import AgentVault
async def rotate_and_rollback():
    async with AgentVault() as vault:
        # Get current version
        secret = await vault.get_secret("production/openai/api-key")
        print(f"Current version: {secret.version}") # e.g. v3
        # Update creates a new version automatically
        await vault.update_secret(
            path="production/openai/api-key",
            value="sk-proj-new-key...",
        )
        # List all versions
        versions = await vault.list_versions("production/openai/api-key")
        for v in versions:
            print(f" {v.version}: created {v.created_at}, active={v.is_active}")
        # Rollback to previous version
        await vault.rollback_secret(
            path="production/openai/api-key",
            version="v2", # Roll back to specific version
        )
        # Get a specific historical version
        old_secret = await vault.get_secret(
            path="production/openai/api-key",
            version="v1",
        )
'''

IMPORT_ENV_PY = '''
from agentvault import AgentVault
async def import_env_file(env_path: str, namespace: str):
    """Import a .env file into the vault under a namespace."""
    async with AgentVault() as vault:
        result = await vault.import_env(
            path=env_path,
            namespace=namespace,
            tier_map={
                "DB_": "critical",
                "STRIPE_": "sensitive",
                "OPENAI_": "standard",
            },
            dry_run=False,
        )
        print(f"Imported {result.created} secrets, skipped {result.skipped}")
        for secret in result.secrets:
            print(f" {secret.path} ({secret.tier})")
'''

EXPIRATION_PY = '''
from agentvault import AgentVault
from datetime import datetime, timezone, timedelta
async def set_expiration_policies():
    async with AgentVault() as vault:
        # Expire in 30 days
        await vault.update_secret(
            path="production/github/deploy-token",
            expires_at=datetime.now(timezone.utc) + timedelta(days=30),
        )
        # Expire at a specific date (e.g., OAuth token expiry)
        await vault.update_secret(
            path="production/google/refresh-token",
            expires_at=datetime(2025, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
        )
        # Clear expiration (make permanent)
        await vault.update_secret(
            path="production/stripe/restricted-key",
            expires_at=None,
        )
'''


async def test_003_provision_secrets(empty_vault: Server, agent_env: Server) -> None:
    namespace = await run_example_async(PROVISION_SECRETS_PY)
    await namespace["provision_secrets"]()
    async with AgentVault() as vault:
        page = await vault.list_secrets("production")
        found = {item.path: item for item in page.items}
        assert sorted(found) == ["production/github/oauth-token", "production/openai/api-key", "production/postgres/main"]
        openai = found["production/openai/api-key"]
        assert (openai.type, openai.tier, openai.tags) == (
            SecretType.API_KEY,
            SecretTier.STANDARD,
            {"service": "openai", "team": "ml-platform"},
        )
        assert openai.expires_at is not None
        assert timedelta(days=89, hours=23) < openai.expires_at - datetime.now(timezone.utc) <= timedelta(days=90)
        postgres = found["production/postgres/main"]
        assert (postgres.type, postgres.tier, postgres.description) == (
            SecretType.DB_CREDENTIAL,
            SecretTier.CRITICAL,
            "Main production PostgreSQL connection string",
        )
        github = found["production/github/oauth-token"]
        assert (github.type, github.tier, github.expires_at) == (SecretType.OAUTH_TOKEN, SecretTier.SENSITIVE, None)
        # "critical tier, requires approval"
        pending = await vault.request_token("secrets:read:production/postgres/*")
        assert pending.approval_status == "pending"
        # Creating again is a conflict (the seed: POST returns 409 if the path exists).
        with pytest.raises(Exception) as again:
            await namespace["provision_secrets"]()
        assert type(again.value).__name__ == "AgentVaultConflictError"


async def test_003_rotate_and_rollback(empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str]) -> None:
    async with AgentVault() as vault:
        await vault.set_secret("production/openai/api-key", "sk-proj-one...")
        await vault.set_secret("production/openai/api-key", "sk-proj-two...")
    namespace = await run_example_async(ROTATE_AND_ROLLBACK_PY)
    await namespace["rotate_and_rollback"]()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Current version: 2"
    assert [re.sub(r"created \S+ \S+,", "created T,", line) for line in lines[1:]] == [
        " 1: created T, active=False",
        " 2: created T, active=False",
        " 3: created T, active=True",
    ]
    async with AgentVault() as vault:
        current = await vault.get_secret("production/openai/api-key")
        assert (current.version, current.value) == (2, "sk-proj-two...")
        assert [v.is_active for v in await vault.list_versions("production/openai/api-key")] == [False, True, False]


async def test_003_import_env(
    empty_vault: Server, agent_env: Server, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# service credentials\n"
        "DB_URL=postgresql://app:pw@db:5432/app\n"
        "STRIPE_SECRET_KEY=sk_live_abc\n"
        "OPENAI_API_KEY='sk-proj-xyz'\n"
        "LOG_LEVEL=debug\n"
    )
    namespace = await run_example_async(IMPORT_ENV_PY)
    await namespace["import_env_file"](str(env_file), "production")
    assert capsys.readouterr().out.splitlines() == [
        "Imported 4 secrets, skipped 0",
        " production/DB_URL (critical)",
        " production/STRIPE_SECRET_KEY (sensitive)",
        " production/OPENAI_API_KEY (standard)",
        " production/LOG_LEVEL (standard)",
    ]
    # Idempotent: a second run skips what exists.
    await namespace["import_env_file"](str(env_file), "production")
    assert capsys.readouterr().out.splitlines() == ["Imported 0 secrets, skipped 4"]
    async with AgentVault() as vault:
        assert (await vault.get_secret("production/OPENAI_API_KEY")).value == "sk-proj-xyz"
        assert (await vault.get_secret("production/DB_URL")).value == "postgresql://app:pw@db:5432/app"


async def test_003_expiration_policies(empty_vault: Server, agent_env: Server) -> None:
    async with AgentVault() as vault:
        await vault.set_secret("production/github/deploy-token", "ghp_deploy")
        await vault.set_secret("production/google/refresh-token", "1//refresh")
        await vault.set_secret(
            "production/stripe/restricted-key", "rk_live_1", expires_at=datetime.now(timezone.utc) + timedelta(days=3)
        )
    namespace = await run_example_async(EXPIRATION_PY)
    await namespace["set_expiration_policies"]()
    async with AgentVault() as vault:
        found = {item.path: item for item in (await vault.list_secrets("production")).items}
        deploy = found["production/github/deploy-token"].expires_at
        assert deploy is not None and timedelta(days=29, hours=23) < deploy - datetime.now(timezone.utc) <= timedelta(days=30)
        assert found["production/google/refresh-token"].expires_at == datetime(2025, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
        assert found["production/stripe/restricted-key"].expires_at is None
        # The seed: once expired, reads answer 410 Gone; the secret stays listable and extendable.
        from agentvault import AgentVaultGoneError

        with pytest.raises(AgentVaultGoneError):
            await vault.get_secret("production/google/refresh-token")
        assert (await vault.get_secret("production/stripe/restricted-key")).value == "rk_live_1"


# ── The examples type-check against the package's annotations ────────────────

EXAMPLES = {
    "store_secret": STORE_SECRET_PY,
    "retrieve": RETRIEVE_PY,
    "token": TOKEN_PY,
    "setup": SETUP_PY,
    "context_manager": CONTEXT_MANAGER_PY,
    "sync_client": SYNC_CLIENT_PY,
    "get_secret": GET_SECRET_PY,
    "set_secret": SDK_PAGE_IMPORTS + SET_SECRET_PY,
    "list_secrets": SDK_PAGE_IMPORTS + LIST_SECRETS_PY,
    "request_token": SDK_PAGE_IMPORTS + REQUEST_TOKEN_PY,
    "rotate_secret": SDK_PAGE_IMPORTS + ROTATE_SECRET_PY,
    "error_handling": ERROR_HANDLING_PY,
    "agent": AGENT_PY,
    "provision_secrets": PROVISION_SECRETS_PY,
    "rotate_and_rollback": ROTATE_AND_ROLLBACK_PY,
    "import_env": IMPORT_ENV_PY,
    "expiration": EXPIRATION_PY,
}


def test_every_example_type_checks_against_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """mypy (bodies of unannotated functions included) accepts every example as written: the
    seed's documented types (``secret: Secret``, ``items: list[SecretMetadata]``,
    ``tier=SecretTier.SENSITIVE`` or ``"sensitive"``, ``version="v2"``) match the package's annotations."""
    from mypy import api

    files = []
    for name, source in EXAMPLES.items():
        if name == "token":  # mypy stops at a top-level await: check its body as a coroutine's
            source = "async def top_level() -> None:\n" + textwrap.indent(textwrap.dedent(source), "    ")
        file = tmp_path / f"{name}.py"
        file.write_text(source)
        files.append(str(file))
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n")  # not the package's strict settings: the seeds do not annotate
    monkeypatch.setenv("MYPYPATH", str(PACKAGE_DIR / "src"))
    out, err, status = api.run([
        "--config-file", str(config), "--python-version", "3.11", "--check-untyped-defs",
        "--ignore-missing-imports", "--show-error-codes",
        "--cache-dir", str(PACKAGE_DIR / ".mypy_cache" / "examples"), *files,
    ])
    assert status == 0, out + err

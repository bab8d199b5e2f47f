"""Fixtures: the real AgentVault server (``npm start`` on memory storage, a free port), started
once per session, and clients for it. Everything about starting the server is in ``server``."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

import httpx
import pytest

from agentvault import AgentVault

REPO_ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_SECONDS = 90.0


@dataclass(frozen=True)
class Server:
    url: str
    """The API root, e.g. ``http://127.0.0.1:PORT/v1``."""
    root_key: str
    """An admin agent key."""
    approver_key: str
    """An agent key with the approver role only."""


def _agent_key() -> str:
    return "ass_live_" + secrets.token_urlsafe(32)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(**settings: str) -> Iterator[Server]:
    """``npm start`` from the repository root, configured only by the variables the README
    documents (``settings`` override them); waits until the API answers, and stops the whole
    process group afterwards. The one place that knows how to start the server."""
    port = _free_port()
    root_key, approver_key = _agent_key(), _agent_key()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "AGENTVAULT_STORAGE": "memory",
        "AGENTVAULT_ROOT_KEY": root_key,
        "AGENTVAULT_APPROVER_KEY": approver_key,
        "AGENTVAULT_RATE_LIMIT": "off",
        **settings,
    }
    url = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            ["npm", "start", "--silent"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_answering(url, process, log)
            yield Server(url=url, root_key=root_key, approver_key=approver_key)
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """The server every test shares: memory storage, no rate limit."""
    with running_server() as started:
        yield started


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"npm start exited with {process.returncode}:\n{log.read().decode(errors='replace')}")
        try:
            # Any HTTP answer (401 without a key) means the API is up.
            httpx.get(f"{url}/secrets", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    log.seek(0)
    raise RuntimeError(f"npm start did not answer within {START_TIMEOUT_SECONDS} s:\n{log.read().decode(errors='replace')}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def agent_env(server: Server, monkeypatch: pytest.MonkeyPatch) -> Server:
    """``ASS_AGENT_KEY`` and ``AGENTVAULT_URL`` set, as the seeds' examples expect."""
    monkeypatch.setenv("ASS_AGENT_KEY", server.root_key)
    monkeypatch.setenv("AGENTVAULT_URL", server.url)
    return server


@pytest.fixture
async def vault(server: Server) -> AsyncIterator[AgentVault]:
    """An async client with the admin key."""
    async with AgentVault(server.root_key, server.url) as client:
        yield client


@pytest.fixture
def prefix() -> str:
    """A namespace of this test's own, so tests never see each other's secrets."""
    return f"t{secrets.token_hex(6)}"


@pytest.fixture
def empty_vault(server: Server) -> Server:
    """Every secret destroyed (live and trashed), for examples that use fixed paths."""
    headers = {"authorization": f"Bearer {server.root_key}"}
    with httpx.Client(base_url=server.url + "/", headers=headers, timeout=10.0) as http:
        for trashed in ("false", "true"):
            while True:
                page = http.get("secrets", params={"limit": "200", "trashed": trashed})
                page.raise_for_status()
                items = page.json()["items"]
                if not items:
                    break
                for item in items:
                    http.delete(f"secrets/{quote(item['path'], safe='')}", params={"permanent": "true"}).raise_for_status()
    return server

"""One HTTP exchange with retries: exponential backoff with jitter on 429, 5xx and network errors
(a ``Retry-After`` header wins), never on another 4xx. Refusals become the typed exceptions of
``agentvault.exceptions``; nothing sent as a value or credential reaches their text or the log."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx

from .exceptions import (
    AgentVaultAuthError,
    AgentVaultConflictError,
    AgentVaultError,
    AgentVaultGoneError,
    AgentVaultNetworkError,
    AgentVaultNotFoundError,
    AgentVaultPayloadTooLargeError,
    AgentVaultPermissionError,
    AgentVaultRateLimitError,
    AgentVaultUnavailableError,
    AgentVaultValidationError,
    ValidationIssue,
)

logger = logging.getLogger("agentvault")

Method = Literal["GET", "POST", "PUT", "DELETE"]
QueryValue = str | int | bool | Sequence[str] | None
Sleep = Callable[[float], Awaitable[None]]

REDACTED = "[redacted]"
# Shorter strings are not scrubbed from messages: they would mangle ordinary words.
_MIN_SCRUB_LENGTH = 4


def scrub(text: str, sensitive: Iterable[str]) -> str:
    """``text`` with every occurrence of a sensitive string (longest first) replaced by ``[redacted]``."""
    for secret in sorted(sensitive, key=len, reverse=True):
        if len(secret) >= _MIN_SCRUB_LENGTH:
            text = text.replace(secret, REDACTED)
    return text


def retry_after_seconds(header: str | None, now: Callable[[], float]) -> float | None:
    """Seconds from ``Retry-After`` (delta seconds or an HTTP date), or ``None`` if unusable."""
    if header is None:
        return None
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        at = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, at.timestamp() - now())


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _issues(value: object, sensitive: Sequence[str]) -> tuple[ValidationIssue, ...]:
    if not isinstance(value, list):
        return ()
    issues = []
    for item in value:
        if not isinstance(item, dict):
            continue
        path = item.get("path")
        parts = tuple(p for p in path if isinstance(p, (str, int))) if isinstance(path, list) else ()
        field = item.get("field")
        issues.append(
            ValidationIssue(
                path=parts,
                field=field if isinstance(field, str) else ".".join(str(p) for p in parts),
                message=scrub(str(item.get("message", "")), sensitive),
            )
        )
    return tuple(issues)


def error_from_response(
    status: int, body: object, retry_after: float | None, sensitive: Sequence[str] = ()
) -> AgentVaultError:
    """The typed error for a refusal the server answered (``body`` is the parsed JSON, if any)."""
    wire: Mapping[str, Any] = {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        wire = body["error"]
    code = _str_or_none(wire.get("code")) or ""
    raw_message = _str_or_none(wire.get("message")) or f"HTTP {status} from the AgentVault server"
    message = scrub(raw_message, sensitive)
    path = _str_or_none(wire.get("path"))

    if code == "unauthorized" or (not code and status == 401):
        return AgentVaultAuthError(message, status_code=status)
    if code == "permission_denied" or (not code and status == 403):
        return AgentVaultPermissionError(
            message, path=path, required_scope=_str_or_none(wire.get("required_scope")), status_code=status
        )
    if code == "not_found" or (not code and status == 404):
        return AgentVaultNotFoundError(message, path=path, status_code=status)
    if code == "conflict" or (not code and status == 409):
        return AgentVaultConflictError(message, status_code=status)
    if code == "gone" or (not code and status == 410):
        return AgentVaultGoneError(message, path=path, status_code=status)
    if code in ("invalid_request", "validation_error") or (not code and status in (400, 422)):
        return AgentVaultValidationError(
            message,
            issues=_issues(wire.get("issues"), sensitive),
            code=code or ("invalid_request" if status == 400 else "validation_error"),
            status_code=status,
        )
    if code == "payload_too_large" or (not code and status == 413):
        return AgentVaultPayloadTooLargeError(message, status_code=status)
    if code == "rate_limited" or (not code and status == 429):
        named = wire.get("retry_after")
        from_body = float(named) if isinstance(named, (int, float)) and not isinstance(named, bool) else None
        return AgentVaultRateLimitError(message, retry_after=retry_after or from_body or 1.0, status_code=status)
    if code == "unavailable" or (not code and status == 503):
        return AgentVaultUnavailableError(message, status_code=status)
    return AgentVaultError(message, code=code or "internal_error", status_code=status)


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


class Transport:
    def __init__(
        self,
        *,
        base_url: str,
        credential: str | None,
        timeout: float,
        retries: int,
        retry_delay: float,
        user_agent: str,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep,
        jitter: Callable[[], float] = random.random,
        now: Callable[[], float],
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.base_url = base_url.rstrip("/")
        self._credential = credential
        self._timeout = timeout
        self._retries = retries
        self._retry_delay = retry_delay
        self._sleep = sleep
        self._jitter = jitter
        self._now = now
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"user-agent": user_agent, "accept": "application/json"},
            follow_redirects=False,
        )

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry ``attempt + 1``: the server's ``Retry-After``, else
        ``retry_delay * 2**attempt`` scaled by a random factor in [0.75, 1.0)."""
        if retry_after is not None:
            return retry_after
        return float(self._retry_delay * 2**attempt * (0.75 + self._jitter() / 4))

    async def send(
        self,
        method: Method,
        path: str,
        *,
        query: Mapping[str, QueryValue] | None = None,
        body: Mapping[str, object] | None = None,
        token: str | None = None,
        sensitive: Sequence[str] = (),
    ) -> tuple[int, object]:
        """Send one request (retrying as above) and return its status and parsed JSON body.

        ``path`` is relative to the base URL and already encoded; ``sensitive`` lists strings of
        the request (values) that must never appear in an error raised for it.
        """
        credential = token if token is not None else self._credential
        if not credential:
            raise AgentVaultAuthError(
                "No credential: pass agent_key (or set ASS_AGENT_KEY), or a token for this call", status_code=None
            )
        hidden = (*sensitive, credential)
        params = httpx.QueryParams(tuple(_flatten(query or {})))
        headers = {"authorization": f"Bearer {credential}"}
        url = f"{self.base_url}{path}"

        attempt = 0
        while True:
            retry_after: float | None = None
            try:
                response = await self._client.request(method, url, params=params, json=body, headers=headers)
            except httpx.TimeoutException:
                failure: AgentVaultError = AgentVaultNetworkError(
                    f"No answer from {self.base_url} within {self._timeout:g} s"
                )
            except httpx.TransportError as error:
                failure = AgentVaultNetworkError(f"Could not reach {self.base_url} ({type(error).__name__})")
            else:
                parsed = _json(response)
                if response.is_success:
                    return response.status_code, parsed
                retry_after = retry_after_seconds(response.headers.get("retry-after"), self._now)
                failure = error_from_response(response.status_code, parsed, retry_after, hidden)
                if not _retryable(response.status_code):
                    raise failure
            if attempt >= self._retries:
                raise failure
            delay = self.backoff(attempt, retry_after)
            attempt += 1
            logger.info(
                "agentvault: %s %s failed (%s); retry %d of %d in %.2f s",
                method,
                path.split("?", 1)[0],
                failure.code if failure.status_code is None else failure.status_code,
                attempt,
                self._retries,
                delay,
            )
            await self._sleep(delay)

    async def aclose(self) -> None:
        await self._client.aclose()


def _flatten(query: Mapping[str, QueryValue]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, (str, int)):
            pairs.append((key, str(value)))
        else:
            pairs.extend((key, str(one)) for one in value)
    return pairs


def _json(response: httpx.Response) -> object:
    if not response.content:
        return None
    try:
        parsed: object = response.json()
    except ValueError:
        return None
    return parsed

"""The errors every AgentVault call raises, mapped from the server's ``{"error": {...}}`` body.

No message ever holds a secret value or a credential: the server's messages hold none, the client
builds its own from paths and codes only, and it scrubs anything it sent as a value from a server
message before raising (defence in depth).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ValidationIssue:
    """One problem the server found in a request: ``path`` names the wire field (``["tags", "team"]``)."""

    path: tuple[str | int, ...]
    field: str
    message: str


class AgentVaultError(Exception):
    """Any failure of an AgentVault call. ``code`` is the server's error code (``not_found``, ...)."""

    def __init__(self, message: str, *, code: str = "internal_error", status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status_code = status_code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status_code={self.status_code!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only fields do not survive Exception's default pickling (multiprocessing, Celery).
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[AgentVaultError], message: str, state: dict[str, object]) -> AgentVaultError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class AgentVaultAuthError(AgentVaultError):
    """401: a missing, invalid, expired or revoked agent key or token."""

    def __init__(self, message: str, *, code: str = "unauthorized", status_code: int | None = 401) -> None:
        super().__init__(message, code=code, status_code=status_code)


class AgentVaultPermissionError(AgentVaultError):
    """403: the credential's scope or tier does not cover ``path``; ``required_scope`` names what would."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        required_scope: str | None = None,
        code: str = "permission_denied",
        status_code: int | None = 403,
    ) -> None:
        super().__init__(message, code=code, status_code=status_code)
        self.path = path
        self.required_scope = required_scope


class AgentVaultNotFoundError(AgentVaultError):
    """404: no such secret (or approval request, or token)."""

    def __init__(self, message: str, *, path: str | None = None, status_code: int | None = 404) -> None:
        super().__init__(message, code="not_found", status_code=status_code)
        self.path = path


class AgentVaultConflictError(AgentVaultError):
    """409: the path exists (or is in the trash), a check-and-set lost, or a decision was already made."""

    def __init__(self, message: str, *, status_code: int | None = 409) -> None:
        super().__init__(message, code="conflict", status_code=status_code)


class AgentVaultGoneError(AgentVaultError):
    """410: the secret expired, or the version was rotated out and its grace period is over."""

    def __init__(self, message: str, *, path: str | None = None, status_code: int | None = 410) -> None:
        super().__init__(message, code="gone", status_code=status_code)
        self.path = path


class AgentVaultValidationError(AgentVaultError):
    """400 ``invalid_request`` or 422 ``validation_error``: ``issues`` lists every problem found."""

    def __init__(
        self,
        message: str,
        *,
        issues: tuple[ValidationIssue, ...] = (),
        code: str = "validation_error",
        status_code: int | None = 422,
    ) -> None:
        super().__init__(message, code=code, status_code=status_code)
        self.issues = issues


class AgentVaultPayloadTooLargeError(AgentVaultError):
    """413: the request body (usually the value) is over the server's limit."""

    def __init__(self, message: str, *, status_code: int | None = 413) -> None:
        super().__init__(message, code="payload_too_large", status_code=status_code)


class AgentVaultRateLimitError(AgentVaultError):
    """429, after the retries ran out: ``retry_after`` is how many seconds the server asked to wait."""

    def __init__(self, message: str, *, retry_after: float, status_code: int | None = 429) -> None:
        super().__init__(message, code="rate_limited", status_code=status_code)
        self.retry_after = retry_after


class AgentVaultUnavailableError(AgentVaultError):
    """503, after the retries ran out: storage or the key service is unreachable for now."""

    def __init__(self, message: str, *, status_code: int | None = 503) -> None:
        super().__init__(message, code="unavailable", status_code=status_code)


class AgentVaultApprovalPendingError(AgentVaultError):
    """A human has not decided yet: ``approval_request_id`` is the ``apr_...`` id to wait on."""

    def __init__(self, message: str, *, approval_request_id: str) -> None:
        super().__init__(message, code="approval_pending", status_code=202)
        self.approval_request_id = approval_request_id


class AgentVaultNetworkError(AgentVaultError):
    """No answer: a timeout, a refused connection or a broken response, after the retries ran out."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="network_error", status_code=None)


__all__ = [
    "AgentVaultApprovalPendingError",
    "AgentVaultAuthError",
    "AgentVaultConflictError",
    "AgentVaultError",
    "AgentVaultGoneError",
    "AgentVaultNetworkError",
    "AgentVaultNotFoundError",
    "AgentVaultPayloadTooLargeError",
    "AgentVaultPermissionError",
    "AgentVaultRateLimitError",
    "AgentVaultUnavailableError",
    "AgentVaultValidationError",
    "ValidationIssue",
]

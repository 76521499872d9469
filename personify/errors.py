"""The few errors Personify raises. Each carries a code, the field at fault and the fix."""

from __future__ import annotations


class PersonifyError(Exception):
    """Base class. `code` is stable and machine-readable; `message` says what to do."""

    code = "personify_error"
    status = 500

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def headers(self) -> dict[str, str]:
        """HTTP headers that go with the answer (Retry-After, WWW-Authenticate)."""
        return {"Retry-After": "5"} if self.status == 503 else {}


class ConfigError(PersonifyError):
    """A setting is wrong; raised at start-up, naming the setting and the fix."""

    code = "config_error"


class InputError(PersonifyError):
    """The caller sent something invalid."""

    code = "invalid_input"
    status = 422


class TooLarge(InputError):
    """A batch or body is over a documented limit."""

    code = "too_large"
    status = 413


class NotFound(PersonifyError):
    """An unknown user or item."""

    code = "not_found"
    status = 404


class ProviderError(PersonifyError):
    """A model or store we depend on failed or timed out."""

    code = "provider_error"
    status = 503


class ProviderTimeout(ProviderError):
    """A model call ran past PERSONIFY_LLM_TIMEOUT_S. The agent answers from its fallback."""


class VectorStoreUnavailable(ProviderError):
    """Chroma did not answer. Recommendations fall back to popularity; writes get a 503."""

    code = "unavailable"


class PrivacyError(PersonifyError):
    """Redaction could not be done; nothing is sent to a model."""

    code = "privacy_error"
    status = 503


class Unauthorized(PersonifyError):
    """No key, or a key that is not valid."""

    code = "unauthorized"
    status = 401

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class TokenExpired(Unauthorized):
    """A widget user token that was genuine but is past its expiry: mint a fresh one."""

    code = "token_expired"


class Forbidden(PersonifyError):
    """A valid key used outside its rights."""

    code = "forbidden"
    status = 403


class RateLimited(PersonifyError):
    """Too many requests with one key."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Conflict(PersonifyError):
    """The request clashes with the resource's state (a running experiment's variants)."""

    code = "conflict"
    status = 409

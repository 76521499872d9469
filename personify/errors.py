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


class PrivacyError(PersonifyError):
    """Redaction could not be done; nothing is sent to a model."""

    code = "privacy_error"
    status = 503

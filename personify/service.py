"""Personify as a library: one object that wires the rooms together from Settings.

The API, the CLI, the benchmark and the evaluation harness all call this, so they run
the same code."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from personify.agent.agent import ChatEvent, PersonalizationAgent
from personify.agent.models import ChatModel, make_chat_model
from personify.domain import (
    Candidate,
    ChatTurn,
    Consent,
    Event,
    Item,
    OnboardingPlan,
    Profile,
    UserTraits,
    utcnow,
)
from personify.errors import Forbidden, InputError, NotFound, TooLarge
from personify.ingest import parse_event, parse_item
from personify.metrics import MeteredChatModel, MeteredRedactor, Metrics
from personify.privacy.redactor import PresidioRedactor, Redactor, catalog_terms
from personify.retrieval.behaviour import BehaviourIndex
from personify.retrieval.embeddings import Embedder, MiniLMEmbedder
from personify.retrieval.profile_service import ProfileService
from personify.retrieval.recommender import Recommender
from personify.retrieval.trained import TrainedCache
from personify.retrieval.vectors import VectorIndex, open_chroma
from personify.settings import Settings
from personify.store import Store
from personify.store.events import ANONYMOUS


@dataclass(frozen=True, kw_only=True)
class IngestResult:
    accepted: int
    duplicates: int
    dropped: int = 0  # from users without personalization or analytics consent


class Personify:
    def __init__(
        self,
        settings: Settings,
        *,
        model: ChatModel | None = None,
        redactor: Redactor | None = None,
        embedder: Embedder | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """Heavy parts passed in are shared (tests, and the tenants of one server)."""
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store.open(settings.sqlalchemy_url, settings.database_schema)
        chroma = open_chroma(settings.chroma_url, settings.chroma_path, settings.chroma_database)
        self.vectors = VectorIndex(chroma, key=self.store.audit.subject)
        self._model, self._redactor, self._embedder = model, redactor, embedder
        self._catalog_allowed = False
        self._agent: PersonalizationAgent | None = None
        self._lock = threading.Lock()
        self.behaviour = BehaviourIndex(self.store.events)
        self.trained = TrainedCache(settings.data_dir / "models")
        self.metrics = metrics or Metrics()
        self.metrics.watch_cache(
            "item_vectors", lambda: (self.vectors.cache_hits, self.vectors.cache_misses)
        )

    # lazily built heavy parts ----------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = MiniLMEmbedder(threads=self.settings.llm_threads)
            return self._embedder

    @property
    def redactor(self) -> Redactor:
        with self._lock:
            if self._redactor is None:
                self._redactor = PresidioRedactor()
            if not self._catalog_allowed:  # product names are not PII
                self._redactor.allow(catalog_terms(self.store.catalog.iter_all()))
                self._catalog_allowed = True
            return self._redactor

    @property
    def model(self) -> ChatModel:
        with self._lock:
            if self._model is None:
                self._model = make_chat_model(self.settings)
            return self._model

    @property
    def profiles(self) -> ProfileService:
        return ProfileService(self.store, self.vectors, self.embedder)

    @property
    def recommender(self) -> Recommender:
        return Recommender(
            self.store, self.vectors, self.behaviour, self.profiles.dislikes, self.trained
        )

    @property
    def agent(self) -> PersonalizationAgent:
        if self._agent is None:
            self._agent = PersonalizationAgent(
                store=self.store,
                profiles=self.profiles,
                recommender=self.recommender,
                redactor=MeteredRedactor(self.redactor, self.metrics),
                embedder=self.embedder,
                model=MeteredChatModel(self.model, self.metrics),
                token_budget=self.settings.prompt_token_budget,
                vault_ttl_s=self.settings.vault_ttl_hours * 3600,
            )
        return self._agent

    def warm_up(self) -> None:
        """Load the embedder, Presidio and the model now rather than on the first request."""
        _ = self.embedder, self.redactor, self.agent

    # catalog -----------------------------------------------------------------------------
    def add_items(self, raw: Sequence[Any]) -> int:
        self._check_batch(raw, "items")
        items = [parse_item(r, i) for i, r in enumerate(raw)]
        self.index_items(items)
        return len(items)

    def index_items(self, items: list[Item]) -> None:
        """Embed first, then Chroma, then SQL, the catalog of record, last: if a step fails
        the batch is not in the catalog (a vector alone is never served) and a retry of
        the same upsert completes it."""
        vectors = self.embedder.embed([item.text() for item in items])
        if self._redactor is not None:
            self._redactor.allow(catalog_terms(items))
        self.vectors.upsert_items(
            [i.id for i in items],
            vectors,
            [{"category": i.category, "available": i.available} for i in items],
        )
        self.store.catalog.upsert(items)

    def item(self, item_id: str) -> Item:
        item = self.store.catalog.get(item_id)
        if item is None:
            raise NotFound(
                f"Unknown item {item_id!r}: add it with POST /v1/items.", field="item_id"
            )
        return item

    # events and users ------------------------------------------------------------------
    def add_events(self, raw: Sequence[Any], only_user: str | None = None) -> IngestResult:
        """All or nothing: one invalid event rejects the batch before anything is stored.
        `only_user`: every event must be that user's (the widget's key acts for one user)."""
        self._check_batch(raw, "events")
        events = [parse_event(r, i) for i, r in enumerate(raw)]
        for index, event in enumerate(events):
            if only_user is not None and event.user_id != only_user:
                field = f"events[{index}].user_id"
                raise Forbidden(
                    f"{field}: this key sends events only for its own user.", field=field
                )
        known = self.store.catalog.existing_ids(e.item_id for e in events if e.item_id)
        for index, event in enumerate(events):
            if event.item_id and event.item_id not in known:
                field = f"events[{index}].item_id"
                raise InputError(
                    f"{field}: unknown item {event.item_id!r}; add it with POST /v1/items first.",
                    field=field,
                )
        return self.ingest(events)

    def ingest(self, events: list[Event]) -> IngestResult:
        """Store already validated events (items known) and fold them into profiles."""
        kept, dropped = self._respect_consent(events)
        result = self.store.events.append(kept)  # committed: the batch is durable
        self.metrics.events.inc(len(result.stored))
        # every user of the batch, duplicates too: a retry folds what a crash left behind
        self.profiles.apply(e.user_id for e in kept if e.user_id != ANONYMOUS)
        return IngestResult(
            accepted=len(result.stored), duplicates=result.duplicates, dropped=dropped
        )

    def train(self, seed: int = 0) -> dict[str, Any]:
        """Refit ALS factors and the learned re-ranker from the event log; the serving
        path picks them up on its next request (in every worker sharing the data dir)."""
        from personify.retrieval.training import train

        trained = train(self.store, self.vectors, seed=seed)
        self.trained.set(trained)
        return trained.meta

    def _respect_consent(self, events: list[Event]) -> tuple[list[Event], int]:
        """Without personalization consent an event is dropped, or, with analytics consent,
        kept only as an anonymous count: no user, no properties, an unlinkable id."""
        consents = self.profiles.consents(e.user_id for e in events)
        kept: list[Event] = []
        for event in events:
            consent = consents[event.user_id]
            if consent.personalization:
                kept.append(event)
            elif consent.analytics:
                anonymous_id = "anon-" + self.store.audit.subject(event.event_id)[:32]
                update = {"user_id": ANONYMOUS, "event_id": anonymous_id, "properties": {}}
                kept.append(event.model_copy(update=update))
        return kept, len(events) - len(kept)

    def consent(self, user_id: str) -> Consent:
        if not self.profiles.exists(user_id):
            raise NotFound(f"Unknown user {user_id!r}.", field="user_id")
        return self.profiles.consent(user_id)

    def set_consent(self, user_id: str, changes: dict[str, bool]) -> Consent:
        return self.profiles.set_consent(user_id, changes)

    def put_traits(self, user_id: str, traits: dict[str, Any]) -> UserTraits:
        UserTraits.check_input(traits)
        try:
            parsed = UserTraits.model_validate(traits)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = "traits." + ".".join(str(p) for p in err["loc"])
            raise InputError(f"{field}: {err['msg']}", field=field) from exc
        self.store.users.put_traits(user_id, parsed.model_dump(exclude_none=True))
        self.profiles.refresh([user_id])
        return parsed

    def profile(self, user_id: str) -> Profile:
        return self.profiles.get(user_id)

    def recommend(self, user_id: str, n: int = 10, category: str | None = None) -> list[Candidate]:
        return self.recommender.recommend(self.profiles.get(user_id), n, category=category)

    def onboard(self, user_id: str, goal: str | None = None) -> OnboardingPlan:
        plan = self.agent.onboard(user_id, goal)
        self._count_fallback(plan.provenance.fallback)
        return plan

    def chat(self, user_id: str, session_id: str, message: str) -> ChatTurn:
        turn = self.agent.chat(user_id, session_id, message)
        self._count_fallback(turn.provenance.fallback)
        return turn

    def _count_fallback(self, reason: str | None) -> None:
        if reason:
            self.metrics.fallbacks.labels(reason).inc()

    def chat_events(
        self,
        user_id: str,
        session_id: str,
        message: str,
        history: list[tuple[str, str]] | None = None,
    ) -> Iterator[ChatEvent]:
        self.profiles.get(user_id)  # a 404 before any stream starts
        events = self.agent.chat_events(user_id, session_id, message, history)
        return self._counting_fallbacks(events)

    def _counting_fallbacks(self, events: Iterator[ChatEvent]) -> Iterator[ChatEvent]:
        for event in events:
            if event.kind == "done":
                self._count_fallback(event.data.get("provenance", {}).get("fallback"))
            yield event

    def delete_user(self, user_id: str) -> int:
        if not self.profiles.exists(user_id):
            raise NotFound(f"Unknown user {user_id!r}: nothing to delete.", field="user_id")
        removed = self.store.users.erase(user_id)
        self.vectors.delete_profile(user_id)
        self.store.audit.record("erasure", user_id, entities={"rows_removed": removed})
        return removed

    def export(self, user_id: str) -> dict[str, Any]:
        """Everything held about the user (an access request), as plain JSON data."""
        profile = self.profiles.get(user_id)
        return {
            "user_id": user_id,
            "exported_at": utcnow().isoformat(),
            "traits": self.store.users.get_traits(user_id) or {},
            "profile": profile.features.model_dump(mode="json"),
            "events": [e.model_dump(mode="json") for e in self.store.events.for_user(user_id)],
            "conversations": self.store.users.conversations(user_id),
            "pseudonyms": self.store.users.vaults(user_id),
            "model_calls": [
                {"at": r.at, "model": r.model, "template": r.template, "entities": r.entities}
                for r in self.store.audit.for_user(user_id)
                if r.kind == "model_call"
            ],
        }

    def _check_batch(self, raw: Sequence[Any], name: str) -> None:
        if not raw:
            raise InputError(f"{name}: send at least one.", field=name)
        if len(raw) > self.settings.max_batch:
            raise TooLarge(
                f"{name}: {len(raw)} in one batch is over the limit of {self.settings.max_batch}; "
                "split it into smaller batches.",
                field=name,
            )

    def close(self) -> None:
        self.store.close()

"""Personify as a library: one tenant's stores and rooms, wired together from Settings.

The API, the CLI, the benchmark and the evaluation harness all call this, so they run
the same code. The heavy parts (embedder, Presidio, the chat model) come from
SharedParts, built once per process however many tenants it serves."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from personify.agent.agent import PersonalizationAgent
from personify.domain import (
    ChatEvent,
    ChatTurn,
    Consent,
    Done,
    Event,
    Item,
    OnboardingPlan,
    Profile,
    RankerName,
    Recommendations,
    UserTraits,
    utcnow,
)
from personify.errors import Forbidden, InputError, NotFound, TooLarge
from personify.experiments.service import Assignment, Experiments
from personify.experiments.store import ExperimentStore
from personify.ingest import parse_event, parse_item
from personify.metrics import MeteredRedactor
from personify.parts import SharedParts
from personify.privacy.audit import AuditLog
from personify.privacy.consent import ConsentStore, respect_consent
from personify.privacy.pseudonyms import Pseudonymiser
from personify.privacy.redactor import Redactor, catalog_terms
from personify.privacy.vaults import VaultStore
from personify.retrieval.behaviour import BehaviourIndex
from personify.retrieval.profile_service import ProfileService
from personify.retrieval.recommender import Recommender
from personify.retrieval.trained import TrainedCache
from personify.retrieval.vectors import VectorIndex, open_chroma
from personify.settings import Settings
from personify.store import Store
from personify.store.catalog import ItemPage
from personify.store.events import ANONYMOUS
from personify.user_data import user_data


@dataclass(frozen=True, kw_only=True)
class IngestResult:
    accepted: int
    duplicates: int
    dropped: int = 0  # from users without personalization or analytics consent


class Personify:
    def __init__(self, settings: Settings, parts: SharedParts | None = None) -> None:
        self.settings = settings
        self.parts = parts or SharedParts(settings)
        self.metrics = self.parts.metrics
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store.open(settings.sqlalchemy_url, settings.database_schema)
        self.pseudonyms = Pseudonymiser(self.store.salt)
        self.audit = AuditLog(self.store.engine, self.pseudonyms)
        self.consents = ConsentStore(self.store.engine)
        self.vaults = VaultStore(self.store.engine, ttl_s=settings.vault_ttl_hours * 3600)
        chroma = open_chroma(settings.chroma_url, settings.chroma_path, settings.chroma_database)
        self.vectors = VectorIndex(chroma, key=self.pseudonyms.pseudonym)
        self.behaviour = BehaviourIndex(self.store.events)
        self.trained = TrainedCache(settings.data_dir / "models")
        self.experiments = Experiments(
            ExperimentStore(self.store.engine), lambda: [self.parts.model.name]
        )
        self.user_data = user_data(
            self.store, self.vectors, self.vaults, self.consents, self.audit, self.experiments.store
        )
        self.metrics.watch_cache(
            "item_vectors", lambda: (self.vectors.cache_hits, self.vectors.cache_misses)
        )

    # the rooms, each built once, on first use ---------------------------------------------
    @cached_property
    def catalog_names(self) -> set[str]:
        """Product names are not PII: this tenant's allow list, kept current by index_items."""
        return catalog_terms(self.store.catalog.iter_all())

    @cached_property
    def detector(self) -> Redactor:
        """The process's one Presidio, with this tenant's own allow list."""
        return self.parts.presidio.scoped(self.catalog_names)

    @cached_property
    def redactor(self) -> Redactor:
        """The detector, counting what it redacts from inputs in the metrics."""
        return MeteredRedactor(self.detector, self.metrics)

    @cached_property
    def profiles(self) -> ProfileService:
        return ProfileService(self.store, self.vectors, self.parts.embedder, self.consents)

    @cached_property
    def recommender(self) -> Recommender:
        return Recommender(
            self.store, self.vectors, self.behaviour, self.profiles.dislikes, self.trained
        )

    @cached_property
    def agent(self) -> PersonalizationAgent:
        return PersonalizationAgent(
            store=self.store,
            profiles=self.profiles,
            recommender=self.recommender,
            redactor=self.redactor,
            detector=self.detector,
            embedder=self.parts.embedder,
            model=self.parts.model,
            audit=self.audit,
            vaults=self.vaults,
            token_budget=self.settings.prompt_token_budget,
            product=self.settings.product_name,
            tone=self.settings.tone,
            on_cut=self.metrics.count_cut,
        )

    def warm_up(self) -> None:
        """Load the embedder, Presidio and the model now rather than on the first request."""
        self.parts.warm_up()
        _ = self.redactor, self.agent

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
        vectors = self.parts.embedder.embed([item.text() for item in items])
        self.catalog_names.update(catalog_terms(items))
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

    def list_items(
        self,
        *,
        limit: int,
        after: str | None = None,
        category: str | None = None,
        available: bool | None = None,
    ) -> ItemPage:
        """A page of the catalog in id order; its `next_after` asks for the next one."""
        return self.store.catalog.page(
            limit=limit, after=after, category=category, available=available
        )

    def delete_item(self, item_id: str) -> Item:
        """Remove the item: its vector (and this process's cached copy), then the catalog of
        record, last, so a retry after a failure completes it. From then on it is offered
        nowhere and events naming it are refused like any unknown item's; past events stay
        (the users' history), and the next `personify train` leaves it out."""
        item = self.store.catalog.get(item_id)
        if item is None:
            raise NotFound(f"Unknown item {item_id!r}: nothing to delete.", field="item_id")
        self.vectors.delete_items([item_id])
        self.store.catalog.delete(item_id)
        if "catalog_names" in self.__dict__:  # the redactor's allow list, once built
            self.catalog_names.intersection_update(catalog_terms(self.store.catalog.iter_all()))
        return item

    # events ------------------------------------------------------------------------------
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
        given = self.consents.get_many(e.user_id for e in events)
        kept, dropped = respect_consent(events, given, self.pseudonyms.pseudonym)
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

    # users -------------------------------------------------------------------------------
    def put_traits(self, user_id: str, traits: dict[str, Any]) -> UserTraits:
        """Replace the user's traits (the agent's own notes are kept apart and stay)."""
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

    def consent(self, user_id: str) -> Consent:
        self._require_user(user_id)
        return self.consents.get(user_id)

    def set_consent(self, user_id: str, changes: dict[str, bool]) -> Consent:
        """Record the user's choices; they apply from the next request on."""
        self._require_user(user_id, f"create it with PUT /v1/users/{user_id}")
        consent = self.consents.get(user_id).model_copy(update=changes)
        self.consents.put(user_id, consent)
        self.profiles.set_consent(user_id, consent)
        return consent

    # what users see ----------------------------------------------------------------------
    def recommend(
        self,
        user_id: str,
        n: int = 10,
        category: str | None = None,
        ranker: RankerName | None = None,
    ) -> Recommendations:
        """Ranked items. `ranker` chooses the ranking outright (evaluations); without it,
        a running experiment's variant may (and the response names the variant)."""
        profile = self.profiles.get(user_id)
        assignment = self._assign(user_id, "recommendations", explicit=ranker is not None)
        treatment = assignment.treatment
        ranked = self.recommender.recommend(
            profile,
            treatment.n_items or n,
            category=category,
            ranker=ranker or treatment.ranker or "personalized",
        )
        recommendations = Recommendations(
            user_id=user_id,
            items=list(ranked),
            personalized=profile.personalized and ranked.fallback is None,
            cold_start=profile.cold_start,
            fallback=ranked.fallback or ("seen_everything" if ranked.seen_everything else None),
            experiments=assignment.experiments,
        )
        self.experiments.served(assignment, fallback=recommendations.fallback is not None)
        return recommendations

    def onboard(self, user_id: str, goal: str | None = None) -> OnboardingPlan:
        self.profiles.get(user_id)  # an unknown user is a NotFound, before any assignment
        assignment = self._assign(user_id, "onboarding")
        plan = self.agent.onboard(user_id, goal, assignment.treatment)
        plan = plan.model_copy(update={"experiments": assignment.experiments})
        self._count_fallback(plan.provenance.fallback)
        self.experiments.served(assignment, fallback=plan.provenance.fallback is not None)
        return plan

    def chat(self, user_id: str, session_id: str, message: str) -> ChatTurn:
        for event in self.chat_events(user_id, session_id, message):
            if isinstance(event, Done):
                return event.turn
        raise AssertionError("a chat turn always ends with Done")

    def chat_events(
        self,
        user_id: str,
        session_id: str,
        message: str,
        history: list[tuple[str, str]] | None = None,
    ) -> Iterator[ChatEvent]:
        """One chat turn as it streams (see PersonalizationAgent.chat_events). An unknown
        user is a NotFound here, before any stream starts."""
        self.profiles.get(user_id)
        assignment = self._assign(user_id, "chat")
        events = self.agent.chat_events(user_id, session_id, message, history, assignment.treatment)
        return self._counting_fallbacks(events, assignment)

    def _assign(self, user_id: str, surface: str, explicit: bool = False) -> Assignment:
        if explicit:  # the caller chose the ranking: no experiment is served
            return Assignment(user_id=user_id, surface=surface)
        return self.experiments.assign(user_id, surface)

    def _counting_fallbacks(
        self, events: Iterator[ChatEvent], assignment: Assignment
    ) -> Iterator[ChatEvent]:
        for event in events:
            if isinstance(event, Done):
                turn = event.turn.model_copy(update={"experiments": assignment.experiments})
                event = Done(turn=turn)
                self._count_fallback(turn.provenance.fallback)
                self.experiments.served(assignment, fallback=turn.provenance.fallback is not None)
            yield event

    def _count_fallback(self, reason: str | None) -> None:
        if reason:
            self.metrics.fallbacks.labels(reason).inc()

    # a user's data: access and erasure (user_data.py lists where it lives) ------------
    def export(self, user_id: str) -> dict[str, Any]:
        """Everything held about the user (an access request), as plain JSON data."""
        self._require_user(user_id)
        return {
            "user_id": user_id,
            "exported_at": utcnow().isoformat(),
            **self.user_data.export(user_id),
        }

    def delete_user(self, user_id: str) -> int:
        """Erase the user from every place their data lives; records removed."""
        self._require_user(user_id, "nothing to delete")
        removed = self.user_data.erase(user_id)
        self.store.checkpoint()
        self.audit.record("erasure", user_id, entities={"rows_removed": removed})
        return removed

    def _require_user(self, user_id: str, fix: str = "") -> None:
        if not self.profiles.exists(user_id):
            message = f"Unknown user {user_id!r}" + (f": {fix}." if fix else ".")
            raise NotFound(message, field="user_id")

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
        self.experiments.store.close()
        self.store.close()

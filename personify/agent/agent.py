"""The PersonalizationAgent: redact, retrieve, prompt, validate, fall back, restore."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from personify.agent import fallback
from personify.agent.answer_text import display, referenced_ids, safe_prefix
from personify.agent.context import candidate_lines, user_context
from personify.agent.elicit import ASKED, next_question, record_answer, wants_elicitation
from personify.agent.guards import (
    GuardFailure,
    chat_schema,
    check_interests,
    check_text,
    interest_terms,
    onboarding_schema,
    parse_chat,
    parse_onboarding,
)
from personify.agent.learning import extract_signals
from personify.agent.models import ChatModel
from personify.agent.partial_json import looks_like_json, partial_message
from personify.domain import (
    Candidate,
    ChatTurn,
    ItemCard,
    OnboardingPlan,
    PlanItem,
    Provenance,
)
from personify.errors import NotFound, ProviderError
from personify.privacy.redactor import Redactor
from personify.privacy.vault import Vault
from personify.prompts import load_template, trim_to_budget
from personify.retrieval.embeddings import Embedder
from personify.retrieval.profile_service import ProfileService
from personify.retrieval.recommender import Recommender
from personify.store import Store
from personify.store.users import StoredTurn

ONBOARDING_CANDIDATES = 8
ONBOARDING_PICKS = 3
CHAT_CANDIDATES = 6


@dataclass(frozen=True, kw_only=True)
class ChatEvent:
    kind: str  # "token" | "replace" | "done"
    data: dict[str, Any]


class PersonalizationAgent:
    def __init__(
        self,
        *,
        store: Store,
        profiles: ProfileService,
        recommender: Recommender,
        redactor: Redactor,
        embedder: Embedder,
        model: ChatModel,
        product: str = "Personify",
        token_budget: int = 1400,
        vault_ttl_s: float = 86_400.0,
    ) -> None:
        self._store = store
        self._profiles = profiles
        self._recommender = recommender
        self._redactor = redactor
        self._embedder = embedder
        self._model = model
        self._product = product
        self._budget = token_budget
        self._vault_ttl_s = vault_ttl_s

    # onboarding -------------------------------------------------------------------------
    def onboard(self, user_id: str, goal: str | None = None) -> OnboardingPlan:
        profile = self._profiles.get(user_id)
        vault = Vault()
        context = user_context(profile, self._redactor, vault, self._recent_titles(user_id))
        safe_goal = self._redactor.redact(goal, vault) if goal else None
        query = self._embedder.embed([safe_goal])[0] if safe_goal else None
        candidates = self._recommender.recommend(profile, ONBOARDING_CANDIDATES, query_vector=query)
        if not candidates:
            raise NotFound(
                "The catalog has no available items: POST /v1/items first.", field="items"
            )
        template = load_template("onboarding")

        def build(shown: list[Candidate], _history: list[BaseMessage]) -> list[BaseMessage]:
            return template.render(
                product=self._product,
                profile=context.summary,
                goal=safe_goal or "not stated",
                candidates=candidate_lines(shown),
                count=ONBOARDING_PICKS,
            )

        messages, shown = trim_to_budget(build, candidates, [], self._budget)
        schema = onboarding_schema([c.item.id for c in shown], ONBOARDING_PICKS)
        failure: str | None = None
        model_name = self._model.name
        try:
            self._audit(user_id, template.id, messages, vault)
            reply = self._model.complete(messages, json_schema=schema)
            message, choices = parse_onboarding(reply.text, shown, vault)
            terms = interest_terms(context.interests, profile.features.top_categories)
            check_interests(choices, shown, terms)
        except GuardFailure as exc:
            failure = exc.reason
        except ProviderError as exc:
            failure = "timeout" if exc.field == "timeout" else "model_error"
        by_id = {c.item.id: c for c in shown}
        if failure is None:
            items = [
                PlanItem(
                    item_id=ch.item_id,
                    title=by_id[ch.item_id].item.title,
                    reason=self._reason(ch.reason, by_id[ch.item_id], vault),
                )
                for ch in choices[:ONBOARDING_PICKS]
            ]
            text = vault.restore(message)
        else:
            picks = shown[:ONBOARDING_PICKS]
            items = fallback.plan_items(picks)
            name = vault.restore(context.name_placeholder) if context.name_placeholder else None
            text = fallback.onboarding_message(picks, name, goal, profile.personalized)
            model_name = "deterministic"
        return OnboardingPlan(
            # popular items stood in for the user's own while the vector store was down
            personalized=profile.personalized and candidates.fallback is None,
            message=text,
            items=items,
            provenance=_provenance(model_name, template.id, failure, shown, vault),
        )

    def _reason(self, model_reason: str, candidate: Candidate, vault: Vault) -> str:
        try:
            check_text(model_reason, vault)
            return vault.restore(model_reason.strip())[:200]
        except GuardFailure:
            return candidate.reasons[0] if candidate.reasons else "Recommended for you"

    # chat --------------------------------------------------------------------------------
    def chat(self, user_id: str, session_id: str, message: str) -> ChatTurn:
        done: dict[str, Any] = {}
        for event in self.chat_events(user_id, session_id, message):
            if event.kind == "done":
                done = event.data
        return ChatTurn.model_validate(done)

    def chat_events(
        self,
        user_id: str,
        session_id: str,
        message: str,
        history: list[tuple[str, str]] | None = None,
    ) -> Iterator[ChatEvent]:
        """One chat turn as a stream: token deltas, maybe a replace, then done (the ChatTurn).

        With `history` ((role, text) pairs, as OpenAI-style clients send it) the turn is
        stateless: that history is redacted and used, and nothing is stored."""
        stateless = history is not None
        profile = self._profiles.get(user_id)
        stored_vault = (
            {} if stateless else self._store.users.get_vault(user_id, session_id, self._vault_ttl_s)
        )
        vault = Vault(entries=stored_vault)
        safe_message = self._redactor.redact(message, vault)
        traits = self._store.users.get_traits(user_id) or {}
        elicit = profile.personalized and wants_elicitation(traits, not profile.cold_start)
        if not stateless and elicit:
            yield from self._elicit(user_id, session_id, traits, safe_message, vault)
            return
        consent = profile.consent
        learn = consent.personalization and consent.free_text
        signals = extract_signals(safe_message) if learn else None
        if signals:  # "I don't care about marketing": the ranking below already knows it
            self._profiles.learn(user_id, signals.interests, signals.dislikes)
            profile = self._profiles.get(user_id)
        context = user_context(profile, self._redactor, vault, self._recent_titles(user_id))
        query = self._embedder.embed([safe_message])[0]
        candidates = self._recommender.recommend(profile, CHAT_CANDIDATES, query_vector=query)
        template = load_template("chat")
        turns = (
            [(role, self._redactor.redact(text, vault)) for role, text in history]
            if history is not None
            else [(t.role, t.text) for t in self._store.users.recent_turns(user_id, session_id)]
        )
        past: list[BaseMessage] = [
            HumanMessage(text) if role == "user" else AIMessage(text) for role, text in turns
        ]

        def build(shown: list[Candidate], history: list[BaseMessage]) -> list[BaseMessage]:
            return template.render(
                history=history,
                product=self._product,
                profile=context.summary,
                candidates=candidate_lines(shown),
                example_id=shown[0].item.id if shown else "item-id",
                message=safe_message,
            )

        messages, shown = trim_to_budget(build, candidates, past, self._budget)
        by_id = {c.item.id: c for c in shown}
        raw, emitted, failure, model_name = "", "", None, self._model.name
        try:
            schema = chat_schema(list(by_id))
            self._audit(user_id, template.id, messages, vault)
            for piece in self._model.stream(messages, json_schema=schema):
                raw += piece
                text = partial_message(raw) if looks_like_json(raw) else raw
                visible = display(safe_prefix(text), by_id, vault)
                if visible.startswith(emitted) and len(visible) > len(emitted):
                    yield ChatEvent(kind="token", data={"text": visible[len(emitted) :]})
                    emitted = visible
            answer, listed = parse_chat(raw, set(by_id))
            check_text(answer, vault)
            ids = list(dict.fromkeys(listed + referenced_ids(answer, by_id)))
            if not ids:
                raise GuardFailure("ungrounded")  # an answer must stand on real items
        except GuardFailure as exc:
            failure = exc.reason
        except ProviderError as exc:
            failure = "timeout" if exc.field == "timeout" else "model_error"
        if failure is None:
            final, stored = display(answer, by_id, vault), answer
        else:
            ids = [c.item.id for c in shown[:3]]
            stored = fallback.chat_message(shown[:3])
            final, model_name = stored, "deterministic"
        if final.startswith(emitted):
            if len(final) > len(emitted):
                yield ChatEvent(kind="token", data={"text": final[len(emitted) :]})
        else:  # what was streamed must be taken back: the fallback replaces it
            yield ChatEvent(kind="replace", data={"message": final})
        if not stateless:
            self._store.users.add_turns(
                user_id,
                session_id,
                [
                    StoredTurn(role="user", text=safe_message),
                    StoredTurn(role="assistant", text=stored),
                ],
            )
            self._store.users.put_vault(user_id, session_id, vault.entries)
        cards = [self._card(by_id[i]) for i in ids]
        turn = ChatTurn(
            personalized=profile.personalized and candidates.fallback is None,
            session_id=session_id,
            message=final,
            cards=cards,
            provenance=_provenance(model_name, template.id, failure, shown, vault),
        )
        yield ChatEvent(kind="done", data=turn.model_dump(mode="json"))

    def _elicit(
        self, user_id: str, session_id: str, traits: dict[str, Any], safe_message: str, vault: Vault
    ) -> Iterator[ChatEvent]:
        """Ask for the next unknown (role, goal, interests); once all are known, answer
        with the onboarding plan the new profile earns."""
        updated = record_answer(traits, safe_message)
        question = next_question(updated, self._product)
        if question is not None:
            updated[ASKED] = question[0]
        self._store.users.put_traits(user_id, updated)
        if question is not None:
            text, cards = question[1], []
            provenance = _provenance("deterministic", "elicit.v1", None, [], vault)
        else:
            self._profiles.refresh([user_id])
            plan = self.onboard(user_id, goal=updated.get("goal"))
            items = self._store.catalog.get_many([i.item_id for i in plan.items])
            text, provenance = plan.message, plan.provenance
            cards = [
                ItemCard(
                    item_id=i.item_id,
                    title=i.title,
                    description=items[i.item_id].description[:240],
                    category=items[i.item_id].category,
                    reason=i.reason,
                )
                for i in plan.items
                if i.item_id in items
            ]
        turns = [
            StoredTurn(role="user", text=safe_message),
            StoredTurn(role="assistant", text=text),
        ]
        self._store.users.add_turns(user_id, session_id, turns)
        self._store.users.put_vault(user_id, session_id, vault.entries)
        yield ChatEvent(kind="token", data={"text": text})
        turn = ChatTurn(session_id=session_id, message=text, cards=cards, provenance=provenance)
        yield ChatEvent(kind="done", data=turn.model_dump(mode="json"))

    def _audit(
        self, user_id: str, template: str, messages: list[BaseMessage], vault: Vault
    ) -> None:
        """Record the call before it is made: what was sent, never who or what it said."""
        prompt = "\n".join(f"{m.type}: {m.content}" for m in messages)
        self._store.audit.record(
            "model_call",
            user_id,
            model=self._model.name,
            template=template,
            prompt_sha256=hashlib.sha256(prompt.encode()).hexdigest(),
            entities=dict(vault.found),
        )

    def _recent_titles(self, user_id: str, count: int = 3) -> list[str]:
        history = self._store.events.history([user_id]).get(user_id, [])
        ids = list(dict.fromkeys(e.item_id for e in reversed(history) if e.item_id))[:count]
        items = self._store.catalog.get_many(ids)
        return [items[i].title for i in ids if i in items]

    @staticmethod
    def _card(candidate: Candidate) -> ItemCard:
        item = candidate.item
        return ItemCard(
            item_id=item.id,
            title=item.title,
            description=item.description[:240],
            category=item.category,
            reason=candidate.reasons[0] if candidate.reasons else "Recommended for you",
        )


def _provenance(
    model: str, template: str, failure: str | None, shown: list[Candidate], vault: Vault
) -> Provenance:
    return Provenance(
        model=model,
        template=template,
        fallback=failure,
        candidates=[c.item.id for c in shown],
        redacted=dict(vault.found),
    )

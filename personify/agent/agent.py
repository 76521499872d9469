"""The PersonalizationAgent: redact, retrieve, prompt, generate and guard, restore.

Both requests read top-down: `onboard` and `chat_events` call one named step per line,
and every model answer goes through `ground_or_fall_back` (agent/grounding.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from langchain_core.messages import BaseMessage

from personify.agent import fallback
from personify.agent.context import UserContext, conversation, user_context
from personify.agent.elicit import next_question, record_answer, wants_elicitation
from personify.agent.faithfulness import Faithfulness, Unsupported, faithful
from personify.agent.followups import query_vector
from personify.agent.grounding import Grounded, PlanDraft, ground_or_fall_back
from personify.agent.guards import (
    GuardFailure,
    check_interests,
    check_text,
    check_welcome,
    interest_terms,
    parse_onboarding,
)
from personify.agent.learning import extract_signals
from personify.agent.models import ChatModel, Usage
from personify.agent.output_guard import OutputGuard
from personify.agent.prompting import ONBOARDING_PICKS, Prompt, chat_prompt, onboarding_prompt
from personify.agent.reasons import Explainer, Reason, Signals, lead_with, recent_items
from personify.agent.stream import AnswerStream
from personify.domain import (
    NO_TREATMENT,
    Candidate,
    ChatEvent,
    ChatTurn,
    Done,
    ItemCard,
    OnboardingPlan,
    PlanItem,
    Profile,
    Provenance,
    RankerName,
    TokenDelta,
    Tone,
    Treatment,
)
from personify.errors import NotFound
from personify.privacy.audit import AuditLog
from personify.privacy.redactor import Redactor
from personify.privacy.vault import Vault
from personify.privacy.vaults import VaultStore
from personify.retrieval.embeddings import Embedder
from personify.retrieval.profile_service import ProfileService
from personify.retrieval.recommender import Ranked, Recommender
from personify.store import Store
from personify.store.users import StoredTurn

ONBOARDING_CANDIDATES = 8
CHAT_CANDIDATES = 6
CHAT_CARDS_ON_FALLBACK = 3


class PersonalizationAgent:
    def __init__(
        self,
        *,
        store: Store,
        profiles: ProfileService,
        recommender: Recommender,
        redactor: Redactor,
        detector: Redactor,
        embedder: Embedder,
        model: ChatModel,
        audit: AuditLog,
        vaults: VaultStore,
        product: str = "our product",
        tone: Tone = "friendly",
        token_budget: int = 1400,
        on_cut: Callable[[Unsupported], None] = lambda kind: None,
    ) -> None:
        self._store = store
        self._profiles = profiles
        self._recommender = recommender
        self._redactor = redactor
        self._detector = detector  # the same, uncounted: it reads answers, not inputs
        self._embedder = embedder
        self._explainer = Explainer(embedder)  # a reason of its own for each candidate
        self._model = model
        self._audit_log = audit
        self._vaults = vaults
        self._product = product
        self._tone = tone
        self._budget = token_budget
        self._on_cut = on_cut  # counts each sentence cut as unsupported (/metrics)

    # onboarding --------------------------------------------------------------------------
    def onboard(
        self, user_id: str, goal: str | None = None, treatment: Treatment = NO_TREATMENT
    ) -> OnboardingPlan:
        """`treatment`: what a running experiment changes (ranker, template, item count)."""
        vault = Vault()  # one request: its placeholders are never stored
        profile = self._profiles.get(user_id)
        if not profile.consent.free_text:
            goal = None  # free text the user has not agreed to have used
        context = self._context(profile, vault)
        safe_goal = self._redactor.redact(goal, vault) if goal else None
        candidates, reasons = self._retrieve(
            profile, ONBOARDING_CANDIDATES, safe_goal, context, ranker=treatment.ranker
        )
        if not candidates:
            raise NotFound(
                "The catalog has no available items: POST /v1/items first.", field="items"
            )
        prompt = onboarding_prompt(
            product=self._product,
            tone=self._tone,
            context=context,
            goal=safe_goal,
            candidates=candidates,
            budget=self._budget,
            version=treatment.version_of("onboarding"),
            picks=treatment.n_items or ONBOARDING_PICKS,
        )
        self._audit(user_id, prompt, vault)
        picks = prompt.shown[: prompt.picks]
        name = vault.restore(context.name_placeholder) if context.name_placeholder else None
        usage = Usage()
        grounded = ground_or_fall_back(
            self._model.name,
            lambda: self._model_plan(prompt, vault, context, profile, usage),
            lambda: fallback.onboarding_plan(
                picks,
                name,
                goal,
                profile.personalized,
                product=self._product,
                tone=self._tone,
                reasons=reasons,
            ),
        )
        return OnboardingPlan(
            # popular items stood in for the user's own while the vector store was down
            personalized=profile.personalized and candidates.fallback is None,
            message=grounded.value.message,
            items=grounded.value.items,
            provenance=_provenance(grounded, prompt.template, prompt.shown, vault, usage),
        )

    def _model_plan(
        self, prompt: Prompt, vault: Vault, context: UserContext, profile: Profile, usage: Usage
    ) -> PlanDraft:
        reply = self._model.complete(prompt.messages, json_schema=prompt.schema)
        usage.tokens_in, usage.tokens_out = reply.tokens_in, reply.tokens_out
        message, choices = parse_onboarding(reply.text, prompt.shown, vault)
        guard = self._output_guard(prompt)
        guard.check_privacy(message)
        faith = Faithfulness.of(prompt.messages, prompt.shown)
        kept = faithful(message, faith)
        guard.check_names(kept.text)
        check_welcome(kept.text, self._product)
        terms = interest_terms(context.interests, profile.features.top_categories)
        check_interests(choices, prompt.shown, terms)
        by_id = prompt.by_id
        items = [
            PlanItem(
                item_id=choice.item_id,
                title=by_id[choice.item_id].item.title,
                reason=_reason(choice.reason, by_id[choice.item_id], vault, guard, faith),
            )
            for choice in choices[: prompt.picks]
        ]
        self._count_cuts([v.reason for v in kept.cut if v.reason])
        return PlanDraft(message=vault.restore(kept.text), items=items)

    # chat --------------------------------------------------------------------------------
    def chat_events(
        self,
        user_id: str,
        session_id: str,
        message: str,
        history: list[tuple[str, str]] | None = None,
        treatment: Treatment = NO_TREATMENT,
    ) -> Iterator[ChatEvent]:
        """One chat turn as a stream: TokenDelta pieces, maybe a Replace, then Done.

        With `history` ((role, text) pairs, as OpenAI-style clients send it) the turn is
        stateless: that history is redacted and used, and nothing is stored."""
        stateless = history is not None
        vault = Vault() if stateless else self._vaults.open(user_id, session_id)
        safe_message = self._redactor.redact(message, vault)
        profile = self._profiles.get(user_id)
        if not stateless and self._wants_elicitation(profile):
            yield from self._elicit(user_id, session_id, safe_message, vault)
            return
        profile = self._learn(profile, safe_message)
        context = self._context(profile, vault)
        past = self._past(user_id, session_id, history, vault)
        earlier = [str(m.content) for m in past if m.type == "human"]
        candidates, reasons = self._retrieve(
            profile, CHAT_CANDIDATES, safe_message, context, earlier, treatment.ranker
        )
        prompt = chat_prompt(
            product=self._product,
            tone=self._tone,
            context=context,
            message=safe_message,
            past=past,
            candidates=candidates,
            budget=self._budget,
            version=treatment.version_of("chat"),
        )
        self._audit(user_id, prompt, vault)
        faith = Faithfulness.of(prompt.messages, prompt.shown, question=safe_message)
        stream = AnswerStream(prompt, vault, self._output_guard(prompt), faith)
        yield from stream.generate(self._model)
        grounded = ground_or_fall_back(
            self._model.name,
            stream.answer,
            lambda: fallback.chat_answer(prompt.shown, reasons, CHAT_CARDS_ON_FALLBACK),
        )
        if grounded.fallback is None:
            self._count_cuts(stream.cut)
        else:  # what was already shown stays; the fallback follows it
            grounded = replace(grounded, value=stream.continued(grounded.value))
        yield from stream.settle(grounded.value.text)
        if not stateless:
            self._remember(user_id, session_id, safe_message, grounded.value.stored, vault)
        by_id = prompt.by_id
        turn = ChatTurn(
            personalized=profile.personalized and candidates.fallback is None,
            session_id=session_id,
            message=grounded.value.text,
            cards=[
                _card(by_id[i], fallback.first_reason(by_id[i]))
                for i in grounded.value.item_ids[: treatment.n_items]
            ],
            provenance=_provenance(grounded, prompt.template, prompt.shown, vault, stream.usage),
        )
        yield Done(turn=turn)

    def _learn(self, profile: Profile, safe_message: str) -> Profile:
        """Interests and dislikes the message states go into the profile first, so this
        very answer knows them ("I don't care about marketing")."""
        consent = profile.consent
        if not (consent.personalization and consent.free_text):
            return profile
        signals = extract_signals(safe_message)
        if not signals:
            return profile
        self._profiles.learn(profile.user_id, signals.interests, signals.dislikes)
        return self._profiles.get(profile.user_id)

    def _past(
        self,
        user_id: str,
        session_id: str,
        history: list[tuple[str, str]] | None,
        vault: Vault,
    ) -> list[BaseMessage]:
        """The conversation so far, redacted now: all of a client's history; of the stored
        one, what the user wrote, though it was redacted as it was stored, so what slipped
        through then is caught by today's redactor (the stored answers passed the output
        guard)."""
        if history is not None:
            return conversation(history, self._redactor, vault, answers_too=True)
        stored = self._store.users.recent_turns(user_id, session_id)
        turns = [(t.role, t.text) for t in stored]
        return conversation(turns, self._redactor, vault, answers_too=False)

    # elicitation: a user we know nothing about is asked first ---------------------------
    def _wants_elicitation(self, profile: Profile) -> bool:
        if not profile.personalized:
            return False
        traits = self._store.users.get_traits(profile.user_id) or {}
        asking = self._store.notes.get(profile.user_id).asking
        return wants_elicitation(traits, asking, not profile.cold_start)

    def _elicit(
        self, user_id: str, session_id: str, safe_message: str, vault: Vault
    ) -> Iterator[ChatEvent]:
        """Record the answer to the pending question and ask the next one; once all are
        known, answer with the onboarding plan the new profile earns."""
        notes = self._store.notes.get(user_id)
        traits = record_answer(
            self._store.users.get_traits(user_id) or {}, notes.asking, safe_message
        )
        question = next_question(traits, self._product)
        self._store.users.put_traits(user_id, traits)
        asking = question[0] if question is not None else None
        self._store.notes.put(user_id, notes.model_copy(update={"asking": asking}))
        if question is not None:
            text, cards = question[1], []
            provenance = Provenance(
                model="deterministic",
                template="elicit.v1",
                candidates=[],
                redacted=dict(vault.found),
            )
        else:
            self._profiles.refresh([user_id])
            plan = self.onboard(user_id, goal=traits.get("goal"))
            text, cards, provenance = plan.message, self._plan_cards(plan), plan.provenance
        self._remember(user_id, session_id, safe_message, text, vault)
        yield TokenDelta(text=text)
        turn = ChatTurn(session_id=session_id, message=text, cards=cards, provenance=provenance)
        yield Done(turn=turn)

    def _plan_cards(self, plan: OnboardingPlan) -> list[ItemCard]:
        items = self._store.catalog.get_many([i.item_id for i in plan.items])
        return [
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

    # steps both requests share -----------------------------------------------------------
    def _context(self, profile: Profile, vault: Vault) -> UserContext:
        return user_context(profile, self._redactor, vault, self._recent_titles(profile.user_id))

    def _retrieve(
        self,
        profile: Profile,
        n: int,
        query: str | None,
        context: UserContext,
        earlier: Sequence[str] = (),
        ranker: RankerName | None = None,
    ) -> tuple[Ranked, dict[str, Reason]]:
        """Candidates for the user, each led by a reason of its own (agent/reasons.py). The
        (redacted) question or goal steers them, read with the user's `earlier` messages
        when it follows up on them (agent/followups.py)."""
        vector = query_vector(self._embedder, query, earlier) if query else None
        ranked = self._recommender.recommend(
            profile, n, query_vector=vector, ranker=ranker or "personalized"
        )
        interests = [*context.interests, *profile.notes.interests]
        recent = recent_items(self._store, profile)
        signals = Signals(query=vector, interests=interests, recent=recent)
        reasons = self._explainer.explain(ranked, signals)
        lead_with(ranked, reasons)
        return ranked, reasons

    def _count_cuts(self, kinds: list[Unsupported]) -> None:
        for kind in kinds:
            self._on_cut(kind)

    def _output_guard(self, prompt: Prompt) -> OutputGuard:
        return OutputGuard(self._detector, prompt.messages, (c.item.id for c in prompt.shown))

    def _audit(self, user_id: str, prompt: Prompt, vault: Vault) -> None:
        """Record the call before it is made: what was sent, never who or what it said."""
        text = "\n".join(f"{m.type}: {m.content}" for m in prompt.messages)
        self._audit_log.record(
            "model_call",
            user_id,
            model=self._model.name,
            template=prompt.template,
            prompt_sha256=hashlib.sha256(text.encode()).hexdigest(),
            entities=dict(vault.found),
        )

    def _remember(
        self, user_id: str, session_id: str, safe_message: str, answer: str, vault: Vault
    ) -> None:
        """Keep the turn (redacted) and the session's pseudonyms for the next turn."""
        turns = [
            StoredTurn(role="user", text=safe_message),
            StoredTurn(role="assistant", text=answer),
        ]
        self._store.users.add_turns(user_id, session_id, turns)
        self._vaults.save(user_id, session_id, vault)

    def _recent_titles(self, user_id: str, count: int = 3) -> list[str]:
        history = self._store.events.history([user_id]).get(user_id, [])
        ids = list(dict.fromkeys(e.item_id for e in reversed(history) if e.item_id))[:count]
        items = self._store.catalog.get_many(ids)
        return [items[i].title for i in ids if i in items]


def _reason(
    model_reason: str, candidate: Candidate, vault: Vault, guard: OutputGuard, faith: Faithfulness
) -> str:
    """The model's reason for a pick when it gave one that passes the guards and every
    sentence of it is supported, else retrieval's own (agent/reasons.py)."""
    if not model_reason.strip():
        return fallback.first_reason(candidate)
    try:
        check_text(model_reason, vault)
        guard.check(model_reason)
    except GuardFailure:
        return fallback.first_reason(candidate)
    if faith.keep_supported(model_reason).cut:
        return fallback.first_reason(candidate)
    return vault.restore(model_reason.strip())[:200]


def _card(candidate: Candidate, reason: str) -> ItemCard:
    item = candidate.item
    return ItemCard(
        item_id=item.id,
        title=item.title,
        description=item.description[:240],
        category=item.category,
        reason=reason,
    )


def _provenance(
    grounded: Grounded[object],
    template: str,
    shown: list[Candidate],
    vault: Vault,
    usage: Usage,
) -> Provenance:
    return Provenance(
        model=grounded.model,
        template=template,
        fallback=grounded.fallback,
        candidates=[c.item.id for c in shown],
        redacted=dict(vault.found),
        tokens_in=usage.tokens_in,
        tokens_out=usage.tokens_out,
    )

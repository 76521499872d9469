"""A chat answer as the model writes it: raw text in; out, as deltas, only what the user
may see. Text is released a sentence at a time, once that sentence has passed the output
guard (agent/output_guard.py): nothing a guard would reject is ever streamed, so a client
that ignores a later Replace still showed nothing it should not have. A sentence the
context does not support (agent/faithfulness.py) is cut: never released, never taken
back. Item markers turn into titles and the user's own values are restored as it goes."""

from __future__ import annotations

from collections.abc import Iterator

from personify.agent.answer_text import display, referenced_ids, safe_prefix
from personify.agent.faithfulness import (
    SENTENCE_END,
    Faithfulness,
    Kept,
    Unsupported,
    faithful,
    sentences,
)
from personify.agent.grounding import ChatAnswer
from personify.agent.guards import GuardFailure, check_sentence, check_text, parse_chat
from personify.agent.models import ChatModel, Usage
from personify.agent.output_guard import OutputGuard
from personify.agent.partial_json import looks_like_json, partial_message
from personify.agent.prompting import Prompt
from personify.domain import ChatEvent, FallbackReason, Replace, TokenDelta
from personify.errors import ProviderError
from personify.privacy.vault import Vault


class AnswerStream:
    def __init__(
        self, prompt: Prompt, vault: Vault, guard: OutputGuard, faithfulness: Faithfulness
    ) -> None:
        self._prompt = prompt
        self._by_id = prompt.by_id
        self._vault = vault
        self._guard = guard
        self._faith = faithfulness
        self._raw = ""
        self._passed = 0  # how much of the message has been read a sentence at a time
        self._kept = ""  # of that, the sentences that passed (raw)
        self._sent = ""  # what the user has been shown so far
        self._error: ProviderError | GuardFailure | None = None
        self.cut: list[Unsupported] = []  # why each sentence of the answer was cut
        self.usage = Usage()  # the model's token counts, once the stream has ended

    def generate(self, model: ChatModel) -> Iterator[TokenDelta]:
        """Stream the model's answer, sentence by sentence. A model failure or a guard
        rejection ends the stream quietly; `answer` raises it again, where the fallback
        is decided."""
        try:
            pieces = model.stream(
                self._prompt.messages, json_schema=self._prompt.schema, usage=self.usage
            )
            for piece in pieces:
                self._raw += piece
                yield from self._release(self._message())
        except (ProviderError, GuardFailure) as exc:
            self._error = exc

    def _message(self) -> str:
        return partial_message(self._raw) if looks_like_json(self._raw) else self._raw

    def _release(self, message: str) -> Iterator[TokenDelta]:
        ends = [m.end() for m in SENTENCE_END.finditer(message, self._passed)]
        if not ends:
            return
        for sentence in sentences(message[self._passed : ends[-1]]):
            self._guard.check_privacy(sentence)  # fails closed, cut or not
            if self._faith.check(sentence).supported and _clean(sentence, self._vault):
                self._guard.check_names(sentence)
                self._kept += sentence
        self._passed = ends[-1]
        visible = display(safe_prefix(self._kept.lstrip()), self._by_id, self._vault)
        if visible.startswith(self._sent) and len(visible) > len(self._sent):
            yield TokenDelta(text=visible[len(self._sent) :])
            self._sent = visible

    def answer(self) -> ChatAnswer:
        """The whole answer less its unsupported sentences, if what is left passes the
        guards and stands on real items."""
        if self._error is not None:
            raise self._error
        text, listed = parse_chat(self._raw, set(self._by_id))
        self._guard.check_privacy(text)
        kept = faithful(text, self._faith)
        self.cut = [v.reason for v in kept.cut if v.reason is not None]
        check_text(kept.text, self._vault)
        self._guard.check_names(kept.text)
        # The model chooses which candidates stand behind its answer; they are shown in
        # retrieval's order, which ranks them against the question (the first card is
        # the best match the model chose, whatever order it named them in).
        chosen = set(listed + referenced_ids(kept.text, self._by_id))
        ids = [c.item.id for c in self._prompt.shown if c.item.id in chosen]
        if not ids:
            raise GuardFailure(self._why_ungrounded(text, kept))
        return ChatAnswer(
            text=display(kept.text, self._by_id, self._vault), stored=kept.text, item_ids=ids
        )

    def _why_ungrounded(self, text: str, kept: Kept) -> FallbackReason:
        """Unfaithful when the cut sentences were the ones that named items."""
        return "unfaithful" if kept.cut and referenced_ids(text, self._by_id) else "ungrounded"

    def continued(self, fallback: ChatAnswer) -> ChatAnswer:
        """The fallback after what was already streamed: those sentences passed every
        guard, so they stay and the fallback follows them (nothing is taken back)."""
        if not self._sent:
            return fallback
        released = safe_prefix(self._kept.lstrip())  # redacted, as it was released
        return ChatAnswer(
            text=f"{self._sent}\n\n{fallback.text}",
            stored=f"{released}\n\n{fallback.stored}",
            item_ids=fallback.item_ids,
        )

    def settle(self, final: str) -> Iterator[ChatEvent]:
        """The rest of `final` after what was streamed, or a Replace when `final` does
        not continue it (a fallback takes back what was streamed)."""
        if not final.startswith(self._sent):
            yield Replace(message=final)
        elif len(final) > len(self._sent):
            yield TokenDelta(text=final[len(self._sent) :])


def _clean(sentence: str, vault: Vault) -> bool:
    """No artifact, link or foreign placeholder (guards.check_sentence): else it is cut."""
    try:
        check_sentence(sentence, vault)
    except GuardFailure:
        return False
    return True

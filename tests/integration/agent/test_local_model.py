"""The real local model (SmolLM2 in llama-cpp-python): whatever it writes, answers stay
grounded and private."""

from collections.abc import Iterator

import pytest
from langchain_core.messages import HumanMessage

from personify.agent.local import LocalLlamaModel
from personify.agent.testing import RecordingChatModel
from personify.demo import load_demo, personas
from personify.domain import Done, Replace, TokenDelta
from personify.errors import ProviderTimeout
from personify.parts import SharedParts
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.service import Personify
from personify.settings import Settings, load_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_model() -> LocalLlamaModel:
    settings = load_settings()
    return LocalLlamaModel(settings.model_file(), threads=2, max_tokens=200, timeout_s=60)


@pytest.fixture
def real(
    settings: Settings,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
    local_model: LocalLlamaModel,
) -> Iterator[tuple[Personify, RecordingChatModel]]:
    recorder = RecordingChatModel(local_model)
    service = Personify(
        settings, SharedParts(settings, model=recorder, presidio=redactor, embedder=embedder)
    )
    load_demo(service)
    yield service, recorder
    service.close()


def test_onboarding_with_the_local_model_is_grounded_and_private(
    real: tuple[Personify, RecordingChatModel],
) -> None:
    service, recorder = real
    plans = [service.onboard(persona["user_id"]) for persona in personas()]
    for plan in plans:
        assert plan.message.strip()
        assert plan.items
        assert {i.item_id for i in plan.items} <= set(plan.provenance.candidates)
        assert plan.provenance.model in ("local:SmolLM2-135M-Instruct.Q4_1.gguf", "deterministic")
        for item in plan.items:
            assert service.item(item.item_id).title == item.title
    # The model ran and answered: a fallback may reject a weak answer, never stand in for
    # a model that fails to load or to answer at all.
    assert all(plan.provenance.fallback not in ("model_error", "timeout") for plan in plans)
    assert all(reply.strip() for reply in recorder.replies)
    assert any(plan.provenance.fallback is None for plan in plans)
    sent = "\n".join(str(m.content) for call in recorder.history for m in call)
    assert len(recorder.history) == 3
    for persona in personas():
        for key in ("name", "email"):
            if key in persona["traits"]:
                assert persona["traits"][key] not in sent
    assert "+1 415 555 0199" not in sent  # in Marco's free-text trait


def test_chat_with_the_local_model_streams_what_it_answers(
    real: tuple[Personify, RecordingChatModel],
) -> None:
    service, _ = real
    events = list(service.chat_events("sam", "live", "How can I keep an eye on support SLAs?"))
    shown = ""  # what a client following the stream shows: sentences, or a replacement
    for event in events:
        if isinstance(event, TokenDelta):
            shown += event.text
        elif isinstance(event, Replace):
            shown = event.message
    done = events[-1]
    assert isinstance(done, Done)
    assert shown == done.turn.message
    assert done.turn.cards
    assert {c.item_id for c in done.turn.cards} <= set(done.turn.provenance.candidates)
    # llama.cpp's own count: the prompt, with its template, is far longer than the reply
    used = done.turn.provenance
    assert used.tokens_in > 100 and 0 < used.tokens_out <= 200


def test_a_request_waiting_for_the_busy_model_times_out() -> None:
    """The wait for the model counts against the deadline: a request queued behind a
    long generation gets a ProviderTimeout (and its fallback), not minutes of waiting."""
    settings = load_settings()
    model = LocalLlamaModel(settings.model_file(), threads=2, max_tokens=16, timeout_s=10.0)
    messages = [HumanMessage("Say hello.")]
    reply = model.complete(messages)  # loaded, and the prompt cached: the first token is quick
    assert 0 < reply.tokens_out <= 16 and reply.tokens_in >= len("Say hello.".split())
    busy = model.stream(messages)
    next(busy)  # a generation under way holds the model
    try:
        with pytest.raises(ProviderTimeout, match="busy"):
            model.complete(messages)
    finally:
        busy.close()
    again = model.stream(messages)
    try:  # free again once the first is closed: no wait for the model (it may still be slow)
        next(again)
    except ProviderTimeout as exc:
        assert "busy" not in str(exc)
    finally:
        again.close()

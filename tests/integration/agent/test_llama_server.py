"""The agent against a real OpenAI-compatible server: llama.cpp's own
(`python -m llama_cpp.server`) with the SmolLM2 GGUF, on loopback. The same guarantees
hold whatever structured-output features that server honours."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from personify.agent.openai_compat import OpenAICompatibleModel
from personify.agent.testing import RecordingChatModel
from personify.demo import load_demo, personas
from personify.parts import SharedParts
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.service import Personify
from personify.settings import Settings, load_settings
from tests.servers import free_port, run_process

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("starlette_context") is None:
        pytest.skip("llama-cpp-python[server] is not installed (make test installs it)")
    model = load_settings().model_file()
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        "smollm2",
    ]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--n_ctx", "2048"]
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with run_process(command, f"http://127.0.0.1:{port}/v1/models", log):
        yield f"http://127.0.0.1:{port}/v1"


def test_onboarding_and_chat_through_llama_cpp_server(
    llama_server: str, tmp_path: Path, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> None:
    settings: Settings = load_settings(
        data_dir=tmp_path,
        llm_provider="openai",
        openai_base_url=llama_server,
        openai_model="smollm2",
        llm_timeout_s=120,
    ).check()
    recorder = RecordingChatModel(OpenAICompatibleModel.from_settings(settings))
    service = Personify(
        settings, SharedParts(settings, model=recorder, presidio=redactor, embedder=embedder)
    )
    try:
        load_demo(service)
        for persona in personas():
            plan = service.onboard(persona["user_id"], goal="Get value in the first week")
            assert plan.items and {i.item_id for i in plan.items} <= set(plan.provenance.candidates)
            assert plan.provenance.model in ("openai:smollm2", "deterministic")
        turn = service.chat("dana", "s", "I'm Dana Whitfield; how do I catch late data loads?")
        assert turn.cards and {c.item_id for c in turn.cards} <= set(turn.provenance.candidates)
        sent = " ".join(str(m.content) for call in recorder.history for m in call)
        assert len(recorder.history) == 4
        for persona in personas():
            for key in ("name", "email"):
                if key in persona["traits"]:
                    assert persona["traits"][key] not in sent
        assert "Dana Whitfield" not in sent
    finally:
        service.close()

"""The generation harness: its own logic against a scripted model (one invented item per
onboarding, PII echoed nowhere), then the real local model on a few users."""

import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from langchain_core.messages import BaseMessage

from personify.agent.testing import ScriptedChatModel
from personify.cli import main
from personify.evals.dataset import load_dataset
from personify.evals.generation import evaluate_generation
from personify.evals.planted import plant
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.settings import load_settings
from tests.evals.synthetic import write_dataset

LINE = re.compile(r"^([a-z]{3}-\d+-[a-z]+) \|", re.MULTILINE)


def candidates(messages: list[BaseMessage]) -> list[str]:
    return LINE.findall("\n".join(str(m.content) for m in messages))


def reply(messages: list[BaseMessage]) -> str:
    ids = candidates(messages)
    if "JSON" in str(messages[0].content) or "json" in str(messages[-1].content).lower():
        items = [{"item_id": i, "reason": "A good match for your interests."} for i in ids[:2]]
        items.append({"item_id": "invented-item", "reason": "Trust me."})
        return json.dumps({"message": "Welcome! Start with these.", "items": items})
    return f"Try [[{ids[0]}]], it fits what you like."


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory):
    return load_dataset(write_dataset(tmp_path_factory.mktemp("topics"), users=12))


def test_scripted_model_figures(dataset, tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    model = ScriptedChatModel(default=reply)
    report = evaluate_generation(
        dataset,
        users=3,
        seed=1,
        settings=load_settings(data_dir=tmp_path),
        model=model,
        embedder=embedder,
    )
    got = report.results
    assert got.calls == 9  # onboarding and two chat turns for each of 3 users
    assert got.named_items > 0
    assert 0 < got.hallucinated_item_rate < 1  # the invented id, counted in raw replies
    assert got.hallucinated_item_rate_shown == 0.0  # and never shown to the user
    assert got.pii_leak_rate == 0.0
    assert got.latency_ms_p50 > 0 and got.tokens_in > 0 and got.tokens_out > 0
    assert got.judge is None
    written = report.to_json()["results"]["generation"]
    assert "skipped" in written["judge"]
    assert (
        written["by_kind"]["chat"]["calls"] == 6 and "fallback_rate" in written["by_kind"]["chat"]
    )
    sent = "\n".join(str(m.content) for ms in model.history for m in ms)
    assert plant(0).email not in sent and plant(0).name not in sent
    assert "<EMAIL_ADDRESS" in sent or "<PERSON" in sent  # the planted values were replaced


class Transparent:
    """A redactor that finds nothing: every planted value must then count as a leak."""

    def find(self, text: str) -> list:
        return []

    def redact(self, text: str, vault: object) -> str:
        return text

    def scoped(self, allowed: object) -> "Transparent":
        return self


def test_a_leak_is_detected(dataset, tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    report = evaluate_generation(
        dataset,
        users=2,
        settings=load_settings(data_dir=tmp_path),
        model=ScriptedChatModel(default=reply),
        embedder=embedder,
        redactor=Transparent(),
    )
    assert report.results.pii_leak_rate == 1.0


@pytest.mark.slow
def test_local_model_through_the_cli(
    dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSONIFY_DATA_DIR", str(tmp_path / "data"))
    from personify.settings import get_settings

    get_settings.cache_clear()
    assert (
        main(
            [
                "eval",
                "generation",
                "--dataset",
                str(dataset.path),
                "--users",
                "2",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    got = json.loads((tmp_path / "report.json").read_text())["results"]["generation"]
    assert got["calls"] == 6
    assert got["pii_leak_rate"] == 0.0
    assert got["hallucinated_item_rate_shown"] == 0.0
    for key in ("fallback_rate", "personalization_rate", "latency_ms_p95", "tokens_out"):
        assert key in got


def judge_server(received: list[dict]) -> FastAPI:
    """An OpenAI-compatible judge on loopback: one answer in three is not JSON."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> dict:
        body = await request.json()
        received.append(body)
        text = (
            "I cannot grade that."
            if len(received) % 3 == 0
            else json.dumps({"relevance": 4, "tone": 5, "specificity": 3})
        )
        return {
            "id": "j",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    return app


def test_a_configured_judge_grades_every_answer(
    dataset, tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    from tests.servers import serve_in_thread

    received: list[dict] = []
    with serve_in_thread(judge_server(received)) as url:
        settings = load_settings(
            data_dir=tmp_path, judge_base_url=f"{url}/v1", judge_model="grader"
        )
        report = evaluate_generation(
            dataset,
            users=2,
            settings=settings,
            model=ScriptedChatModel(default=reply),
            embedder=embedder,
        )
    judge = report.results.judge
    assert judge is not None
    assert judge.scored + judge.unparseable == 6 == len(received)
    assert judge.unparseable == 2
    assert (judge.relevance, judge.tone, judge.specificity) == (4.0, 5.0, 3.0)
    sent = json.dumps(received)
    assert plant(0).email not in sent and plant(1).phone not in sent  # the judge sees no PII

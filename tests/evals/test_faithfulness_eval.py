"""The faithfulness figures: the check's precision and recall on the labelled sentences,
and, in the generation report, what reached users (faithfulness_rate, denial_rate,
withdrawn_stream_rate) with a scripted model that invents and one that gets taken back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage

from personify.agent.testing import ScriptedChatModel
from personify.cli import main
from personify.evals.dataset import load_dataset
from personify.evals.faithfulness import evaluate_faithfulness, load_examples, score
from personify.evals.generation import evaluate_generation
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.settings import load_settings
from tests.evals.synthetic import write_dataset

LINE = re.compile(r"^([a-z]{3}-\d+-[a-z]+) \|", re.MULTILINE)


def test_the_labelled_set_has_fixed_halves_of_every_kind() -> None:
    examples = load_examples()
    assert len(examples) >= 120
    for split in ("train", "test"):
        half = [e for e in examples if e.split == split]
        assert {e.kind for e in half} == {None, "number", "name", "denial", "claim", "echo"}


def test_precision_and_recall_are_measured_on_the_held_out_half(tmp_path: Path) -> None:
    assert main(["eval", "faithfulness", "--out", str(tmp_path)]) == 0
    got = json.loads((tmp_path / "report.json").read_text())["results"]["faithfulness"]
    test = got["shipped"]["test"]
    assert test["sentences"] == len([e for e in load_examples() if e.split == "test"])
    assert test["precision"] >= 0.8 and test["recall"] >= 0.8
    assert set(got["overlap"]["train_f1_by_threshold"]) and "semantic" not in got
    assert got == evaluate_faithfulness()["faithfulness"]  # deterministic


def test_scores_count_cuts_against_labels() -> None:
    test = [e for e in load_examples() if e.split == "test"]
    nothing = score(test, [False] * len(test))
    assert (nothing.precision, nothing.recall, nothing.cut) == (0.0, 0.0, 0)
    everything = score(test, [True] * len(test))
    assert everything.recall == 1.0
    assert everything.precision == round(everything.unsupported / len(test), 4)


def ids(messages: list[BaseMessage]) -> list[str]:
    return LINE.findall("\n".join(str(m.content) for m in messages))


def onboarding(messages: list[BaseMessage]) -> bool:
    return "onboarding" in str(messages[0].content)


def inventing(messages: list[BaseMessage]) -> str:
    """Each answer denies its first candidate, invents a figure, then says something true."""
    first = ids(messages)[0]
    bad = f"You can't read [[{first}]] here. It is rated 4.9 by 3,000 readers."
    if onboarding(messages):
        items = [{"item_id": first, "reason": "Loved by 87% of readers."}]
        return json.dumps({"message": f"{bad} Welcome, start with this one.", "items": items})
    return f"{bad} Try [[{first}]], it fits what you like."


def taken_back(messages: list[BaseMessage]) -> str:
    """Chat answers that stream a sentence and then fall back (they name no item)."""
    if onboarding(messages):
        return "not json"
    return "Good question, let me think about that. I am only a humble assistant, sorry."


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory):
    return load_dataset(write_dataset(tmp_path_factory.mktemp("topics"), users=12))


def test_cut_sentences_never_reach_the_report(
    dataset, tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    report = evaluate_generation(
        dataset,
        users=2,
        settings=load_settings(data_dir=tmp_path),
        model=ScriptedChatModel(default=inventing),
        embedder=embedder,
    )
    got = report.results
    assert got.fallback_rate == 0.0  # cut, not fallen back
    assert got.faithfulness_rate == 1.0
    assert got.denial_rate == 0.0
    assert got.withdrawn_stream_rate == 0.0
    written = report.to_json()["results"]["generation"]
    assert {"faithfulness_rate", "denial_rate", "withdrawn_stream_rate"} <= set(written)


def test_a_stream_that_falls_back_takes_nothing_back(
    dataset, tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    """The sentences streamed before a fallback passed every guard: they stay, and the
    fallback follows them, so no stream is withdrawn."""
    report = evaluate_generation(
        dataset,
        users=2,
        settings=load_settings(data_dir=tmp_path),
        model=ScriptedChatModel(default=taken_back),
        embedder=embedder,
    )
    got = report.results
    assert got.withdrawn_stream_rate == 0.0  # every chat answer streamed, then fell back
    assert got.fallback_rate == 1.0
    assert got.faithfulness_rate == 1.0  # the deterministic answers stand on their context

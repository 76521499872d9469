"""The recommendation harness end to end on a small dataset of our own (real embedder,
real Chroma, the real `implicit` baselines and LightGBM)."""

import json
from pathlib import Path

import pytest

from personify.evals.dataset import load_dataset
from personify.evals.recs import SLICES, SYSTEMS, RecsReport, evaluate_recs
from personify.evals.report import write_recs_report
from personify.retrieval.embeddings import MiniLMEmbedder
from tests.evals.synthetic import write_dataset


def run(folder: Path) -> RecsReport:
    dataset = load_dataset(write_dataset(folder))
    return evaluate_recs(
        dataset, min_value=4, ks=(5, 10), seed=3, progress=False, embedder=MiniLMEmbedder()
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> RecsReport:
    return run(tmp_path_factory.mktemp("topics"))


def test_every_system_slice_and_metric_is_reported(report: RecsReport) -> None:
    for system in SYSTEMS:
        for name in SLICES:
            values = report.results[system][name]
            for metric in (
                "ndcg@5",
                "recall@10",
                "mrr@10",
                "hit@5",
                "coverage@10",
                "diversity@10",
                "novelty@10",
            ):
                assert 0.0 <= values[metric] <= (20.0 if metric.startswith("novelty") else 1.0)
            low, high = report.intervals[system][name]["ndcg@10"]
            assert low <= values["ndcg@10"] <= high
    counts = report.counts.scored_users
    assert counts["all"] == counts["cold"] + counts["warm"] > 0
    assert report.counts.simulated_cold > 0


def test_personify_beats_popularity_when_users_keep_to_one_topic(report: RecsReport) -> None:
    personify = report.results["personify"]
    popularity = report.results["popularity"]
    assert personify["all"]["ndcg@10"] > 1.2 * popularity["all"]["ndcg@10"]
    assert personify["cold"]["ndcg@10"] > popularity["cold"]["ndcg@10"]
    assert report.training["warm"]["queries"] > 0  # the learned re-ranker was fitted


def test_reports_are_written(report: RecsReport, tmp_path: Path) -> None:
    path = write_recs_report(report, tmp_path)
    written = json.loads(path.read_text())
    assert list(written) == [
        "dataset",
        "settings",
        "counts",
        "results",
        "intervals",
        "als_search",
        "baseline_search",
        "personify_training",
        "timings_s",
    ]
    assert written["results"].keys() == set(SYSTEMS)
    assert written["results"]["personify"]["cold"] == report.results["personify"]["cold"]
    assert written["als_search"]["trials"][0].keys() == {*written["als_search"]["best"], "ndcg@10"}
    searched = written["baseline_search"]
    assert searched.keys() == {"recency_itemknn", "transitions", "ease"}
    for search in searched.values():
        assert search["best"] in [
            {k: v for k, v in t.items() if k != "ndcg@10"} for t in search["trials"]
        ]
    # The synthetic dataset has no timestamps: recency is searched by position only.
    assert {t["decay"] for t in searched["recency_itemknn"]["trials"]} == {"position"}
    summary = (tmp_path / "summary.md").read_text()
    assert "## Slice: cold" in summary
    for system in SYSTEMS:
        assert f"| {system} |" in summary
    assert "ease chosen the same way: {'l2': " in summary
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3


def test_the_same_seed_gives_the_same_report(report: RecsReport, tmp_path: Path) -> None:
    assert run(tmp_path / "again").results == report.results

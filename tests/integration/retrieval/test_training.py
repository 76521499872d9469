"""`personify train` on a log of our own: ALS factors and per-segment rankers are written,
picked up by the serving path (in every instance sharing the data dir) and used."""

import json
from pathlib import Path

import pytest

from personify.cli import main
from personify.evals.dataset import as_events, load_dataset
from personify.retrieval.candidates import RANKER_FEATURES
from personify.retrieval.trained import META_FILE, FeatureRanker, LearnedRanker, load
from personify.service import Personify
from tests.conftest import build
from tests.evals.synthetic import write_dataset


@pytest.fixture
def trained(service: Personify, tmp_path: Path) -> Personify:
    data = load_dataset(write_dataset(tmp_path / "topics", users=120, per_user=14))
    service.index_items(data.items)
    service.ingest(as_events(data.interactions))
    service.train(seed=2)
    return service


def test_training_writes_factors_and_rankers(trained: Personify) -> None:
    folder = trained.settings.data_dir / "models"
    meta = json.loads((folder / META_FILE).read_text())
    assert meta["features"] == list(RANKER_FEATURES)
    assert meta["warm"]["queries"] > 20
    chosen = meta["warm"]["validation"]["chosen"]
    assert chosen.startswith("learned") or chosen in (
        "log_popularity",
        "covisit_score",
        "als_score",
    )
    assert set(meta["sequences"]["chosen"]) == {
        "decay",
        "half_life",
        "neighbours",
        "window",
        "last",
    }
    assert f"ease l2 {meta['ease']['chosen']['l2']:g}" in meta["ease"]["ndcg@10"]
    got = load(folder)
    assert got.factors is not None and got.sequences is not None and got.ease is not None
    assert isinstance(got.rankers["warm"], LearnedRanker | FeatureRanker)


def test_trained_generators_serve_and_explain(trained: Personify) -> None:
    ranked = trained.recommend("u1", 10).items
    assert len(ranked) == 10
    sources = {s for c in ranked for s in c.sources}
    assert "als" in sources or "covisit" in sources
    seen = {e.item_id for e in trained.store.events.for_user("u1")}
    assert not seen & {c.item.id for c in ranked}
    # u1 keeps to cooking (see tests/evals/synthetic.py): most of the list should too
    assert sum(c.item.category == "cooking" for c in ranked) >= 6
    # the ranker's reasons come first and name what raised the item: one of u1's own items
    # or a category, never only where a generator found it
    titles = {i.title for i in trained.store.catalog.get_many(list(seen)).values()}
    firsts = [c.reasons[0] for c in ranked]
    named = [r for r in firsts if any(t in r for t in titles) or "cooking" in r]
    assert len(named) >= 8, firsts


def test_another_instance_picks_up_a_new_training(
    trained: Personify, embedder, redactor, scripted
) -> None:  # noqa: ANN001
    other = build(trained.settings, embedder, redactor, scripted)
    try:
        first = other.trained.get().meta["trained_at"]
        trained.train(seed=3)
        assert other.trained.get().meta["trained_at"] > first
        assert other.recommend("u2", 5).items
    finally:
        other.close()


def test_a_training_for_other_features_is_ignored(trained: Personify) -> None:
    folder = trained.settings.data_dir / "models"
    meta = json.loads((folder / META_FILE).read_text())
    meta["features"] = meta["features"][:-1]
    (folder / META_FILE).write_text(json.dumps(meta))
    stale = load(folder)
    assert not stale.rankers and stale.factors is None and "stale" in stale.meta
    assert trained.recommend("u1", 5).items  # served by the fixed blend meanwhile


def test_personify_train_on_the_command_line(
    trained: Personify, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from personify.settings import get_settings

    store = ("data_dir", "chroma_url", "chroma_database", "database_url", "database_schema")
    for name in store:  # the command reads the same stores from the environment
        monkeypatch.setenv(f"PERSONIFY_{name.upper()}", str(getattr(trained.settings, name)))
    get_settings.cache_clear()
    trained.close()
    assert main(["train", "--seed", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["users"] == 120 and "warm" in printed

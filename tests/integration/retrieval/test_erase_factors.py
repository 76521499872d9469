"""Trained ALS factors hold nothing of a user: `personify train` writes item factors only
(a user's are solved from their events when needed), so an erased user leaves no row in
the model files, and a file written by an older version loses its user rows on load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from personify.evals.dataset import as_events, load_dataset
from personify.retrieval.factors import FactorModel
from personify.retrieval.trained import FACTORS_FILE
from personify.service import Personify
from tests.evals.synthetic import write_dataset


@pytest.fixture
def trained(service: Personify, tmp_path: Path) -> Personify:
    data = load_dataset(write_dataset(tmp_path / "topics", users=60, per_user=10))
    service.index_items(data.items)
    service.ingest(as_events(data.interactions))
    service.train(seed=1)
    return service


def factor_arrays(service: Personify) -> dict[str, np.ndarray]:
    with np.load(service.settings.data_dir / "models" / FACTORS_FILE) as data:
        return {name: data[name] for name in data.files}


def test_an_erased_user_leaves_no_factors_and_others_are_still_served(
    trained: Personify,
) -> None:
    users = len(trained.store.events.users())
    items = trained.store.catalog.count()
    before = trained.recommend("u1", 5).items
    assert any("als" in c.sources for c in before)  # the factors serve this user
    trained.delete_user("u1")
    arrays = factor_arrays(trained)
    assert "user_factors" not in arrays
    assert all(users not in a.shape for a in arrays.values()), {
        k: a.shape for k, a in arrays.items()
    }
    assert arrays["item_factors"].shape[0] == items
    others = trained.recommend("u2", 5).items
    assert len(others) == 5 and any("als" in c.sources for c in others)


def test_a_factor_file_with_user_rows_loses_them_on_load(trained: Personify) -> None:
    """implicit's own format, as versions before this one wrote it: a row per user."""
    path = trained.settings.data_dir / "models" / FACTORS_FILE
    ids = path.with_suffix(".items.txt").read_text(encoding="utf-8").split("\n")
    histories = trained.store.events.history(trained.store.events.users())
    legacy = FactorModel.fit(histories.values(), ids, seed=1)
    legacy._model.save(str(path))  # type: ignore[union-attr]  # noqa: SLF001
    assert "user_factors" in factor_arrays(trained)
    loaded = FactorModel.load(path)
    assert "user_factors" not in factor_arrays(trained)
    assert loaded.item_ids == ids
    assert not any(p.name.endswith(".new.npz") for p in path.parent.iterdir())
    vector = loaded.user_vector(histories["u2"])
    assert vector is not None and loaded.top(vector, 3, set())

from pathlib import Path

import numpy as np

from personify.domain import LogEntry
from personify.retrieval.factors import FactorModel


def entry(user: str, item: str, kind: str = "use", value: float | None = None) -> LogEntry:
    return LogEntry(seq=0, user_id=user, type=kind, item_id=item, ts=0.0, value=value)


def histories() -> list[list[LogEntry]]:
    group_a = ["a1", "a2", "a3", "a4"]
    group_b = ["b1", "b2", "b3", "b4"]
    out = []
    for n in range(40):
        items = group_a if n % 2 else group_b
        dropped = items[(n // 2) % 4]  # each user skips one item of their group
        out.append([entry(f"u{n}", i) for i in items if i != dropped])
    return out


def test_users_get_factors_from_their_history_and_similar_items_rank_first(tmp_path: Path) -> None:
    ids = ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"]
    model = FactorModel.fit(histories(), ids, factors=2, regularization=0.01, seed=1)
    vector = model.user_vector([entry("new", "a1"), entry("new", "a2")])
    assert vector is not None
    top = [i for i, _ in model.top(vector, 2, exclude={"a1", "a2"})]
    assert set(top) == {"a3", "a4"}
    # a low rating or an unknown item says nothing: no factors
    assert model.user_vector([entry("x", "a1", "rating", 1.0), entry("x", "zz")]) is None
    model.save(tmp_path / "factors.npz")
    again = FactorModel.load(tmp_path / "factors.npz")
    assert np.allclose(again.scores(vector), model.scores(vector))


def test_the_user_solve_matches_implicits_own() -> None:
    from scipy.sparse import csr_matrix

    ids = ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"]
    model = FactorModel.fit(histories(), ids, factors=3, regularization=0.05, alpha=3.0, seed=2)
    history = [entry("n", "a1"), entry("n", "b2"), entry("n", "a1", "purchase")]
    ours = model.user_vector(history)
    weights = {0: 3.0 + 5.0, 5: 3.0}  # a use (3) and a purchase (5) of a1, a use of b2
    row = csr_matrix(
        (np.array(list(weights.values()), dtype=np.float32), ([0, 0], list(weights))),
        shape=(1, len(ids)),
    )
    theirs = model._model.recalculate_user(0, row)  # noqa: SLF001
    assert ours is not None
    assert np.allclose(ours, theirs, atol=1e-4)

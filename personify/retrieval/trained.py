"""What `personify train` writes under <data dir>/models and the recommender reads: ALS
factors, the item-to-item sequence and EASE models and the LightGBM LambdaMART re-ranker. Reloaded
when a newer training lands."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from personify.retrieval.candidates import RANKER_FEATURES
from personify.retrieval.ease import EaseModel
from personify.retrieval.factors import FactorModel
from personify.retrieval.sequences import SequenceModel

FACTORS_FILE = "factors.npz"
SEQUENCES_FILE = "sequences.npz"
EASE_FILE = "ease.npz"
SEGMENTS = ("warm", "cold")  # one ranker per segment: ranker-warm.txt, ranker-cold.txt
META_FILE = "meta.json"  # written last: its presence means a complete training


class Ranker(Protocol):
    def score(self, rows: np.ndarray) -> np.ndarray: ...

    def contributions(self, rows: np.ndarray) -> np.ndarray:
        """Each feature's share of each row's score (rows x RANKER_FEATURES)."""
        ...

    def save(self, folder: Path, segment: str) -> None: ...


class LearnedRanker:
    """A LightGBM LambdaMART booster over the RANKER_FEATURES columns."""

    def __init__(self, booster: Any) -> None:
        self._booster = booster

    def score(self, rows: np.ndarray) -> np.ndarray:
        # one thread: for a few hundred rows, starting more costs more than it saves
        return np.asarray(self._booster.predict(rows, num_threads=1), dtype=np.float64)

    def contributions(self, rows: np.ndarray) -> np.ndarray:
        """LightGBM's SHAP values per feature (its last column, the bias, dropped)."""
        values = self._booster.predict(rows, num_threads=1, pred_contrib=True)
        return np.asarray(values, dtype=np.float64)[:, :-1]

    def save(self, folder: Path, segment: str) -> None:
        self._booster.save_model(str(folder / f"ranker-{segment}.txt"))

    @classmethod
    def load(cls, path: Path) -> LearnedRanker:
        import lightgbm

        return cls(lightgbm.Booster(model_file=str(path)))


class FeatureRanker:
    """Orders by one feature: kept for a segment where no learned model beat it on the
    queries held out during training (short histories, where popularity is hard to beat)."""

    def __init__(self, feature: str) -> None:
        self.feature = feature
        self._column = RANKER_FEATURES.index(feature)

    def score(self, rows: np.ndarray) -> np.ndarray:
        return np.nan_to_num(rows[:, self._column].astype(np.float64), nan=-1e9)

    def contributions(self, rows: np.ndarray) -> np.ndarray:
        """All of the score is the one feature's, where it has a value."""
        out = np.zeros(rows.shape, dtype=np.float64)
        out[:, self._column] = np.where(np.isnan(rows[:, self._column]), 0.0, 1.0)
        return out

    def save(self, folder: Path, segment: str) -> None:
        path = folder / f"ranker-{segment}.json"
        path.write_text(json.dumps({"feature": self.feature}), encoding="utf-8")


@dataclass
class Trained:
    factors: FactorModel | None = None
    sequences: SequenceModel | None = None
    ease: EaseModel | None = None
    rankers: dict[str, Ranker] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def save(folder: Path, trained: Trained) -> None:
    """Write to a fresh folder, then swap it in: readers never see half a training."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(folder.name + ".new")
    if staging.exists():
        _remove(staging)
    staging.mkdir()
    if trained.factors is not None:
        trained.factors.save(staging / FACTORS_FILE)
    if trained.sequences is not None:
        trained.sequences.save(staging / SEQUENCES_FILE)
    if trained.ease is not None:
        trained.ease.save(staging / EASE_FILE)
    for segment, ranker in trained.rankers.items():
        ranker.save(staging, segment)
    meta = {**trained.meta, "features": list(RANKER_FEATURES)}
    (staging / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    old = folder.with_name(folder.name + ".old")
    if old.exists():
        _remove(old)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    if old.exists():
        _remove(old)


def load(folder: Path) -> Trained:
    meta_path = folder / META_FILE
    if not meta_path.is_file():
        return Trained()
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("features") != list(RANKER_FEATURES):
        return Trained(meta={"stale": "features changed since training; run personify train"})
    factors = FactorModel.load(folder / FACTORS_FILE) if (folder / FACTORS_FILE).is_file() else None
    sequences_path = folder / SEQUENCES_FILE
    sequences = SequenceModel.load(sequences_path) if sequences_path.is_file() else None
    ease = EaseModel.load(folder / EASE_FILE) if (folder / EASE_FILE).is_file() else None
    rankers: dict[str, Ranker] = {}
    for segment in SEGMENTS:
        if (folder / f"ranker-{segment}.txt").is_file():
            rankers[segment] = LearnedRanker.load(folder / f"ranker-{segment}.txt")
        elif (folder / f"ranker-{segment}.json").is_file():
            chosen = json.loads((folder / f"ranker-{segment}.json").read_text(encoding="utf-8"))
            rankers[segment] = FeatureRanker(chosen["feature"])
    return Trained(factors=factors, sequences=sequences, ease=ease, rankers=rankers, meta=meta)


class TrainedCache:
    """The latest training in a folder, reloaded when its meta file changes."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._lock = threading.Lock()
        self._stamp: float | None = None
        self._trained = Trained()

    def get(self) -> Trained:
        meta = self._folder / META_FILE
        try:
            stamp: float | None = meta.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._trained = load(self._folder) if stamp is not None else Trained()
                self._stamp = stamp
            return self._trained

    def set(self, trained: Trained) -> None:
        save(self._folder, trained)
        with self._lock:
            self._stamp = None  # reload on the next get


def _remove(path: Path) -> None:
    for child in path.iterdir():
        child.unlink()
    path.rmdir()

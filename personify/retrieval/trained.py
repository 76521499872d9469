"""What `personify train` writes under <data dir>/models and the recommender reads: ALS
factors and the LightGBM LambdaMART re-ranker. Reloaded when a newer training lands."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from personify.retrieval.candidates import FEATURES
from personify.retrieval.factors import FactorModel

FACTORS_FILE = "factors.npz"
RANKER_FILE = "ranker.txt"
META_FILE = "meta.json"  # written last: its presence means a complete training


class LearnedRanker:
    def __init__(self, booster: Any) -> None:
        self._booster = booster

    def score(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self._booster.predict(rows), dtype=np.float64)

    def save(self, path: Path) -> None:
        self._booster.save_model(str(path))

    @classmethod
    def load(cls, path: Path) -> LearnedRanker:
        import lightgbm

        return cls(lightgbm.Booster(model_file=str(path)))


@dataclass
class Trained:
    factors: FactorModel | None = None
    ranker: LearnedRanker | None = None
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
    if trained.ranker is not None:
        trained.ranker.save(staging / RANKER_FILE)
    meta = {**trained.meta, "features": list(FEATURES)}
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
    if meta.get("features") != list(FEATURES):
        return Trained(meta={"stale": "features changed since training; run personify train"})
    factors = FactorModel.load(folder / FACTORS_FILE) if (folder / FACTORS_FILE).is_file() else None
    ranker = LearnedRanker.load(folder / RANKER_FILE) if (folder / RANKER_FILE).is_file() else None
    return Trained(factors=factors, ranker=ranker, meta=meta)


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

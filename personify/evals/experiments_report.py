"""`personify eval experiments`, end to end: train on a dataset's split, take each
held-out user's real lists, simulate (experiments.py), and write report.json and
summary.md."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from personify.evals.dataset import Dataset
from personify.evals.experiments import (
    ALPHA,
    CONTROL,
    SRM_DROP,
    TALLIES,
    TREATMENT,
    ClickModel,
    Population,
    Simulation,
    population,
    ranker_lists,
    simulate,
    truth,
)
from personify.evals.report import write_json_and_summary
from personify.retrieval.embeddings import Embedder


def evaluate_experiments(
    dataset: Dataset,
    *,
    runs: int,
    users: int = 0,
    how: str = "user-last",
    min_value: float | None = None,
    seed: int = 0,
    model: ClickModel | None = None,
    progress: bool = True,
    embedder: Embedder | None = None,
) -> dict[str, Any]:
    """The simulation on a dataset, as report.json holds it."""
    model = model or ClickModel()
    started = time.perf_counter()
    rankers = (CONTROL, TREATMENT)
    real, future, lists = ranker_lists(
        dataset, how, min_value, rankers, seed=seed, progress=progress, embedder=embedder
    )
    listed = time.perf_counter()
    people = population(real, future, lists, users)
    result = simulate(people, model, runs=runs, seed=seed)
    settings = {"split": how, "min_value": min_value, "seed": seed}
    report = simulation_report(people, model, result, dataset=str(dataset.path), settings=settings)
    report["timings_s"] = {
        "train_and_lists": round(listed - started, 2),
        "runs": round(time.perf_counter() - listed, 2),
    }
    return report


def simulation_report(
    people: Population,
    model: ClickModel,
    result: Simulation,
    *,
    dataset: str,
    settings: dict[str, Any],
) -> dict[str, Any]:
    """What report.json holds: the click model, the true values, each rate with its 95%
    Wilson interval (scipy's binomtest)."""
    return {
        "dataset": dataset,
        "settings": {**settings, "runs": result.runs, "alpha": ALPHA, "srm_drop": SRM_DROP},
        "click_model": asdict(model),
        "users": {"held_out": people.held_out, "simulated": len(people.users)},
        "mean_hits_per_list": {r: round(float(h.mean()), 4) for r, h in people.hits.items()},
        "truth": _truth_json(truth(people, model)),
        "results": result.to_json(),
    }


def _truth_json(expected: dict[str, dict[str, float]]) -> dict[str, Any]:
    return {
        name: {
            **{r: round(v, 6) for r, v in values.items()},
            "lift": round(values[TREATMENT] - values[CONTROL], 6),
            "relative_lift": round(values[TREATMENT] / values[CONTROL] - 1, 4),
        }
        for name, values in expected.items()
    }


def write_experiments_report(report: dict[str, Any], out: Path) -> Path:
    return write_json_and_summary(report, experiments_markdown(report), out)


def experiments_markdown(report: dict[str, Any]) -> str:
    model, results, users = report["click_model"], report["results"], report["users"]

    def cell(rate: dict[str, Any]) -> str:
        return f"{rate['rate']:.3f} [{rate['ci95'][0]:.3f}, {rate['ci95'][1]:.3f}]"

    lines = [
        f"# Simulated experiments: {report['dataset']}",
        "",
        f"{report['settings']['runs']} runs; {users['simulated']} simulated users "
        f"({users['held_out']} held-out users); clicks: p_hit {model['p_hit']}, "
        f"p_miss {model['p_miss']}, {model['sessions_mean']} sessions per user on average; "
        f"{CONTROL} (control) against {TREATMENT}. Rates with 95% Wilson intervals.",
        "",
        "| metric | true lift | mean estimate | A/A false positives (alpha 0.05) "
        "| coverage of the lift | coverage of the relative lift | power |",
        "| --- " * 7 + "|",
    ]
    for name, rates in results["metrics"].items():
        lift = report["truth"][name]["lift"]
        cells = [cell(rates[f"{t}_rate"]) for t in TALLIES]
        lines.append(
            f"| {name} | {lift:.5f} | {rates['mean_lift']:.5f} | " + " | ".join(cells) + " |"
        )
    lines += [
        "",
        f"SRM detection with {SRM_DROP:.0%} of the treatment's users dropped: "
        f"{cell(results['srm_detection_rate'])}; false alarms on unbroken runs: "
        f"{cell(results['srm_false_alarm_rate'])}.",
        "",
    ]
    return "\n".join(lines)

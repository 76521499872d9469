"""`personify experiment report KEY --out DIR`: report.json (the results answer, and the
figures day by day) and report.html with its plots: each metric's lift with its interval,
cumulative users per variant, and the primary metric over time."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from personify.evals.report import figure_png
from personify.experiments.outcomes import DAY, exposed, gather
from personify.experiments.service import Experiments

MAX_DAYS = 60  # points on the over-time plots


def over_time(experiments: Experiments, key: str) -> list[dict[str, Any]]:
    """Users and the primary metric's mean per variant at the end of each day since the
    first exposure, as the log stood then."""
    experiment = experiments.store.get(key)
    metrics = experiments.store.metrics()
    primary = experiment.metrics.primary
    who = exposed(experiments.store.engine, experiment)
    if not who.users:
        return []
    start = math.floor(float(who.first_at.min()) / DAY) * DAY
    end = float(who.first_at.max()) + metrics[primary].window_days * DAY
    if experiment.stopped_at:
        end = min(end, experiment.stopped_at)
    days = max(1, min(MAX_DAYS, math.ceil((end - start) / DAY)))
    points = []
    for day in range(1, days + 1):
        until = start + day * DAY
        then, _ = gather(experiments.store.engine, experiment, metrics, until=until)
        points.append(
            {
                "day": day,
                "users": {name: v.users for name, v in then.items()},
                primary: {name: _mean(v.outcomes.get(primary)) for name, v in then.items()},
            }
        )
    return points


def _mean(outcomes: Any) -> float | None:
    if outcomes is None or not len(outcomes.values):
        return None
    if outcomes.denominators is not None:
        total = float(np.sum(outcomes.denominators))
        return float(np.sum(outcomes.values)) / total if total else None
    return float(np.mean(outcomes.values))


def write_report(experiments: Experiments, key: str, out: Path) -> Path:
    results = experiments.results(key)
    timeline = over_time(experiments, key)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(
        json.dumps({"results": results, "over_time": timeline}, indent=2, allow_nan=False)
    )
    page = out / "report.html"
    page.write_text(_html(results, timeline))
    return page


def _html(results: dict[str, Any], timeline: list[dict[str, Any]]) -> str:
    plots = [_lifts(results)]
    if timeline:
        plots += [_lines(timeline, "users", "Cumulative users per variant")]
        primary = next(iter(results["metrics"]), None)
        if primary:
            plots.append(_lines(timeline, primary, f"{primary} over time, per variant"))
    images = "".join(
        f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{p}">'
        f"<figcaption>{html.escape(t)}</figcaption></figure>"
        for t, p in plots
    )
    srm = results["srm"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Experiment {html.escape(results["experiment"])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}}
img{{max-width:100%}}pre{{background:#f6f6f6;padding:1rem;overflow:auto}}</style></head><body>
<h1>Experiment {html.escape(results["experiment"])}</h1>
<p>Status: {html.escape(str(results["status"]))}. Decision:
<strong>{html.escape(str(results["decision"]))}</strong>. Sample ratio mismatch p-value
{html.escape(str(srm["p_value"]))}{" (flagged)" if srm["flagged"] else ""}.</p>
{images}
<h2>Results</h2><pre>{html.escape(json.dumps(results, indent=2))}</pre>
</body></html>
"""


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _lifts(results: dict[str, Any]) -> tuple[str, str]:
    """Each metric's relative lift per treatment, with its 95% interval."""
    plt = _pyplot()
    rows = []
    for metric, found in results["metrics"].items():
        for variant, c in found["comparisons"].items():
            interval = c.get("relative_ci95") or [None, None]
            if c.get("relative_lift") is not None and None not in interval:
                rows.append((f"{metric}: {variant}", c["relative_lift"], interval))
    title = "Relative lift against the control, with 95% intervals"
    figure, axis = plt.subplots(figsize=(8, max(2.0, 0.5 * len(rows) + 1)))
    for n, (_, lift, (low, high)) in enumerate(rows):
        axis.errorbar(lift, n, xerr=[[lift - low], [high - lift]], fmt="o", capsize=4)
    axis.axvline(0, color="#888", linewidth=1)
    axis.set_yticks(range(len(rows)), [r[0] for r in rows])
    axis.set_xlabel("relative lift")
    axis.set_title(title)
    png = figure_png(figure)
    plt.close(figure)
    return title, png


def _lines(timeline: list[dict[str, Any]], field: str, title: str) -> tuple[str, str]:
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(8, 3.5))
    days = [p["day"] for p in timeline]
    for variant in timeline[-1][field]:
        values = [p[field].get(variant) for p in timeline]
        axis.plot(days, [np.nan if v is None else v for v in values], marker=".", label=variant)
    axis.set_xlabel("day")
    axis.set_ylabel(field)
    axis.set_title(title)
    axis.legend()
    png = figure_png(figure)
    plt.close(figure)
    return title, png

"""Reports for `personify eval recs`: report.json, a Markdown summary and an HTML page
with plots (matplotlib, rendered to inline PNG: the page is one self-contained file)."""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from personify.evals.recs import RecsReport

SUMMARY_METRICS = ("ndcg@10", "recall@20", "coverage@20")


def write_recs_report(report: RecsReport, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    (out / "summary.md").write_text(recs_markdown(report), encoding="utf-8")
    (out / "report.html").write_text(recs_html(report), encoding="utf-8")
    return out / "report.json"


def _metrics(report: RecsReport) -> list[str]:
    ks = report.settings.k
    names = [f"{m}@{k}" for k in ks for m in ("ndcg", "recall", "mrr", "hit")]
    return names + [f"{m}@{k}" for k in ks for m in ("coverage", "diversity", "novelty")]


def recs_markdown(report: RecsReport) -> str:
    results, intervals = report.results, report.intervals
    settings, counts = report.settings, report.counts
    lines = [
        f"# Recommendation evaluation: {report.dataset}",
        "",
        f"Split `{settings.split}`, min value {settings.min_value}, "
        f"seed {settings.seed}; {counts.items} items, "
        f"{counts.train_interactions} training interactions; scored users: "
        + ", ".join(f"{s} {n}" for s, n in counts.scored_users.items())
        + f" ({counts.simulated_cold} simulated cold).",
        "",
    ]
    for name in results.get("personify", {}):
        lines += [f"## Slice: {name}", ""]
        metrics = _metrics(report)
        lines.append("| system | " + " | ".join(metrics) + " |")
        lines.append("| --- " * (len(metrics) + 1) + "|")
        for system, slices in results.items():
            cells = []
            for metric in metrics:
                cell = f"{slices[name][metric]:.4f}"
                span = intervals[system][name].get(metric)
                if span:
                    cell += f" [{span[0]:.3f}, {span[1]:.3f}]"
                cells.append(cell)
            lines.append(f"| {system} | " + " | ".join(cells) + " |")
        lines.append("")
    best = asdict(report.als_search.best)
    lines += [
        f"ALS chosen on a validation split carved from training: {best}.",
        "",
        *(
            f"{system} chosen the same way: {asdict(search.best)}."
            for system, search in report.baseline_search.items()
        ),
        "",
        "Run time (s): " + ", ".join(f"{k} {v}" for k, v in report.timings.items()),
        "",
    ]
    return "\n".join(lines)


def recs_html(report: RecsReport) -> str:
    results = report.results
    ks = report.settings.k
    plots = [
        _bars(report, metric, f"{metric} by system and slice (95% bootstrap intervals)")
        for metric in (f"ndcg@{min(ks)}", f"recall@{max(ks)}")
    ]
    plots.append(_slices(report, f"ndcg@{min(ks)}"))
    table = recs_markdown(report).split("\n")
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(c.strip())}</td>" for c in line.strip("|").split("|"))
        + "</tr>"
        for line in table
        if line.startswith("| ") and not line.startswith("| ---")
    )
    images = "".join(
        f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{p}"><figcaption>{html.escape(t)}</figcaption></figure>'
        for t, p in plots
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Personify: recommendation evaluation</title>
<style>body{{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;font-size:.85rem}}td{{border:1px solid #ccc;padding:.2rem .4rem}}
img{{max-width:100%}}</style></head><body>
<h1>Recommendation evaluation</h1>
<p>{html.escape(report.dataset)}: systems {", ".join(results)}; slices all, cold, warm.</p>
{images}
<h2>All metrics</h2><table>{rows}</table>
</body></html>
"""


def figure_png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _bars(report: RecsReport, metric: str, title: str) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results, intervals = report.results, report.intervals
    systems = list(results)
    slices = list(results[systems[0]])
    figure, axis = plt.subplots(figsize=(max(8, 1.3 * len(systems)), 3.5))
    width = 0.8 / len(slices)
    for n, name in enumerate(slices):
        values = [results[s][name][metric] for s in systems]
        spans = [
            intervals[s][name].get(metric, [v, v]) for s, v in zip(systems, values, strict=True)
        ]
        errors = [
            [v - lo for v, (lo, _) in zip(values, spans, strict=True)],
            [hi - v for v, (_, hi) in zip(values, spans, strict=True)],
        ]
        positions = [i + n * width for i in range(len(systems))]
        axis.bar(positions, values, width, yerr=errors, capsize=3, label=name)
    axis.set_xticks(
        [i + width * (len(slices) - 1) / 2 for i in range(len(systems))], systems, rotation=20
    )
    axis.set_ylabel(metric)
    axis.set_title(title)
    axis.legend()
    png = figure_png(figure)
    plt.close(figure)
    return title, png


def _slices(report: RecsReport, metric: str) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = report.results
    title = f"{metric}: each system relative to popularity, per slice"
    figure, axis = plt.subplots(figsize=(8, 3.5))
    slices = list(results["popularity"])
    for system in results:
        ratios = [
            results[system][s][metric] / (results["popularity"][s][metric] or 1.0) for s in slices
        ]
        axis.plot(slices, ratios, marker="o", label=system)
    axis.axhline(1.0, color="grey", linewidth=0.8)
    axis.set_ylabel(f"{metric} / popularity")
    axis.set_title(title)
    axis.legend()
    png = figure_png(figure)
    plt.close(figure)
    return title, png


def write_json_and_summary(report: dict[str, Any], summary: str, out: Path) -> Path:
    """report.json and summary.md in `out`; the path of report.json."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out / "summary.md").write_text(summary, encoding="utf-8")
    return out / "report.json"

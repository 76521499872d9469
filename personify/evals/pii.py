"""`personify eval pii`: precision, recall and F2 of the redactor on labelled text.

Span level, a partial overlap counts as found. An address masked as a location (or the
reverse) counts: what matters is that it was masked. F2 weighs recall four times as much
as precision: a missed name is a leak, an extra mask a nuisance. Predictions of a type the
data set does not label at all (phone numbers in tweets labelled only for names and
places) cannot be judged and are left out of precision."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from personify.evals.pii_data import LABELS, Example
from personify.privacy.redactor import PiiSpan, Redactor

COMPATIBLE = {"STREET_ADDRESS": {"LOCATION"}, "LOCATION": {"STREET_ADDRESS"}}


def _same_kind(gold: str, predicted: str) -> bool:
    return gold == predicted or predicted in COMPATIBLE.get(gold, set())


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


@dataclass(frozen=True, kw_only=True)
class EntityScores:
    precision: float
    recall: float
    f2: float
    support: int  # gold spans
    found: int  # gold spans overlapped by a prediction of the same kind
    predicted: int  # judged predictions
    correct: int  # judged predictions overlapping gold of the same kind


@dataclass(frozen=True, kw_only=True)
class PiiScores:
    entities: dict[str, EntityScores]  # by entity type, sorted
    overall: EntityScores
    unmapped_labels: dict[str, int]  # data set labels with no entity type, most common first


@dataclass(frozen=True, kw_only=True)
class PiiResults:
    """What `personify eval pii` found: report.json's "results"."""

    scores: PiiScores
    texts_per_second: float | None
    texts: int

    def to_json(self) -> dict[str, object]:
        return {
            **asdict(self.scores),
            "texts_per_second": self.texts_per_second,
            "texts": self.texts,
        }


@dataclass(frozen=True, kw_only=True)
class PiiMeta:
    dataset: str
    format: str
    texts: int


@dataclass
class Tally:
    support: int = 0  # gold spans
    found: int = 0  # gold spans overlapped by a prediction of the same kind
    predicted: int = 0  # judged predictions
    correct: int = 0  # judged predictions overlapping gold of the same kind

    def scores(self) -> EntityScores:
        precision = self.correct / self.predicted if self.predicted else 0.0
        recall = self.found / self.support if self.support else 0.0
        f2 = 5 * precision * recall / (4 * precision + recall) if precision + recall else 0.0
        return EntityScores(
            precision=round(precision, 4),
            recall=round(recall, 4),
            f2=round(f2, 4),
            support=self.support,
            found=self.found,
            predicted=self.predicted,
            correct=self.correct,
        )


def score(examples: Iterable[Example], predictions: Iterable[list[PiiSpan]]) -> PiiScores:
    tallies: dict[str, Tally] = {}
    unmapped: Counter[str] = Counter()
    pairs = list(zip(examples, predictions, strict=True))
    labelled = {s.entity for ex, _ in pairs for s in ex.spans if s.entity}
    for example, predicted in pairs:
        gold = [s for s in example.spans if s.entity]
        unmapped.update(s.label for s in example.spans if not s.entity)
        for span in gold:
            tally = tallies.setdefault(span.entity or "", Tally())
            tally.support += 1
            if any(
                _same_kind(span.entity or "", p.entity)
                and _overlap(span.start, span.end, p.start, p.end)
                for p in predicted
            ):
                tally.found += 1
        for p in predicted:
            if p.entity not in labelled and not COMPATIBLE.get(p.entity, set()) & labelled:
                continue  # this data set says nothing about such spans
            tally = tallies.setdefault(p.entity, Tally())
            tally.predicted += 1
            if any(
                _same_kind(s.entity or "", p.entity) and _overlap(s.start, s.end, p.start, p.end)
                for s in gold
            ):
                tally.correct += 1
    overall = Tally()
    for tally in tallies.values():
        overall.support += tally.support
        overall.found += tally.found
        overall.predicted += tally.predicted
        overall.correct += tally.correct
    return PiiScores(
        entities={name: t.scores() for name, t in sorted(tallies.items())},
        overall=overall.scores(),
        unmapped_labels=dict(unmapped.most_common()),
    )


def evaluate(redactor: Redactor, examples: list[Example]) -> PiiResults:
    start = time.perf_counter()
    predictions = [redactor.find(example.text) for example in examples]
    seconds = time.perf_counter() - start
    return PiiResults(
        scores=score(examples, predictions),
        texts_per_second=round(len(examples) / seconds, 1) if seconds else None,
        texts=len(examples),
    )


def write_report(results: PiiResults, meta: PiiMeta, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.json"
    report = {"meta": asdict(meta), "label_map": LABELS, "results": results.to_json()}
    path.write_text(json.dumps(report, indent=2))
    scores = results.scores
    lines = [
        f"# PII redaction: {meta.dataset}",
        "",
        "| entity | precision | recall | F2 | support |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, row in [*scores.entities.items(), ("overall", scores.overall)]:
        lines.append(
            f"| {name} | {row.precision:.3f} | {row.recall:.3f} | {row.f2:.3f} | {row.support} |"
        )
    lines += ["", f"Labels with no counterpart (kept on purpose): {scores.unmapped_labels}"]
    lines += [f"Speed: {results.texts_per_second} texts/s over {results.texts} texts."]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    return path

"""`personify eval pii` on the real data sets in ../shared/data with the real redactor."""

import json
from pathlib import Path

import pytest

from personify.cli import main

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"


@pytest.mark.parametrize(
    ("relative", "fmt", "entities"),
    [
        (
            "presidio_synth_pii/synth_dataset_v2.json",
            "presidio",
            {"PERSON", "EMAIL_ADDRESS", "LOCATION"},
        ),
        ("wnut17/emerging.dev.conll", "conll", {"PERSON", "LOCATION"}),
    ],
)
def test_eval_pii_writes_a_report(
    relative: str, fmt: str, entities: set[str], tmp_path: Path
) -> None:
    dataset = DATA / relative
    if not dataset.exists():
        pytest.skip(f"{dataset} is not there (../shared/data is laid beside the checkout)")
    out = tmp_path / "report"
    assert (
        main(
            [
                "eval",
                "pii",
                "--dataset",
                str(dataset),
                "--format",
                fmt,
                "--out",
                str(out),
                "--limit",
                "150",
            ]
        )
        == 0
    )
    report = json.loads((out / "report.json").read_text())
    results = report["results"]
    assert entities <= set(results["entities"])
    assert {"precision", "recall", "f2"} <= set(results["overall"])
    assert results["texts"] == 150 and results["texts_per_second"] > 0
    assert report["label_map"]["GPE"] == "LOCATION"
    if fmt == "presidio":
        assert results["entities"]["EMAIL_ADDRESS"]["recall"] == 1.0
        assert "ORGANIZATION" in results["unmapped_labels"]
    assert (out / "summary.md").read_text().startswith("# PII redaction")

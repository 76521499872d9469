from pathlib import Path

from personify.evals.pii import score
from personify.evals.pii_data import Example, GoldSpan, load_conll
from personify.privacy.redactor import PiiSpan


def test_conll_spans_point_at_their_tokens(tmp_path: Path) -> None:
    path = tmp_path / "tiny.conll"
    path.write_text(
        "I\tO\nmet\tO\nAda\tB-person\nLovelace\tI-person\nin\tO\nLondon\tB-location\n\nok\tO\n"
    )
    first, second = load_conll(path)
    assert first.text == "I met Ada Lovelace in London"
    assert [(s.label, first.text[s.start : s.end]) for s in first.spans] == [
        ("person", "Ada Lovelace"),
        ("location", "London"),
    ]
    assert second.spans == ()


def test_scores_count_partial_overlaps_and_skip_unjudged_types() -> None:
    text = "Ada Lovelace lives at 12 Baker Street, call 555-0100, works at Acme"
    example = Example(
        text=text,
        spans=(
            GoldSpan(label="PERSON", start=0, end=12),
            GoldSpan(label="STREET_ADDRESS", start=22, end=37),
            GoldSpan(label="ORGANIZATION", start=63, end=67),
        ),
    )
    predicted = [
        PiiSpan(entity="PERSON", start=0, end=3),  # partial: found
        PiiSpan(entity="LOCATION", start=31, end=37),  # an address masked as a place: found
        PiiSpan(entity="PHONE_NUMBER", start=44, end=52),  # not labelled here: unjudged
        PiiSpan(entity="PERSON", start=63, end=67),  # an organisation masked as a person: wrong
    ]
    results = score([example], [predicted])
    person = results.entities["PERSON"]
    assert (person.support, person.found, person.predicted, person.correct) == (1, 1, 2, 1)
    assert results.entities["STREET_ADDRESS"].recall == 1.0
    assert "PHONE_NUMBER" not in results.entities
    assert results.unmapped_labels == {"ORGANIZATION": 1}
    overall = results.overall
    assert overall.recall == 1.0 and overall.precision == round(2 / 3, 4)
    assert overall.f2 == round(5 * (2 / 3) * 1 / (4 * (2 / 3) + 1), 4)

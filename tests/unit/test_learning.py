import pytest

from personify.agent.learning import extract_signals


@pytest.mark.parametrize(
    ("message", "interests", "dislikes"),
    [
        ("I don't care about marketing, I run the data team", ("data team",), ("marketing",)),
        (
            "Not interested in billing. Looking for SLA dashboards!",
            ("sla dashboards",),
            ("billing",),
        ),
        (
            "I'm interested in pipeline forecasting and I manage the sales org.",
            ("sales org", "pipeline forecasting"),
            (),
        ),
        ("I lead <PERSON_2>'s group", (), ()),  # private details are never signals
        ("What is new this week?", (), ()),
    ],
)
def test_signals_from_messages(
    message: str, interests: tuple[str, ...], dislikes: tuple[str, ...]
) -> None:
    signals = extract_signals(message)
    assert set(signals.interests) == set(interests)
    assert signals.dislikes == dislikes
    assert bool(signals) == bool(interests or dislikes)

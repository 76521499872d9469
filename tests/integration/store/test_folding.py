"""Each stored event is folded into its user's profile exactly once, even when the process
dies between storing a batch and updating the profiles: the client never got an answer,
retries, and the retry (all duplicates) folds what was left behind."""

from __future__ import annotations

import pytest

from personify.domain import Event
from personify.ingest import parse_event
from personify.service import Personify


def batch(user: str, prefix: str) -> list[Event]:
    raw = [
        {
            "event_id": f"{prefix}-{n}",
            "user_id": user,
            "type": "click",
            "item_id": item,
            "timestamp": f"2026-11-2{n}T10:00:00Z",
        }
        for n, item in enumerate(["int-jira", "int-zendesk", "tpl-support-sla"])
    ]
    return [parse_event(r, i) for i, r in enumerate(raw)]


def affinity(service: Personify, user: str) -> dict[str, float]:
    stored = service.store.users.get_profile(user)
    assert stored is not None
    return stored.affinity


def test_a_batch_stored_before_a_crash_is_folded_once_by_the_retry(demo: Personify) -> None:
    for user in ("crashy", "steady"):
        demo.put_traits(user, {"role": "support lead"})
    demo.ingest(batch("steady", "s"))  # the normal path
    expected = affinity(demo, "steady")

    before = affinity(demo, "crashy")
    demo.store.events.append(batch("crashy", "c"))  # committed; then the process died
    assert affinity(demo, "crashy") == before

    retry = demo.ingest(batch("crashy", "c"))
    assert retry.accepted == 0 and retry.duplicates == 3
    assert affinity(demo, "crashy") == pytest.approx(expected)
    demo.ingest(batch("crashy", "c"))  # a second retry folds nothing twice
    assert affinity(demo, "crashy") == pytest.approx(expected)
    crashy = demo.vectors.profile_vector("crashy")
    steady = demo.vectors.profile_vector("steady")
    assert crashy is not None and steady is not None
    assert crashy == pytest.approx(steady, abs=1e-5)


def test_a_rebuild_marks_every_event_it_read_or_left_out(demo: Personify) -> None:
    """A rebuild uses a user's newest HISTORY_LIMIT events; older ones are left out on
    purpose and must not be folded in later as if they were new."""
    from sqlalchemy import func, select

    from personify.store.events import HISTORY_LIMIT
    from personify.store.schema import events

    raw = [
        {"event_id": f"long-{n}", "user_id": "longtime", "type": "view", "item_id": "int-jira"}
        for n in range(HISTORY_LIMIT + 20)
    ]
    demo.store.events.append([parse_event(r, i) for i, r in enumerate(raw)])  # not folded
    demo.profiles.refresh(["longtime"])
    with demo.store.engine.connect() as conn:
        unfolded = conn.scalar(
            select(func.count()).where(events.c.user_id == "longtime", ~events.c.folded)
        )
    assert unfolded == 0

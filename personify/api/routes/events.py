from __future__ import annotations

from fastapi import APIRouter

from personify.api.deps import PersonifyDep
from personify.api.schemas import EventsAccepted, EventsCreate

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post("", response_model=EventsAccepted)
def create_events(body: EventsCreate, app: PersonifyDep) -> EventsAccepted:
    """Store a batch durably (committed before this returns) and update the users' profiles."""
    result = app.add_events(body.events)
    return EventsAccepted(
        accepted=result.accepted, duplicates=result.duplicates, dropped=result.dropped
    )

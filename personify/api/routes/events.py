from __future__ import annotations

from fastapi import APIRouter

from personify.api.deps import CallerDep, WidgetPersonifyDep
from personify.api.schemas import EventsAccepted, EventsCreate

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post("", response_model=EventsAccepted)
def create_events(
    body: EventsCreate, service: WidgetPersonifyDep, caller: CallerDep
) -> EventsAccepted:
    """Store a batch durably (committed before this returns) and update the users' profiles."""
    only_user = caller.user_id if caller.role == "publishable" else None
    result = service.add_events(body.events, only_user=only_user)
    return EventsAccepted(
        accepted=result.accepted, duplicates=result.duplicates, dropped=result.dropped
    )

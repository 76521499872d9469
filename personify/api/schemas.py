"""Request and response bodies of the HTTP API (XCreate / XPublic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from personify.domain import (
    ID_PATTERN,
    MAX_TEXT,
    Item,
    ItemCard,
    PlanItem,
    ProfileFeatures,
    Provenance,
)

ITEM_EXAMPLE = {
    "id": "feat-alerts",
    "title": "Metric Alerts",
    "description": "Get notified when a metric crosses a threshold.",
    "category": "feature",
    "tags": ["monitoring"],
    "attributes": {"plan": "pro"},
}
EVENT_EXAMPLE = {"user_id": "dana", "type": "click", "item_id": "feat-alerts"}
SEGMENT_EXAMPLE = {
    "messageId": "msg-1",
    "userId": "dana",
    "event": "Product Clicked",
    "properties": {"product_id": "feat-alerts"},
    "timestamp": "2026-11-27T10:00:00Z",
}


class ItemsCreate(BaseModel):
    items: list[dict[str, Any]] = Field(
        min_length=1,
        description="Items to upsert: id, title, description, category, tags, attributes, "
        "available. `attributes` is free JSON of at most 65,536 bytes, nested at most 32 "
        "levels, with no NaN or Infinity and no lone surrogates (\\ud800).",
        examples=[[ITEM_EXAMPLE]],
    )


class ItemsUpserted(BaseModel):
    upserted: int


class ItemsPage(BaseModel):
    items: list[Item]
    total: int = Field(description="Items matching the filters, all pages together.")
    limit: int
    next_after: str | None = Field(
        description="Pass it as `after` for the next page; null on the last page."
    )


class ItemDeleted(BaseModel):
    item_id: str
    deleted: bool


class EventsCreate(BaseModel):
    events: list[dict[str, Any]] = Field(
        min_length=1,
        description="Our shape {event_id?, user_id, type, item_id?, properties?, timestamp?} "
        "or Segment `track` calls. Idempotent by event_id / messageId. `properties` is free "
        "JSON of at most 16,384 bytes, nested at most 32 levels, with no NaN or Infinity and "
        "no lone surrogates; `timestamp` from 2000-01-01 to a day from now.",
        examples=[[EVENT_EXAMPLE, SEGMENT_EXAMPLE]],
    )


class EventsAccepted(BaseModel):
    accepted: int
    duplicates: int
    dropped: int = Field(0, description="Events of users who did not consent, not stored.")


class ConsentUpdate(BaseModel):
    personalization: bool | None = None
    free_text: bool | None = None
    analytics: bool | None = None


class TraitsUpdate(BaseModel):
    traits: dict[str, Any] = Field(
        examples=[{"role": "Data lead", "industry": "Logistics", "interests": ["pipelines"]}]
    )


class UserPublic(BaseModel):
    user_id: str
    traits: dict[str, Any]


class ProfilePublic(BaseModel):
    user_id: str
    cold_start: bool
    has_vector: bool
    features: ProfileFeatures
    top_categories: list[str]
    updated_at: datetime


class RecommendationPublic(BaseModel):
    item_id: str
    title: str
    category: str
    score: float = Field(
        description="What the list is ordered by, highest first, so it never rises down the "
        "list: the item's relevance to the user (0 to 1), less a penalty for resembling the "
        "items listed above it (maximal marginal relevance, which keeps the list varied) or "
        "what the user said they dislike. The first item's score is its relevance."
    )
    reasons: list[str]
    sources: list[str]


class RecommendationsPublic(BaseModel):
    user_id: str
    personalized: bool
    cold_start: bool
    items: list[RecommendationPublic]
    fallback: str | None = Field(
        default=None,
        description="Why the usual ranking was not used: `vector_store_unavailable` (the "
        "most popular items, from the event log) or null.",
    )
    experiments: dict[str, str] = Field(
        default_factory=dict,
        description="The running experiments this response was served under: key -> variant.",
    )


class OnboardingRequest(BaseModel):
    goal: str | None = Field(default=None, max_length=1000)


class OnboardingPublic(BaseModel):
    personalized: bool = True
    message: str
    items: list[PlanItem]
    provenance: Provenance
    experiments: dict[str, str] = Field(
        default_factory=dict,
        description="The running experiments this response was served under: key -> variant.",
    )


class ChatRequest(BaseModel):
    user_id: str = Field(pattern=ID_PATTERN)
    session_id: str = Field(pattern=ID_PATTERN)
    message: str = Field(min_length=1, max_length=MAX_TEXT)
    stream: bool = False


class ChatPublic(BaseModel):
    personalized: bool = True
    session_id: str
    message: str
    cards: list[ItemCard]
    provenance: Provenance
    experiments: dict[str, str] = Field(
        default_factory=dict,
        description="The running experiments this response was served under: key -> variant.",
    )


class Deleted(BaseModel):
    user_id: str
    deleted: bool
    rows_removed: int


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_input"], description="Stable, machine-readable.")
    message: str = Field(description="What is wrong and how to fix it.")
    field: str | None = Field(default=None, description="The field, header or setting at fault.")


class ErrorBody(BaseModel):
    error: ErrorDetail


# Every answer that is not a success has this body; these are the statuses it may carry.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        401: "No key, or a key that is not valid (tenants on).",
        403: "A valid key used outside its rights.",
        404: "Unknown user, item or tenant.",
        413: "Over a documented limit: body size or batch size.",
        415: "The body is not sent as JSON: use Content-Type: application/json.",
        422: "Invalid input; `field` names it.",
        429: "Over the key's rate limit; see Retry-After.",
        503: "A dependency (database, vector store, redaction) is down; see Retry-After.",
    }.items()
}

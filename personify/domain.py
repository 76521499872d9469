"""Types shared by every room. Value objects are frozen."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from personify.errors import InputError
from personify.jsonlimits import free_json, json_problem

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]{0,127}$"
MAX_TEXT = 5000  # a chat message, a description, a free-text trait
MAX_TRAITS = 30  # traits per user, known and extra
MAX_PROPERTIES_BYTES = 16_384  # an event's properties, as UTF-8 JSON
MAX_ATTRIBUTES_BYTES = 65_536  # an item's attributes, as UTF-8 JSON
EARLIEST_EVENT = datetime(2000, 1, 1, tzinfo=UTC)  # and at most a day ahead of the clock
MAX_RATING = 5  # a rating event's value: stars, 0 to 5
# A trait's name goes into prompts as a label: an identifier, never free text.
TRAIT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
Tag = Annotated[str, Field(max_length=100)]
# Free JSON must read back out: bounded size and depth, no NaN, no lone surrogates.
Attributes = Annotated[dict[str, Any], free_json(MAX_ATTRIBUTES_BYTES)]
Properties = Annotated[dict[str, Any], free_json(MAX_PROPERTIES_BYTES)]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Item(Frozen):
    """A catalog entry: a feature, integration, template, guide, product..."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=MAX_TEXT)
    category: str = Field(default="general", min_length=1, max_length=100)
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    attributes: Attributes = Field(default_factory=dict)
    available: bool = True

    def text(self) -> str:
        """What gets embedded."""
        tags = ", ".join(self.tags)
        return f"{self.title}. {self.category}. {tags}. {self.description}".strip()


class Event(Frozen):
    """A behavioural event, normalised from our shape or Segment's `track`."""

    event_id: str = Field(min_length=1, max_length=200)
    user_id: str = Field(pattern=ID_PATTERN)
    type: str = Field(min_length=1, max_length=64)
    item_id: str | None = Field(default=None, pattern=ID_PATTERN)
    properties: Properties = Field(default_factory=dict)
    timestamp: datetime

    @field_validator("timestamp")
    @classmethod
    def _in_window(cls, value: datetime) -> datetime:
        """A year-1 or year-9999 event is a client's bug, and would skew every recency."""
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        latest = utcnow() + timedelta(days=1)
        if not EARLIEST_EVENT <= moment <= latest:
            raise PydanticCustomError(
                "timestamp_window",
                f"{moment.isoformat()} is outside the accepted window, from "
                f"{EARLIEST_EVENT.date().isoformat()} to a day from now "
                f"({latest.isoformat(timespec='seconds')}): check the clock or the unit "
                "(epoch seconds or milliseconds)",
            )
        return value

    @field_validator("properties")
    @classmethod
    def _rating_in_scale(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """A rating weighs the profile by (value - 2.5): one off the scale would swamp it,
        and a NaN would poison the profile's vector for good."""
        key = "value" if "value" in value else "rating"
        if info.data.get("type") != "rating" or value.get(key) is None:
            return value
        try:
            number = float(value[key])
        except (TypeError, ValueError):
            return value  # not a number: read as a neutral rating
        if not 0 <= number <= MAX_RATING:
            shown = repr(value[key])[:40]
            raise PydanticCustomError(
                "rating_scale",
                f"at {key}: a rating is a number from 0 to {MAX_RATING}, not {shown}",
            )
        return value


class UserTraits(BaseModel):
    """What a user told us. Known fields are typed; other string traits are kept too."""

    model_config = ConfigDict(frozen=True, extra="allow")

    role: str | None = Field(default=None, max_length=200)
    industry: str | None = Field(default=None, max_length=200)
    interests: list[Tag] = Field(default_factory=list, max_length=50)
    goal: str | None = Field(default=None, max_length=1000)
    about: str | None = Field(default=None, max_length=MAX_TEXT)

    def structured(self) -> UserTraits:
        """Only the structured traits: what is used without consent to free text."""
        return UserTraits(role=self.role, industry=self.industry, interests=list(self.interests))

    @staticmethod
    def check_input(raw: dict[str, Any]) -> None:
        """Bounds on what a caller may send:
        at most MAX_TRAITS traits named by plain identifiers, each text, a number, or a list
        of at most 50 of them, text at most MAX_TEXT characters. Raises InputError naming
        the trait and the limit."""
        if len(raw) > MAX_TRAITS:
            message = f"traits: {len(raw)} traits is over the limit of {MAX_TRAITS}"
            raise InputError(message, field="traits")
        for name, value in raw.items():
            if not TRAIT_NAME.fullmatch(name):
                shown = name[:40] + ("..." if len(name) > 40 else "")
                message = (
                    f"traits: the name {shown!r} is not a plain identifier: use 1-64 letters, "
                    "digits and underscores, starting with a letter (e.g. job_title)"
                )
                raise InputError(message, field="traits")
            field = f"traits.{name}"
            values = value if isinstance(value, list) else [value]
            if len(values) > 50:
                message = f"{field}: {len(values)} values is over the limit of 50"
                raise InputError(message, field=field)
            for one in values:
                if one is not None and not isinstance(one, str | int | float | bool):
                    message = f"{field}: a trait is text, a number or a list of them"
                    raise InputError(message, field=field)
                if isinstance(one, str) and len(one) > MAX_TEXT:
                    message = f"{field}: {len(one)} characters is over the limit of {MAX_TEXT}"
                    raise InputError(message, field=field)
            found = json_problem({name: value}, max_depth=3)
            if found:
                raise InputError(f"traits.{found[0]}: {found[1]}", field=field)

    def free_text(self) -> dict[str, str]:
        """Every free-text trait, by name; all of it is redacted before a prompt is built."""
        values: dict[str, str] = {}
        for key, value in self.model_dump(exclude_none=True).items():
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            if str(value).strip():
                values[key] = str(value)
        return values


class Consent(Frozen):
    """What the user agreed to. Without a stored choice, all are granted."""

    personalization: bool = True  # build and use a profile
    free_text: bool = True  # use free-text traits (about, goal, ...) in prompts and profiles
    analytics: bool = True  # without personalization: keep events as anonymous aggregates


class AgentNotes(Frozen):
    """What the agent keeps about a user apart from the traits they (or the integrator)
    set: interests and dislikes said in chat (redacted phrases, newest first) and the
    onboarding question awaiting an answer. Replacing the traits leaves these alone."""

    interests: list[str] = Field(default_factory=list)
    dislikes: list[str] = Field(default_factory=list)
    asking: str | None = None  # "role" | "goal" | "interests" while a question is pending


class ProfileFeatures(Frozen):
    events_7d: int = 0
    events_30d: int = 0
    events_total: int = 0
    engagement_ratio: float = 0.0
    last_event_at: datetime | None = None
    recency_days: float | None = None
    category_affinity: dict[str, float] = Field(default_factory=dict)
    top_categories: list[str] = Field(default_factory=list)


class Profile(Frozen):
    user_id: str
    features: ProfileFeatures
    traits: UserTraits
    has_vector: bool
    cold_start: bool
    updated_at: datetime
    consent: Consent = Consent()
    notes: AgentNotes = AgentNotes()  # empty without consent to free text

    @property
    def personalized(self) -> bool:
        return self.consent.personalization


class Candidate(Frozen):
    """An item chosen for a user, with its blended score and the reasons it was chosen."""

    item: Item
    score: float
    sources: tuple[str, ...]
    reasons: tuple[str, ...]


class PlanItem(Frozen):
    item_id: str
    title: str
    reason: str


# Why an answer came from the deterministic template instead of the model: the model
# failed (model_error, timeout) or a guard rejected what it wrote (the rest).
FallbackReason = Literal[
    "model_error",
    "timeout",
    "invalid_output",
    "unknown_item",
    "ungrounded",
    "degenerate",
    "repetition",
    "link",
    "placeholder_leak",
    "off_interest",
    "pii_leak",
    "unknown_name",
    "unfaithful",  # too little was left once unsupported sentences were cut
    "not_a_welcome",  # an onboarding message that neither welcomes nor names the product
]
# Why recommendations are not the usual ranking this time: popular items stood in for
# the user's own (vector_store_unavailable: not personalized), or the user has used every
# item on offer and those used longest ago come again (seen_everything).
# How the assistant writes for a product (PERSONIFY_TONE, or a tenant's `tone`): the
# welcome and answer wording of the fallbacks, and the voice the model is asked for.
Tone = Literal["friendly", "professional", "concise"]
TONE_VOICE: dict[Tone, str] = {
    "friendly": "warm, friendly",
    "professional": "clear, professional",
    "concise": "brief, plain",
}

ServingFallback = Literal["vector_store_unavailable", "seen_everything"]
# which ranking an experiment's variant serves (Recommender.recommend says what each is)
RankerName = Literal["personalized", "popular", "content"]


@dataclass(frozen=True, kw_only=True)
class Treatment:
    """What experiments change in one response; None everywhere is the default."""

    ranker: RankerName | None = None
    prompt: str | None = None  # a template id, e.g. "onboarding.v2"
    n_items: int | None = None

    def version_of(self, template: str) -> str | None:
        """The version set for `template` ("onboarding"), if one is."""
        name, _, version = (self.prompt or "").partition(".")
        return version if name == template and version else None


NO_TREATMENT = Treatment()


class Provenance(Frozen):
    """How an answer was made: which model and template, and whether we fell back."""

    model: str
    template: str
    fallback: FallbackReason | None = None
    candidates: list[str]
    redacted: dict[str, int]
    # what the model call used, as the model counted it (0 where no model ran)
    tokens_in: int = 0
    tokens_out: int = 0


class OnboardingPlan(Frozen):
    personalized: bool = True
    message: str
    items: list[PlanItem]
    provenance: Provenance
    experiments: dict[str, str] = Field(default_factory=dict)  # experiment key -> variant


class ItemCard(Frozen):
    item_id: str
    title: str
    description: str
    category: str
    reason: str


class ChatTurn(Frozen):
    personalized: bool = True
    session_id: str
    message: str
    cards: list[ItemCard]
    provenance: Provenance
    experiments: dict[str, str] = Field(default_factory=dict)  # experiment key -> variant


@dataclass(frozen=True, kw_only=True, slots=True)
class LogEntry:
    """An event as the hot paths need it: features, profile vectors, co-visitation."""

    seq: int
    user_id: str
    type: str
    item_id: str | None
    ts: float  # epoch seconds
    value: float | None = None  # a rating's value


@dataclass(frozen=True, kw_only=True)
class Activity:
    """A user's event counts, as the event log computes them."""

    total: int
    last_7d: int
    last_30d: int
    engaged: int
    last_ts: float


class Recommendations(Frozen):
    """Ranked items for a user, and whether they are personalized this time."""

    user_id: str
    items: list[Candidate]
    personalized: bool  # false without consent, or while popular items stand in
    cold_start: bool
    fallback: ServingFallback | None = None
    experiments: dict[str, str] = Field(default_factory=dict)  # experiment key -> variant


# What one chat turn streams, in order: text deltas, maybe one Replace (a fallback takes
# back what was streamed), then Done with the whole turn.
@dataclass(frozen=True, kw_only=True)
class TokenDelta:
    text: str


@dataclass(frozen=True, kw_only=True)
class Replace:
    message: str


@dataclass(frozen=True, kw_only=True)
class Done:
    turn: ChatTurn


ChatEvent = TokenDelta | Replace | Done

"""What an experiment and a metric are, as the API accepts them.

Names are identifiers (they go into JSON keys, Prometheus-free reports and file names).
Validation names the field and the fix; cross-field rules (unique variant names, ratio
metrics need a denominator) are checked here too, so the store only ever holds sound
definitions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from personify.domain import RankerName

NAME = r"^[a-z][a-z0-9_\-]{0,63}$"
Surface = Literal["recommendations", "onboarding", "chat", "all"]
MetricKind = Literal["conversion", "count", "sum", "ratio"]
Status = Literal["running", "stopped"]
EventType = Annotated[str, Field(min_length=1, max_length=64)]
Decision = Literal["ship", "keep running", "stop", "insufficient data"]
# the pseudo event type that counts served responses (a ratio's denominator, e.g. clicks
# per exposure): one per response of the experiment's surface served to the user
EXPOSURE = "$exposure"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VariantConfig(Strict):
    """What a variant changes; anything left out is the server's default."""

    ranker: RankerName | None = None
    prompt: str | None = Field(default=None, description="a template id, e.g. onboarding.v2")
    model: str | None = Field(default=None, description="a configured model name")
    n_items: int | None = Field(default=None, ge=1, le=100)


class Variant(Strict):
    name: str = Field(pattern=NAME)
    weight: float = Field(gt=0, le=1_000_000)
    config: VariantConfig = VariantConfig()


class MetricSet(Strict):
    primary: str = Field(pattern=NAME)
    secondary: list[str] = Field(default_factory=list, max_length=20)
    guardrails: list[str] = Field(default_factory=list, max_length=20)

    def all(self) -> list[str]:
        """Every metric named, primary first, each once."""
        return list(dict.fromkeys([self.primary, *self.secondary, *self.guardrails]))


class ExperimentSpec(Strict):
    """The body of POST /v1/experiments. The first variant is the control."""

    key: str = Field(pattern=NAME)
    description: str = Field(default="", max_length=2000)
    surface: Surface
    variants: list[Variant] = Field(min_length=2, max_length=10)
    metrics: MetricSet
    min_users_per_variant: int = Field(default=100, ge=1, le=10_000_000)
    # CUPED: adjust each metric by its own value in the 14 days before exposure
    cuped: bool = False
    # anytime-valid intervals, for teams that look at the results every day
    sequential: bool = False
    # a guardrail fails when the treatment is worse than the control by more than this
    # share of the control's mean (non-inferiority, one-sided at 2.5%)
    guardrail_margin: float = Field(default=0.1, gt=0, le=10)

    @field_validator("variants")
    @classmethod
    def _unique_names(cls, variants: list[Variant]) -> list[Variant]:
        names = [v.name for v in variants]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(f"variants[{index}].name {name!r} is used twice: names differ")
        return variants

    @property
    def control(self) -> str:
        return self.variants[0].name

    def weights(self) -> dict[str, float]:
        """Each variant's share of users, summing to 1."""
        total = sum(v.weight for v in self.variants)
        return {v.name: v.weight / total for v in self.variants}

    def variant(self, name: str) -> Variant:
        return next(v for v in self.variants if v.name == name)

    def serves(self, surface: str) -> bool:
        return self.surface in ("all", surface)


class Experiment(ExperimentSpec):
    """A stored experiment: its definition and its state."""

    status: Status = "running"
    created_at: float
    stopped_at: float | None = None


class MetricSpec(Strict):
    """The body of POST /v1/metrics: what to count in the event log after first exposure.

    conversion: 1 if the user had any of `events` within the window, else 0;
    count: how many of `events`; sum: the sum of their `value` property;
    ratio: count of `events` over count of `denominator_events` (`$exposure` counts the
    responses served), pooled per variant with the delta method."""

    name: str = Field(pattern=NAME)
    kind: MetricKind
    events: list[EventType] = Field(min_length=1, max_length=20)
    denominator_events: list[EventType] | None = Field(
        default=None, min_length=1, max_length=20, validate_default=True
    )
    window_days: float = Field(default=7, gt=0, le=365)
    higher_is_better: bool = True

    @field_validator("denominator_events")
    @classmethod
    def _denominator_for_ratios(
        cls, value: list[str] | None, info: ValidationInfo
    ) -> list[str] | None:
        kind = info.data.get("kind")
        if kind == "ratio" and not value:
            raise ValueError('a ratio metric needs them, e.g. ["$exposure"]')
        if kind != "ratio" and value:
            raise ValueError("only a ratio metric has them; remove the field")
        return value


# Built in for every tenant. fallback_rate and latency_p95_ms are read from the served
# responses, not from events (their `events` name where they come from).
BUILT_IN_METRICS = {
    m.name: m
    for m in [
        MetricSpec(
            name="card_click_rate",
            kind="ratio",
            events=["card_click"],
            denominator_events=[EXPOSURE],
        ),
        MetricSpec(name="conversion", kind="conversion", events=["purchase", "order"]),
        MetricSpec(name="revenue_per_user", kind="sum", events=["purchase", "order"]),
        MetricSpec(
            name="fallback_rate",
            kind="ratio",
            events=["$fallback"],
            denominator_events=[EXPOSURE],
            higher_is_better=False,
        ),
        MetricSpec(
            name="latency_p95_ms",
            kind="sum",
            events=["$latency_ms"],
            higher_is_better=False,
        ),
    ]
}
SERVED_METRICS = {"fallback_rate", "latency_p95_ms"}
# metrics read as a quantile of the served responses, not a mean per user
QUANTILES = {"latency_p95_ms": 0.95}

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from personify.api.deps import PersonifyDep, UserId, WidgetPersonifyDep
from personify.api.schemas import (
    ConsentUpdate,
    Deleted,
    OnboardingPublic,
    OnboardingRequest,
    ProfilePublic,
    RecommendationPublic,
    RecommendationsPublic,
    TraitsUpdate,
    UserPublic,
)
from personify.domain import Consent

router = APIRouter(prefix="/v1/users", tags=["users"])


@router.put("/{user_id}", response_model=UserPublic)
def update_user(user_id: UserId, body: TraitsUpdate, service: PersonifyDep) -> UserPublic:
    traits = service.put_traits(user_id, body.traits)
    return UserPublic(user_id=user_id, traits=traits.model_dump(exclude_none=True))


@router.get("/{user_id}/profile", response_model=ProfilePublic)
def read_profile(user_id: UserId, service: PersonifyDep) -> ProfilePublic:
    profile = service.profile(user_id)
    return ProfilePublic(
        user_id=user_id,
        cold_start=profile.cold_start,
        has_vector=profile.has_vector,
        features=profile.features,
        top_categories=profile.features.top_categories,
        updated_at=profile.updated_at,
    )


@router.get("/{user_id}/recommendations", response_model=RecommendationsPublic)
def read_recommendations(
    user_id: UserId,
    service: WidgetPersonifyDep,
    n: Annotated[int, Query(ge=1, le=100)] = 10,
    category: Annotated[str | None, Query(max_length=100)] = None,
) -> RecommendationsPublic:
    """Ranked items with the reasons each was chosen. No model on this path."""
    ranked = service.recommend(user_id, n, category=category or None)
    return RecommendationsPublic(
        user_id=user_id,
        personalized=ranked.personalized,
        fallback=ranked.fallback,
        cold_start=ranked.cold_start,
        experiments=ranked.experiments,
        items=[
            RecommendationPublic(
                item_id=c.item.id,
                title=c.item.title,
                category=c.item.category,
                score=c.score,
                reasons=list(c.reasons),
                sources=list(c.sources),
            )
            for c in ranked.items
        ],
    )


@router.post("/{user_id}/onboarding", response_model=OnboardingPublic)
def create_onboarding(
    user_id: UserId,
    service: WidgetPersonifyDep,
    body: Annotated[OnboardingRequest | None, Body()] = None,
) -> OnboardingPublic:
    plan = service.onboard(user_id, body.goal if body else None)
    return OnboardingPublic(
        personalized=plan.personalized,
        message=plan.message,
        items=plan.items,
        provenance=plan.provenance,
        experiments=plan.experiments,
    )


@router.get("/{user_id}/experiments")
def read_user_experiments(user_id: UserId, service: PersonifyDep) -> dict[str, dict[str, str]]:
    """The user's variant in every running experiment (a lookup: records no exposure)."""
    service.profile(user_id)  # an unknown user is a 404
    return {"experiments": service.experiments.of_user(user_id)}


@router.get("/{user_id}/consent", response_model=Consent)
def read_consent(user_id: UserId, service: PersonifyDep) -> Consent:
    return service.consent(user_id)


@router.put("/{user_id}/consent", response_model=Consent)
def update_consent(user_id: UserId, body: ConsentUpdate, service: PersonifyDep) -> Consent:
    """Set any of personalization, free_text, analytics; applies from the next request."""
    return service.set_consent(user_id, body.model_dump(exclude_none=True))


@router.get("/{user_id}/data")
def read_user_data(user_id: UserId, service: PersonifyDep) -> dict[str, Any]:
    """Everything Personify holds about the user (an access request): traits, profile,
    events, conversations (as stored, redacted), their pseudonyms and model-call records."""
    return service.export(user_id)


@router.delete("/{user_id}", response_model=Deleted)
def delete_user(user_id: UserId, service: PersonifyDep) -> Deleted:
    """Erase the user's events, traits, profile vector and conversations."""
    removed = service.delete_user(user_id)
    return Deleted(user_id=user_id, deleted=True, rows_removed=removed)

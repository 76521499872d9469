"""Where one tenant's data about a user lives: every store, registered once in the list
that erasure and the access export both read (privacy/erasure.py).

Erased in the order registered: the places that make a user known (events, traits,
consent) last, so an erasure cut short is finished by its retry. A new store of user data
(a cache, experiment exposures, sent messages) adds its Place here.

Not a place: the trained models under <data dir>/models. Their ALS file holds item factors
only (retrieval/factors.py): a user's factors are solved from their events when needed,
so erasing the events erases them; the rankers and meta hold no row per user."""

from __future__ import annotations

from typing import Any

from personify.domain import ProfileFeatures
from personify.experiments.store import ExperimentStore
from personify.privacy.audit import AuditLog
from personify.privacy.consent import ConsentStore
from personify.privacy.erasure import Place, UserData
from personify.privacy.vaults import VaultStore
from personify.retrieval.vectors import VectorIndex
from personify.store import Store


def user_data(
    store: Store,
    vectors: VectorIndex,
    vaults: VaultStore,
    consents: ConsentStore,
    audit: AuditLog,
    experiments: ExperimentStore,
) -> UserData:
    users, notes, events = store.users, store.notes, store.events

    def profile(user_id: str) -> dict[str, Any]:
        stored = users.get_profile(user_id)
        features = ProfileFeatures.model_validate(stored.features if stored else {})
        return features.model_dump(mode="json")

    def drop_profile(user_id: str) -> int:
        vectors.delete_profile(user_id)
        return users.drop_profile(user_id)

    def model_calls(user_id: str) -> list[dict[str, Any]]:
        return [
            {"at": r.at, "model": r.model, "template": r.template, "entities": r.entities}
            for r in audit.for_user(user_id)
            if r.kind == "model_call"
        ]

    data = UserData()
    data.register(Place(name="profile", export=profile, erase=drop_profile))
    data.register(
        Place(name="conversations", export=users.conversations, erase=users.erase_conversations)
    )
    data.register(Place(name="pseudonyms", export=vaults.of_user, erase=vaults.erase))
    data.register(
        Place(
            name="agent_notes",
            export=lambda u: notes.get(u).model_dump(mode="json"),
            erase=notes.erase,
        )
    )
    # pseudonymous records of what was sent, no personal data: kept as the proof
    data.register(Place(name="model_calls", export=model_calls, erase=None))
    data.register(Place(name="experiments", export=experiments.of_user, erase=experiments.erase))
    data.register(
        Place(
            name="events",
            export=lambda u: [e.model_dump(mode="json") for e in events.for_user(u)],
            erase=events.erase,
        )
    )
    data.register(
        Place(name="traits", export=lambda u: users.get_traits(u) or {}, erase=users.erase_traits)
    )
    data.register(
        Place(
            name="consent",
            export=lambda u: consents.get(u).model_dump(),
            erase=consents.erase,
        )
    )
    return data

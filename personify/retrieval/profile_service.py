"""Keeps each user's profile (features in SQL, vector in Chroma) current as events arrive."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import numpy as np

from personify.domain import (
    AgentNotes,
    Consent,
    LogEntry,
    Profile,
    ProfileFeatures,
    UserTraits,
    utcnow,
)
from personify.errors import NotFound
from personify.privacy.consent import ConsentStore
from personify.retrieval import profiles
from personify.retrieval.embeddings import Embedder
from personify.retrieval.profiles import ProfileState
from personify.retrieval.vectors import VectorIndex
from personify.store import Store
from personify.store.sql import from_epoch, retry_conflicts
from personify.store.users import Folding, StoredProfile

CHAT_SIGNALS = 20  # interests and dislikes kept from chat, each


def _blob(values: np.ndarray | None) -> bytes | None:
    return None if values is None else np.asarray(values, dtype=np.float32).tobytes()


def _array(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype=np.float32).copy()


def _state(stored: StoredProfile) -> ProfileState:
    return ProfileState(
        behaviour=_array(stored.behaviour),
        affinity=stored.affinity,
        interests=_array(stored.interests),
        dislikes=_array(stored.dislikes),
        at=stored.state_at,
    )


class ProfileService:
    def __init__(
        self, store: Store, vectors: VectorIndex, embedder: Embedder, consents: ConsentStore
    ) -> None:
        self._store = store
        self._vectors = vectors
        self._embedder = embedder
        self._consents = consents

    def traits(self, user_id: str) -> UserTraits | None:
        raw = self._store.users.get_traits(user_id)
        return UserTraits.model_validate(raw) if raw is not None else None

    def apply(self, user_ids: Iterable[str]) -> None:
        """Fold the users' stored but not yet folded events into their profiles (no
        history reread), exactly once: profiles and the events' folded marks are saved in
        one transaction. A batch stored just before a crash is folded in when its retry
        (all duplicates) or the user's next event arrives."""
        users = list(dict.fromkeys(user_ids))
        stored = self._store.users.get_profiles(users)
        missing = [u for u in users if u not in stored]
        if missing:
            self.refresh(missing)  # first events of a user: built from the log
        present = [u for u in users if u in stored]
        if present:
            retry_conflicts(lambda: self._fold(present))

    def _fold(self, users: list[str]) -> None:
        with self._store.users.folding(users) as fold:
            entries = self._store.events.unfolded(list(fold.profiles), fold.conn)
            if entries:
                states = {u: _state(fold.profiles[u]) for u in entries}
                self._save(fold, states, entries)

    def refresh(self, user_ids: Iterable[str]) -> None:
        """Rebuild profiles from the log and the traits (new users, changed traits)."""
        consents = self._consents.get_many(user_ids)
        users = [u for u, c in consents.items() if c.personalization]
        if not users:
            return
        now = utcnow()
        traits = {
            u: UserTraits.model_validate(t)
            for u, t in self._store.users.get_traits_many(users).items()
        }
        notes = self._store.notes.get_many(users)
        for user in users:
            if not consents[user].free_text:  # structured traits only, nothing said in chat
                traits[user] = traits.get(user, UserTraits()).structured()
                notes.pop(user, None)
        embed = self._embedder.embed
        states = {
            u: ProfileState(
                interests=profiles.stated_interests(
                    traits.get(u, UserTraits()), notes.get(u, AgentNotes()), embed
                ),
                dislikes=profiles.stated_dislikes(notes.get(u, AgentNotes()), embed),
            )
            for u in users
        }
        retry_conflicts(lambda: self._rebuild(users, states, now))

    def _rebuild(self, users: list[str], states: dict[str, ProfileState], now: datetime) -> None:
        with self._store.users.folding(users) as fold:
            # Read first, so each of these is visible to the history read below: the ones
            # the history leaves out (too old, past its newest entries) are left out on
            # purpose, and marked folded with the rest.
            pending = self._store.events.unfolded(users, fold.conn)
            history = self._store.events.history(users, now.timestamp(), fold.conn)
            skipped = [e.seq for batch in pending.values() for e in batch]
            self._save(fold, states, {u: history.get(u, []) for u in users}, now, skipped)

    def _save(
        self,
        fold: Folding,
        states: dict[str, ProfileState],
        entries: dict[str, list[LogEntry]],
        now: datetime | None = None,
        skipped: Sequence[int] = (),
    ) -> None:
        """Save the folded profiles: vectors to Chroma first (idempotent: a retry after a
        crash between the two writes computes the same vectors), then SQL, with the events
        marked folded (those in `entries`, and `skipped`: left out of the state on
        purpose), when the caller's transaction commits."""
        now = now or utcnow()
        item_ids = sorted({e.item_id for batch in entries.values() for e in batch if e.item_id})
        categories = {i.id: i.category for i in self._store.catalog.get_many(item_ids).values()}
        item_vectors = self._vectors.item_vectors(item_ids)
        activity = self._store.events.activity(list(states), now.timestamp())
        rows, vectors = [], {}
        for user, state in states.items():
            state = profiles.fold(state, entries.get(user, []), item_vectors, categories)
            vector = profiles.vector(state)
            if vector is not None:
                vectors[user] = vector
            rows.append(
                {
                    "user_id": user,
                    "features": profiles.features(state, activity.get(user), now).model_dump(
                        mode="json"
                    ),
                    "has_vector": vector is not None,
                    "updated_at": now.timestamp(),
                    "behaviour": _blob(state.behaviour),
                    "interests": _blob(state.interests),
                    "dislikes": _blob(state.dislikes),
                    "affinity": state.affinity,
                    "state_at": state.at,
                }
            )
        self._vectors.upsert_profiles(vectors)
        fold.save(rows, [e.seq for batch in entries.values() for e in batch] + list(skipped))

    def learn(self, user_id: str, interests: Sequence[str], dislikes: Sequence[str]) -> None:
        """Keep interests and dislikes stated in chat (already redacted) in the agent's
        notes, newest first, and rebuild the profile so the next ranking uses them."""
        notes = self._store.notes.get(user_id)
        liked, disliked = list(notes.interests), list(notes.dislikes)
        for phrase in interests:
            liked = [phrase] + [i for i in liked if i != phrase]
            disliked = [d for d in disliked if d != phrase]
        for phrase in dislikes:
            disliked = [phrase] + [d for d in disliked if d != phrase]
            liked = [i for i in liked if i != phrase]
        update = {"interests": liked[:CHAT_SIGNALS], "dislikes": disliked[:CHAT_SIGNALS]}
        self._store.notes.put(user_id, notes.model_copy(update=update))
        self.refresh([user_id])

    def dislikes(self, user_id: str) -> np.ndarray | None:
        stored = self._store.users.get_profile(user_id)
        return _array(stored.dislikes) if stored else None

    def exists(self, user_id: str) -> bool:
        """Known by traits, a consent choice or events."""
        return (
            self._store.users.get_traits(user_id) is not None
            or bool(self._consents.stored([user_id]))
            or self._store.events.user_exists(user_id)
        )

    def set_consent(self, user_id: str, consent: Consent) -> None:
        """Keep the profile in step with the user's choice: rebuilt with what they now
        allow, or removed when they withdraw personalization."""
        if consent.personalization:
            self.refresh([user_id])
        else:
            self.drop(user_id)

    def drop(self, user_id: str) -> int:
        """Remove the profile (features and vector); rows removed."""
        self._vectors.delete_profile(user_id)
        return self._store.users.drop_profile(user_id)

    def get(self, user_id: str) -> Profile:
        consent = self._consents.get(user_id)
        traits = self.traits(user_id)
        notes = self._store.notes.get(user_id) if consent.free_text else AgentNotes()
        if traits is not None and not consent.free_text:
            traits = traits.structured()
        if not consent.personalization:
            if traits is None and not self.exists(user_id):
                raise NotFound(f"Unknown user {user_id!r}.", field="user_id")
            return Profile(
                user_id=user_id,
                features=ProfileFeatures(),
                traits=UserTraits(),  # nothing about them is used
                has_vector=False,
                cold_start=True,
                updated_at=utcnow(),
                consent=consent,
            )
        stored = self._store.users.get_profile(user_id)
        if stored is None and (traits is not None or self._store.events.user_exists(user_id)):
            self.refresh([user_id])
            stored = self._store.users.get_profile(user_id)
        if stored is None:
            raise NotFound(
                f"Unknown user {user_id!r}: create it with PUT /v1/users/{user_id} "
                "or send events for it first.",
                field="user_id",
            )
        features = ProfileFeatures.model_validate(stored.features)
        return Profile(
            user_id=user_id,
            features=features,
            traits=traits or UserTraits(),
            has_vector=stored.has_vector,
            cold_start=features.events_total == 0,
            updated_at=from_epoch(stored.updated_at),
            consent=consent,
            notes=notes,
        )

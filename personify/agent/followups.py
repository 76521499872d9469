"""Follow-ups are read with the conversation. "And for funnels?" after "Which report
shows ad spend against revenue?" asks about funnels for the same need; "which of those
can I share?" asks about what was just discussed. The retrieval query is a blend of
the message's vector and the earlier user turns', weighted by how much the message
leans on them: a standalone question gets none of them, a new topic keeps the lead, a
message that points back ("those", "that") is mostly the earlier topic."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np

from personify.retrieval.embeddings import Embedder

SHORT = 8  # words: a longer message stands on its own unless it opens with a follow-on
TURNS = 3  # earlier user turns read
# The weight of the earlier turns' topic against the message's own (1.0).
CARRY = {"standalone": 0.0, "new_topic": 0.4, "points_back": 1.2}
FOLLOW_ON = re.compile(
    r"^\s*(and|also|plus|but|or|then|what about|how about|what of|same for)\b", re.IGNORECASE
)
POINTS_BACK = re.compile(
    r"\b(those|these|them|they|it|its|that|this|one|ones|there|same|above)\b", re.IGNORECASE
)

Leaning = Literal["standalone", "new_topic", "points_back"]


def leaning(message: str) -> Leaning:
    """How much a message leans on the turns before it."""
    words = len(message.split())
    if POINTS_BACK.search(message) and words <= SHORT:
        return "points_back"
    if FOLLOW_ON.match(message) or words <= 3:
        return "new_topic"
    return "standalone"


def query_vector(embedder: Embedder, message: str, earlier: Sequence[str]) -> np.ndarray:
    """The message's vector, with the earlier turns' topic blended in as far as it
    leans on them. `earlier`: the user's previous messages, oldest first (redacted)."""
    turns = [t for t in earlier if t.strip()][-TURNS:]
    vectors = embedder.embed([*turns, message])
    topic: np.ndarray | None = None
    for text, vector in zip([*turns, message], vectors, strict=True):
        topic = vector if topic is None else _blend(vector, topic, CARRY[leaning(text)])
    assert topic is not None
    return topic


def _blend(vector: np.ndarray, topic: np.ndarray, carry: float) -> np.ndarray:
    blended = vector + carry * topic
    return (blended / (float(np.linalg.norm(blended)) or 1.0)).astype(np.float32)

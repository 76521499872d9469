"""A small dataset of our own in the neutral format: users loyal to one topic each."""

from __future__ import annotations

import json
import random
from pathlib import Path

TOPICS = {
    "astronomy": [
        "telescope",
        "nebula",
        "comet",
        "orbit",
        "galaxy",
        "eclipse",
        "planet",
        "star chart",
    ],
    "cooking": ["sourdough", "risotto", "curry", "dumpling", "braise", "pastry", "noodle", "salsa"],
    "gardening": [
        "compost",
        "tomato",
        "pruning",
        "seedling",
        "orchard",
        "herb bed",
        "mulch",
        "rose",
    ],
    "finance": [
        "budget",
        "index fund",
        "mortgage",
        "pension",
        "tax return",
        "savings",
        "bond",
        "invoice",
    ],
}
FORMS = ["guide to", "handbook of", "notes on"]


def write_dataset(folder: Path, *, users: int = 80, per_user: int = 12, seed: int = 1) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for topic, words in TOPICS.items():
        for n, word in enumerate(words):
            for form in FORMS[: 2 if n % 2 else 3]:
                items.append(
                    {
                        "id": f"{topic[:3]}-{n}-{form.split()[0]}",
                        "title": f"A {form} {word}",
                        "description": f"Everything about {word}, for people into {topic}.",
                        "category": topic,
                        "tags": [topic, word],
                    }
                )
    by_topic = {t: [i["id"] for i in items if i["category"] == t] for t in TOPICS}
    everything = [i["id"] for i in items]
    events = []
    for u in range(users):
        topic = list(TOPICS)[u % len(TOPICS)]
        picks = rng.sample(by_topic[topic], min(per_user, len(by_topic[topic])))
        for item in picks:
            if rng.random() < 0.15:
                item = rng.choice(everything)
            events.append(
                {
                    "user_id": f"u{u}",
                    "item_id": item,
                    "type": "rating",
                    "value": rng.choice([3, 4, 5, 5]),
                }
            )
    with (folder / "items.jsonl").open("w") as handle:
        handle.writelines(json.dumps(i) + "\n" for i in items)
    with (folder / "events.jsonl").open("w") as handle:
        handle.writelines(json.dumps(e) + "\n" for e in events)
    return folder

"""Pseudonym vault: each distinct value gets a stable placeholder, restorable for its owner."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

PLACEHOLDER = re.compile(r"<([A-Z_]+)_(\d+)>")
# Anything that looks like the start of a placeholder the model mangled, e.g. "<PERSON_".
PLACEHOLDER_FRAGMENT = re.compile(r"<[A-Z]{3,}[A-Z_]*_?\d*>?")


@dataclass
class Vault:
    """placeholder -> original value. Lives for one request or one conversation."""

    entries: dict[str, str] = field(default_factory=dict)
    found: Counter[str] = field(default_factory=Counter)  # entity type -> redactions made

    def placeholder_for(self, entity: str, value: str) -> str:
        for placeholder, original in self.entries.items():
            if original == value and placeholder.startswith(f"<{entity}_"):
                self.found[entity] += 1
                return placeholder
        number = 1 + sum(1 for p in self.entries if p.startswith(f"<{entity}_"))
        placeholder = f"<{entity}_{number}>"
        self.entries[placeholder] = value
        self.found[entity] += 1
        return placeholder

    def restore(self, text: str) -> str:
        """Put the owner's values back. Unknown placeholders are left for the guards to see."""
        return PLACEHOLDER.sub(lambda m: self.entries.get(m.group(0), m.group(0)), text)

    def unknown_placeholders(self, text: str) -> list[str]:
        return [m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) not in self.entries]

    def values(self) -> list[str]:
        return list(self.entries.values())

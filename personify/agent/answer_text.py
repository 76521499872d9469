"""Turning a chat model's raw text into what the user sees: item markers become titles
(and cards), markers outside the candidates are dropped, placeholders are restored."""

from __future__ import annotations

from collections.abc import Mapping

from personify.agent.guards import MARKER
from personify.domain import Candidate
from personify.privacy.vault import Vault


def referenced_ids(raw: str, candidates: Mapping[str, Candidate]) -> list[str]:
    """Candidate ids the text refers to: by [[id]] marker, or by naming the title."""
    found = [m.group(1) for m in MARKER.finditer(raw) if m.group(1) in candidates]
    lowered = raw.lower()
    for item_id, candidate in candidates.items():
        if item_id not in found and len(candidate.item.title) > 4:
            if candidate.item.title.lower() in lowered:
                found.append(item_id)
    return list(dict.fromkeys(found))


def display(raw: str, candidates: Mapping[str, Candidate], vault: Vault) -> str:
    def title(match: object) -> str:
        item_id = match.group(1)  # type: ignore[attr-defined]
        return candidates[item_id].item.title if item_id in candidates else ""

    return vault.restore(MARKER.sub(title, raw))


def safe_prefix(raw: str, hold: int = 160) -> str:
    """The longest prefix with no marker or placeholder still being written (a piece
    still open after `hold` characters is not one, and is let through)."""
    cut = len(raw)
    bracket = raw.rfind("[")
    if bracket >= 0 and "]]" not in raw[bracket:]:
        if bracket > 0 and raw[bracket - 1] == "[":
            bracket -= 1
        cut = bracket
    angle = raw.rfind("<")
    if angle >= 0 and ">" not in raw[angle:]:
        cut = min(cut, angle)
    return raw if len(raw) - cut > hold else raw[:cut]

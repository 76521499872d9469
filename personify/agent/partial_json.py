"""Read the "message" string out of a JSON answer while it is still being streamed."""

from __future__ import annotations

import json
import re

MESSAGE_START = re.compile(r'^\s*\{\s*"message"\s*:\s*"')


def looks_like_json(raw: str) -> bool:
    return raw.lstrip().startswith("{")


def partial_message(raw: str) -> str:
    """The decoded "message" value written so far; '' until it starts. An escape that is
    still incomplete is held back."""
    match = MESSAGE_START.match(raw)
    if not match:
        return ""
    body = raw[match.end() :]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == '"':
            break
        if ch == "\\":
            if i + 1 >= len(body):
                break
            if body[i + 1] == "u":
                if i + 6 > len(body):
                    break
                out.append(_unescape(body[i : i + 6]))
                i += 6
                continue
            out.append(_unescape(body[i : i + 2]))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unescape(escape: str) -> str:
    try:
        return str(json.loads(f'"{escape}"'))
    except json.JSONDecodeError:
        return escape[1:]  # an invalid escape such as \q: keep the character

"""JSON that reads back out: the checks every free-JSON field and every request body pass.

JSON has no NaN or Infinity, UTF-8 cannot carry a lone surrogate (a valid `\\ud800`
escape decodes to one), and a reader that walks nested data (the response encoder, an
export) runs out of stack long before the parser does. Used by domain.py (item attributes,
event properties, traits) and by the API's body check (api/limits.py)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

MAX_JSON_DEPTH = 32  # free JSON: item attributes, event properties

Problem = tuple[str, str]  # (where, as a path like `items[0].title`; what is wrong)


def shown(text: str, limit: int = 40) -> str:
    """Text safe to echo in an answer: lone surrogates escaped, long text cut."""
    cut = text[:limit] + ("..." if len(text) > limit else "")
    return cut.encode("utf-8", "backslashreplace").decode("utf-8")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{shown(key)}" if path else shown(key)


def _text_problem(text: str) -> str | None:
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        char = text[exc.start].encode("utf-8", "backslashreplace").decode("ascii")
        return (
            f"has a lone surrogate ({char}) at character {exc.start}, which is not text: "
            "send the character whole (both halves of a surrogate pair) or leave it out"
        )
    return None


def _scalar_problem(node: Any) -> str | None:
    if isinstance(node, str):
        wrong = _text_problem(node)
        return f"the text {wrong}" if wrong else None
    if isinstance(node, float) and not math.isfinite(node):
        name = "NaN" if math.isnan(node) else ("Infinity" if node > 0 else "-Infinity")
        return f"{name} is not a number JSON can carry: send a finite number or null"
    if isinstance(node, int) and node.bit_length() > 1024:  # past any float: unreadable
        return (
            f"an integer of {len(str(abs(node)))} digits is past the largest number JSON "
            "readers agree on (about 1.8e308): send it as text"
        )
    return None


Steps = tuple[Any, ...] | None  # (key, the parent's steps): a path, spelled out only if needed


def _path(steps: Steps) -> str:
    keys: list[str | int] = []
    while steps is not None:
        key, steps = steps
        keys.append(key)
    path = ""
    for key in reversed(keys):
        path = _join(path, key)
    return path


def json_problem(value: Any, max_depth: int) -> Problem | None:
    """A value that could not be read back out, with its path: a container nested deeper
    than `max_depth` (the outermost is level 1), a lone surrogate in a string or key, a
    NaN or infinite number. Iterative, so any depth is safe to walk."""
    stack: list[tuple[Any, Steps, int]] = [(value, None, 1)]
    while stack:
        node, steps, depth = stack.pop()
        if not isinstance(node, dict | list):
            wrong = _scalar_problem(node)
            if wrong:
                return _path(steps), wrong
            continue
        if depth > max_depth:
            return _path(steps), f"nests deeper than the limit of {max_depth} levels: flatten it"
        children: list[tuple[Any, Steps, int]] = []
        pairs = (
            ((str(k), v) for k, v in node.items()) if isinstance(node, dict) else enumerate(node)
        )
        for key, child in pairs:
            here = (key, steps)
            if isinstance(key, str) and (wrong := _text_problem(key)):
                return _path(here), f"the key {wrong}"
            if isinstance(child, dict | list):
                children.append((child, here, depth + 1))
            elif wrong := _scalar_problem(child):
                return _path(here), wrong
        stack.extend(reversed(children))
    return None


def _check_free_json(max_bytes: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def check(value: dict[str, Any]) -> dict[str, Any]:
        found = json_problem(value, MAX_JSON_DEPTH)
        if found:
            where, wrong = found
            raise PydanticCustomError("json_limit", f"at {where}: {wrong}" if where else wrong)
        size = len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8"))
        if size > max_bytes:
            raise PydanticCustomError(
                "json_limit", f"{size} bytes of JSON is over the limit of {max_bytes}"
            )
        return value

    return check


def free_json(max_bytes: int) -> AfterValidator:
    """For a field of free JSON: at most `max_bytes` as UTF-8 JSON, MAX_JSON_DEPTH levels,
    and only what reads back out (see json_problem). Use as Annotated[dict[str, Any], ...]."""
    return AfterValidator(_check_free_json(max_bytes))

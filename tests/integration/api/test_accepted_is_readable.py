"""What the API accepts, it can give back. Arbitrary JSON (NaN, infinities, lone
surrogates, huge integers, deep nesting included) is written through every endpoint that
takes free JSON; a write is answered 2xx or 4xx, never 5xx, and once accepted, every read
of that record answers 200 with the same data: an access request never fails because of
what we accepted."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

JSON = {"content-type": "application/json"}
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ids = itertools.count()

text = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=8)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | text
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)


def wrapped(value: Any, depth: int) -> Any:
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


# mostly shallow, sometimes past the depth limits (32 for free JSON, 64 for a body)
deep = st.builds(wrapped, values, st.integers(0, 80))
free_json = st.dictionaries(text, values | deep, max_size=4)
trait_values = scalars | st.lists(scalars, max_size=3)
traits = st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), trait_values)


def send(client: TestClient, method: str, path: str, body: object) -> httpx.Response:
    """As a client would write it: json.dumps escapes a lone surrogate, writes NaN."""
    answer = client.request(method, path, content=json.dumps(body), headers=JSON)
    assert answer.status_code < 500, answer.text
    event(f"{method} answered {answer.status_code}")  # --hypothesis-show-statistics
    return answer


def read(client: TestClient, path: str) -> Any:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.text)
    return answer.json()


def same(a: Any, b: Any) -> bool:
    """Equal as JSON data (a float that is an integer may come back either way)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) or a == b


@EXAMPLES
@given(attributes=free_json)
def test_accepted_item_attributes_read_back(client: TestClient, attributes: dict[str, Any]) -> None:
    item_id = f"prop-{next(ids)}"
    item = {"id": item_id, "title": "Property", "attributes": attributes}
    if send(client, "POST", "/v1/items", {"items": [item]}).status_code != 200:
        return
    assert same(read(client, f"/v1/items/{item_id}")["attributes"], attributes)
    listed = read(client, "/v1/items?limit=1000")["items"]
    assert [same(i["attributes"], attributes) for i in listed if i["id"] == item_id] == [True]
    read(client, "/v1/users/dana/recommendations?n=20")
    assert (
        send(
            client,
            "POST",
            "/v1/events",
            {"events": [{"user_id": "dana", "type": "view", "item_id": item_id}]},
        ).status_code
        == 200
    )
    read(client, "/v1/users/dana/data")


# a rating's value weighs the profile: any number (or text) may come as one
rated = st.builds(
    lambda v, p: {**p, "value": v}, scalars | st.from_regex(r"-?[0-9.e]+|nan|inf"), free_json
)


@EXAMPLES
@given(kind=st.sampled_from(["view", "rating"]), properties=free_json | rated)
def test_accepted_event_properties_read_back(
    client: TestClient, kind: str, properties: dict[str, Any]
) -> None:
    user = f"prop-{next(ids)}"
    event = {"user_id": user, "type": kind, "item_id": "feat-alerts", "properties": properties}
    if send(client, "POST", "/v1/events", {"events": [event]}).status_code != 200:
        return
    exported = read(client, f"/v1/users/{user}/data")
    assert [same(e["properties"], properties) for e in exported["events"]] == [True]
    read(client, f"/v1/users/{user}/profile")
    read(client, f"/v1/users/{user}/recommendations")
    later = {"user_id": user, "type": "view", "item_id": "int-zendesk"}
    assert send(client, "POST", "/v1/events", {"events": [later]}).status_code == 200


@EXAMPLES
@given(given_traits=traits)
def test_accepted_traits_read_back(client: TestClient, given_traits: dict[str, Any]) -> None:
    user = f"prop-{next(ids)}"
    answer = send(client, "PUT", f"/v1/users/{user}", {"traits": given_traits})
    if answer.status_code != 200:
        return
    # a trait set to null is no trait; `interests` is always there, a list
    kept = {"interests": [], **{n: v for n, v in given_traits.items() if v is not None}}
    assert same(answer.json()["traits"], kept)
    assert same(read(client, f"/v1/users/{user}/data")["traits"], kept)
    read(client, f"/v1/users/{user}/profile")
    read(client, f"/v1/users/{user}/recommendations")

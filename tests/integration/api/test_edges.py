"""The API's edges, tried the way an attacker tried them: bodies that lie about their size,
free JSON too big or too deep, text UTF-8 cannot carry, numbers JSON has no name for,
timestamps from year 1. Each is refused with the field and the fix, and what was refused
never makes a user's data unreadable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import anyio
import httpx
from fastapi.testclient import TestClient

from personify.api.app import create_app
from personify.api.limits import MAX_BODY_BYTES
from personify.service import Personify
from tests.servers import serve_in_thread

JSON = {"content-type": "application/json"}
CHUNK = 64 * 1024


def error(answer: httpx.Response, status: int) -> dict[str, str]:
    assert answer.status_code == status, answer.text
    found: dict[str, str] = answer.json()["error"]
    return found


def post(client: TestClient, path: str, text: str | bytes) -> httpx.Response:
    return client.post(path, content=text, headers=JSON)


def nested(depth: int, leaf: object = 1) -> object:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def padded_item(item_id: str, padding: int) -> Iterator[bytes]:
    """A valid item batch, then `padding` bytes of JSON whitespace, in chunks."""
    yield json.dumps({"items": [{"id": item_id, "title": "Chunked"}]})[:-1].encode()
    for start in range(0, padding, CHUNK):
        yield b" " * min(CHUNK, padding - start)
    yield b"}"


# bytes -------------------------------------------------------------------------------
def test_a_chunked_body_over_the_limit_is_refused_before_it_is_all_read(
    demo: Personify, client: TestClient
) -> None:
    """Driven as a server drives the app: 64 KiB `http.request` messages, no length."""
    chunks = padded_item("chunked-big", 12 * 1024 * 1024)
    pulled, sent = 0, []  # messages pulled from the client; what the app sent back

    async def receive() -> dict[str, object]:
        nonlocal pulled
        pulled += 1
        chunk = next(chunks, b"")
        return {"type": "http.request", "body": chunk, "more_body": bool(chunk)}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/items",
        "headers": [(b"content-type", b"application/json")],
        "query_string": b"",
    }
    anyio.run(create_app(demo), scope, receive, send)
    assert sent[0]["status"] == 413
    found = json.loads(sent[1]["body"])["error"]  # the one body message
    assert found["field"] == "body" and str(MAX_BODY_BYTES) in found["message"]
    assert pulled <= MAX_BODY_BYTES // CHUNK + 2  # stopped at the limit, not at the end
    assert client.get("/v1/items/chunked-big").status_code == 404


def test_chunked_bodies_over_a_real_server(demo: Personify) -> None:
    with serve_in_thread(create_app(demo)) as url:
        small = padded_item("chunked-ok", 300_000)
        answer = httpx.post(f"{url}/v1/items", content=small, headers=JSON, timeout=30)
        assert answer.status_code == 200, answer.text
        try:
            big = padded_item("chunked-wire", 12 * 1024 * 1024)
            answer = httpx.post(f"{url}/v1/items", content=big, headers=JSON, timeout=30)
            assert answer.status_code == 413, answer.text
            assert answer.json()["error"]["field"] == "body"
        except httpx.TransportError:
            pass  # the server answered and closed while the rest was still being sent
        assert httpx.get(f"{url}/v1/items/chunked-ok").json()["title"] == "Chunked"
        assert httpx.get(f"{url}/v1/items/chunked-wire").status_code == 404


def test_a_declared_length_over_the_limit_is_refused_unread(client: TestClient) -> None:
    body = b'{"items": []}' + b" " * MAX_BODY_BYTES
    found = error(post(client, "/v1/items", body), 413)
    assert found["field"] == "body" and str(MAX_BODY_BYTES) in found["message"]


# size and depth of free JSON ---------------------------------------------------------
def test_attributes_and_properties_have_a_size_limit(client: TestClient) -> None:
    big = {"blob": "x" * 3 * 1024 * 1024}
    found = error(
        client.post(
            "/v1/items", json={"items": [{"id": "big", "title": "Big", "attributes": big}]}
        ),
        422,
    )
    assert found["field"] == "items[0].attributes" and "65536" in found["message"]
    assert client.get("/v1/items/big").status_code == 404
    event = {"user_id": "dana", "type": "view", "properties": {"blob": "x" * 20_000}}
    found = error(client.post("/v1/events", json={"events": [event]}), 422)
    assert found["field"] == "events[0].properties" and "16384" in found["message"]


def test_free_json_nests_at_most_32_levels(client: TestClient) -> None:
    item = {"id": "deep-ok", "title": "Deep", "attributes": nested(32)}
    assert client.post("/v1/items", json={"items": [item]}).status_code == 200
    assert client.get("/v1/items/deep-ok").json()["attributes"] == nested(32)
    item = {"id": "deep-33", "title": "Deep", "attributes": nested(33)}
    found = error(client.post("/v1/items", json={"items": [item]}), 422)
    assert found["field"] == "items[0].attributes" and "32 levels" in found["message"]


def test_deeply_nested_free_json_is_refused_and_reads_stay_whole(client: TestClient) -> None:
    for depth in (300, 900):
        item = {"id": "deep", "title": "Deep", "attributes": nested(depth)}
        found = error(post(client, "/v1/items", json.dumps({"items": [item]})), 422)
        assert found["field"] == "items[0].attributes" and "nested deeper" in found["message"]
        found = error(
            post(client, "/v1/events", json.dumps(event_with(properties=nested(depth)))), 422
        )
        assert found["field"] == "events[0].properties"
    assert client.get("/v1/items/deep").status_code == 404
    assert client.get("/v1/users/dana/data").status_code == 200


# bodies that are not JSON we can read ------------------------------------------------
def test_a_body_nested_past_the_parser_is_a_clear_422(client: TestClient) -> None:
    found = error(post(client, "/v1/items", "[" * 5000 + "]" * 5000), 422)
    assert found["field"] == "body" and "nested deeper than the limit" in found["message"]


def test_invalid_utf8_names_the_byte(client: TestClient) -> None:
    body = b'{"items": [{"id": "bad", "title": "caf\xe9"}]}'
    at = body.index(b"\xe9")
    found = error(post(client, "/v1/items", body), 422)
    assert found["field"] == "body" and f"UTF-8: byte {at} " in found["message"]


def test_malformed_json_names_line_and_column_of_the_body(client: TestClient) -> None:
    found = error(post(client, "/v1/events", '{"events": [\n  {"type": "view",}\n]}'), 422)
    assert found["field"] == "body" and "line 2, column 19" in found["message"]


# text UTF-8 cannot carry -------------------------------------------------------------
# json.dumps writes a lone surrogate as its escape (valid JSON) and NaN as NaN, as an
# attacker's client would.
def item_with(**fields: object) -> dict[str, object]:
    return {"items": [{"id": "odd", "title": "Odd", **fields}]}


def event_with(**fields: object) -> dict[str, object]:
    return {"events": [{"user_id": "dana", "type": "view", **fields}]}


def test_a_lone_surrogate_is_refused_anywhere_naming_the_field(client: TestClient) -> None:
    cases: list[tuple[str, dict[str, object], str]] = [
        ("/v1/items", item_with(attributes={"note": "\ud800x"}), "items[0].attributes.note"),
        ("/v1/items", item_with(attributes={"\udc00k": 1}), "items[0].attributes.\\udc00k"),
        ("/v1/items", item_with(title="caf\udfff"), "items[0].title"),
        ("/v1/events", event_with(properties={"q": ["\ud83d"]}), "events[0].properties.q[0]"),
        ("/v1/chat", {"user_id": "dana", "session_id": "s", "message": "hi \ud800"}, "message"),
    ]
    for path, body, field in cases:
        found = error(post(client, path, json.dumps(body)), 422)
        assert found["field"] == field and "lone surrogate" in found["message"], field
    traits = json.dumps({"traits": {"about": "\udbff"}})
    found = error(client.put("/v1/users/dana", content=traits, headers=JSON), 422)
    assert found["field"] == "traits.about"
    assert client.get("/v1/items/odd").status_code == 404
    assert client.get("/v1/users/dana/data").status_code == 200  # the access request works


def test_a_surrogate_pair_is_one_character_and_welcome(client: TestClient) -> None:
    body = r'{"items": [{"id": "emoji", "title": "Party \ud83c\udf89", "attributes": {"e": "\ud83d\ude00"}}]}'
    assert post(client, "/v1/items", body).status_code == 200
    read = client.get("/v1/items/emoji").json()
    assert read["title"] == "Party \U0001f389" and read["attributes"] == {"e": "\U0001f600"}


# numbers JSON has no name for --------------------------------------------------------
def test_nan_and_infinity_are_refused_everywhere(client: TestClient) -> None:
    for number in (float("nan"), float("inf"), float("-inf")):
        cases: list[tuple[str, dict[str, object], str]] = [
            ("/v1/items", item_with(attributes={"score": number}), "items[0].attributes.score"),
            ("/v1/events", event_with(type="rating", value=number), "events[0].value"),
            ("/v1/events", event_with(properties={"p": [number]}), "events[0].properties.p[0]"),
        ]
        for path, body, field in cases:
            found = error(post(client, path, json.dumps(body)), 422)
            assert found["field"] == field and "finite number" in found["message"], body
        traits = json.dumps({"traits": {"score": number}})
        found = error(client.put("/v1/users/dana", content=traits, headers=JSON), 422)
        assert found["field"] == "traits.score"
    too_big = '{"items": [{"id": "odd", "title": "Odd", "attributes": {"x": 1e999}}]}'
    assert error(post(client, "/v1/items", too_big), 422)["field"] == "items[0].attributes.x"
    assert client.get("/v1/items/odd").status_code == 404
    assert client.get("/v1/users/dana/data").status_code == 200


def test_numbers_past_any_float_are_refused(client: TestClient) -> None:
    body = '{"items": [{"id": "odd", "title": "Odd", "attributes": {"n": 1%s}}]}' % ("0" * 400)
    found = error(post(client, "/v1/items", body), 422)
    assert found["field"] == "items[0].attributes.n" and "send it as text" in found["message"]
    body = '{"items": [{"id": "odd", "title": "Odd", "attributes": {"n": 1%s}}]}' % ("0" * 5000)
    assert "4,300 digits" in error(post(client, "/v1/items", body), 422)["message"]


def test_a_rating_off_the_scale_is_refused_and_the_profile_stays_sound(
    client: TestClient,
) -> None:
    for value in ("nan", "inf", 1e308, 6, -1):
        rating = event_with(type="rating", item_id="feat-alerts", value=value)
        found = error(client.post("/v1/events", json=rating), 422)
        assert found["field"] == "events[0].properties" and "0 to 5" in found["message"]
    for value in (4.5, "4", 0):
        rating = event_with(type="rating", item_id="feat-alerts", value=value)
        assert client.post("/v1/events", json=rating).status_code == 200
    assert client.post("/v1/events", json=event_with(item_id="int-zendesk")).status_code == 200
    assert client.get("/v1/users/dana/recommendations").status_code == 200


# timestamps ---------------------------------------------------------------------------
def test_timestamps_outside_the_window_are_refused(client: TestClient) -> None:
    for timestamp in (
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "1999-12-31T23:59:59Z",
        (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        0,
        253402300799000,  # 9999 in epoch milliseconds
    ):
        found = error(client.post("/v1/events", json=event_with(timestamp=timestamp)), 422)
        assert found["field"] == "events[0].timestamp", timestamp
        assert "2000-01-01" in found["message"] and "a day from now" in found["message"]


def test_timestamps_inside_the_window_are_kept(client: TestClient) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=12)).isoformat()
    events = [
        {"user_id": "dana", "type": "view", "timestamp": "2000-01-01T00:00:00Z"},
        {"user_id": "dana", "type": "view", "timestamp": soon},
    ]
    assert client.post("/v1/events", json={"events": events}).json()["accepted"] == 2


# the OpenAI-compatible route ---------------------------------------------------------
def test_openai_messages_are_refused_like_chat_messages(client: TestClient) -> None:
    body = '{"user": "dana", "messages": [{"role": "user", "content": "hi \\ud800"}]}'
    found = error(post(client, "/v1/chat/completions", body), 422)
    assert found["field"] == "messages[0].content" and "lone surrogate" in found["message"]
    history = [
        {"role": "assistant", "content": "x" * 1_000_000},
        {"role": "user", "content": "and now?"},
    ]
    answer = client.post("/v1/chat/completions", json={"user": "dana", "messages": history})
    found = error(answer, 422)
    assert found["field"] == "messages[0].content" and "5000" in found["message"]
    parts = [{"role": "user", "content": [{"type": "text", "text": "y" * 5001}]}]
    answer = client.post("/v1/chat/completions", json={"user": "dana", "messages": parts})
    assert error(answer, 422)["field"] == "messages[0].content"

"""Bodies that are not JSON get an answer that says what to send: the content type when it
is not application/json (415), the line and column when the JSON is malformed (422)."""

from __future__ import annotations

from fastapi.testclient import TestClient

EVENT = '{"events": [{"user_id": "dana", "type": "view", "item_id": "feat-alerts"}]}'


def test_a_body_without_a_json_content_type_is_told_to_send_one(client: TestClient) -> None:
    for headers in (
        {"content-type": "application/x-www-form-urlencoded"},  # curl -d without -H
        {"content-type": "text/plain"},
        {},
    ):
        answer = client.post("/v1/events", content=EVENT, headers=headers)
        assert answer.status_code == 415, headers
        error = answer.json()["error"]
        assert error["code"] == "unsupported_media_type" and error["field"] == "Content-Type"
        assert "application/json" in error["message"]
        assert "valid dictionary" not in error["message"]


def test_json_content_types_are_read_as_json(client: TestClient) -> None:
    for kind in ("application/json", "application/json; charset=utf-8", "application/x+json"):
        answer = client.post("/v1/events", content=EVENT, headers={"content-type": kind})
        assert answer.status_code == 200, (kind, answer.text)


def test_malformed_json_names_the_body_with_line_and_column(client: TestClient) -> None:
    body = '{"events": [\n  {"user_id": "dana", "type": "view",}\n]}'
    answer = client.post("/v1/events", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_input" and error["field"] == "body"
    assert "line 2, column 38" in error["message"], error["message"]
    assert error["message"].startswith("The body is not valid JSON")

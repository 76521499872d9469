"""The catalog as an integrator manages it: list it a page at a time (filtered by category
and availability) and delete items, which removes them everywhere they are served from
while the users' past events stay."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from personify.evals.dataset import as_events, load_dataset
from personify.service import Personify
from tests.evals.synthetic import write_dataset


def all_pages(client: TestClient, **params: object) -> tuple[list[dict], list[dict]]:
    """Every item through the cursor, and the pages as they came."""
    items: list[dict] = []
    pages: list[dict] = []
    after = None
    while True:
        query = {**params, **({"after": after} if after else {})}
        page = client.get("/v1/items", params=query)
        assert page.status_code == 200, page.text
        pages.append(page.json())
        items += page.json()["items"]
        after = page.json()["next_after"]
        if after is None:
            return items, pages


def test_the_catalog_is_listed_a_page_at_a_time(client: TestClient) -> None:
    items, pages = all_pages(client, limit=10)
    ids = [i["id"] for i in items]
    assert len(ids) == 64 == len(set(ids)) and ids == sorted(ids)
    assert [len(p["items"]) for p in pages] == [10] * 6 + [4]
    assert all(p["total"] == 64 and p["limit"] == 10 for p in pages)
    assert items[0]["title"] and "description" in items[0] and "available" in items[0]


def test_the_list_filters_by_category_and_availability(client: TestClient) -> None:
    guides, _ = all_pages(client, category="guide", limit=5)
    assert guides and all(i["category"] == "guide" for i in guides)
    withdrawn = client.get("/v1/items", params={"available": "false"}).json()
    assert [i["id"] for i in withdrawn["items"]] == ["feat-legacy-exports"]
    assert withdrawn["total"] == 1 and withdrawn["next_after"] is None
    offered = client.get("/v1/items", params={"available": "true", "limit": 1000}).json()
    assert offered["total"] == 63 == len(offered["items"])
    none = client.get("/v1/items", params={"category": "nothing-here"}).json()
    assert none == {"items": [], "total": 0, "limit": 100, "next_after": None}


def test_list_parameters_are_checked(client: TestClient) -> None:
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"available": "maybe"}, "available"),
        ({"after": "not an id!"}, "after"),
    ):
        response = client.get("/v1/items", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["field"] == field


def test_a_deleted_item_is_gone_from_catalog_vectors_and_recommendations(
    client: TestClient, demo: Personify
) -> None:
    item = demo.recommend("marco", 5).items[0].item.id
    title = demo.item(item).title
    demo.vectors.item_vectors([item])  # cached in this process
    assert title in demo.catalog_names  # the redactor's allow list

    deleted = client.delete(f"/v1/items/{item}")
    assert deleted.status_code == 200
    assert deleted.json() == {"item_id": item, "deleted": True}

    assert client.get(f"/v1/items/{item}").status_code == 404
    assert item not in [i["id"] for i in all_pages(client, limit=1000)[0]]
    assert demo.vectors.item_vectors([item]) == {}  # neither cached nor in Chroma
    assert demo.vectors.count_items() == 63
    assert title not in demo.catalog_names
    for user in ("dana", "marco", "sam"):
        assert item not in [c.item.id for c in demo.recommend(user, 50).items]
    again = client.delete(f"/v1/items/{item}")
    assert again.status_code == 404 and again.json()["error"]["field"] == "item_id"


def test_events_naming_a_deleted_item_are_refused_and_past_events_stay(
    client: TestClient, demo: Personify
) -> None:
    item = "int-snowflake"  # dana used it
    assert item in {e.item_id for e in demo.store.events.for_user("dana")}
    assert client.delete(f"/v1/items/{item}").status_code == 200
    assert item in {e.item_id for e in demo.store.events.for_user("dana")}
    event = {"event_id": "after-delete", "user_id": "dana", "type": "use", "item_id": item}
    refused = client.post("/v1/events", json={"events": [event]})
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "events[0].item_id"
    assert client.get("/v1/users/dana/recommendations").status_code == 200
    assert client.get("/v1/users/dana/data").json()["events"]  # history kept


def test_the_next_training_leaves_a_deleted_item_out(service: Personify, tmp_path: Path) -> None:
    data = load_dataset(write_dataset(tmp_path / "topics", users=60, per_user=10))
    service.index_items(data.items)
    service.ingest(as_events(data.interactions))
    service.train(seed=1)
    popular = service.recommend("u1", 5).items[0].item.id
    trained = service.trained.get().factors
    assert trained is not None and popular in trained.item_ids

    service.delete_item(popular)
    for user in ("u1", "u2", "u3"):  # the loaded factors still know it: never offered
        assert popular not in [c.item.id for c in service.recommend(user, 20).items]
    service.train(seed=1)
    retrained = service.trained.get().factors
    assert retrained is not None and popular not in retrained.item_ids

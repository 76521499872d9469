from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from personify.api.deps import ItemId, PersonifyDep, WidgetPersonifyDep
from personify.api.schemas import ItemDeleted, ItemsCreate, ItemsPage, ItemsUpserted
from personify.domain import ID_PATTERN, Item

router = APIRouter(prefix="/v1/items", tags=["items"])
MAX_PAGE = 1000


@router.post("", response_model=ItemsUpserted)
def create_items(body: ItemsCreate, service: PersonifyDep) -> ItemsUpserted:
    """Upsert items and embed them. All or nothing: one invalid item rejects the batch."""
    return ItemsUpserted(upserted=service.add_items(body.items))


@router.get("", response_model=ItemsPage)
def list_items(
    service: PersonifyDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = 100,
    after: Annotated[
        str | None,
        Query(pattern=ID_PATTERN, description="The previous page's `next_after`: items after it."),
    ] = None,
    category: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    available: Annotated[
        bool | None, Query(description="true: only items on offer; false: only withdrawn ones.")
    ] = None,
) -> ItemsPage:
    """The catalog in id order, a page at a time (a cursor: pass `next_after` back as
    `after`; pages stay consistent while items are added or deleted)."""
    page = service.list_items(limit=limit, after=after, category=category, available=available)
    return ItemsPage(items=page.items, total=page.total, limit=limit, next_after=page.next_after)


@router.get("/{item_id}", response_model=Item)
def read_item(item_id: ItemId, service: WidgetPersonifyDep) -> Item:
    return service.item(item_id)


@router.delete("/{item_id}", response_model=ItemDeleted)
def delete_item(item_id: ItemId, service: PersonifyDep) -> ItemDeleted:
    """Remove the item from the catalog, its vector and cached copies. It is recommended
    nowhere from then on, and new events naming it are refused (422) like any unknown
    item's; past events stay, as the users' history."""
    service.delete_item(item_id)
    return ItemDeleted(item_id=item_id, deleted=True)

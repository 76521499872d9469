from __future__ import annotations

from fastapi import APIRouter

from personify.api.deps import ItemId, PersonifyDep, WidgetPersonifyDep
from personify.api.schemas import ItemsCreate, ItemsUpserted
from personify.domain import Item

router = APIRouter(prefix="/v1/items", tags=["items"])


@router.post("", response_model=ItemsUpserted)
def create_items(body: ItemsCreate, service: PersonifyDep) -> ItemsUpserted:
    """Upsert items and embed them. All or nothing: one invalid item rejects the batch."""
    return ItemsUpserted(upserted=service.add_items(body.items))


@router.get("/{item_id}", response_model=Item)
def read_item(item_id: ItemId, service: WidgetPersonifyDep) -> Item:
    return service.item(item_id)

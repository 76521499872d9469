from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from personify.api.deps import PersonifyDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def read_health(app: PersonifyDep) -> dict[str, Any]:
    return {
        "status": "ok",
        "items": app.vectors.count_items(),
        "vector_store": app.settings.chroma_url or "embedded",
        "database": app.store.engine.dialect.name,
        "llm_provider": app.settings.llm_provider,
    }

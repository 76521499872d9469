from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from personify.api.deps import TenancyDep
from personify.tenancy import SingleTenant

router = APIRouter(tags=["health"])


@router.get("/healthz")
def read_health(tenancy: TenancyDep) -> dict[str, Any]:
    """Liveness and what the server runs on; with tenants on, nothing about any of them."""
    settings = tenancy.settings
    health: dict[str, Any] = {
        "status": "ok",
        "tenants": "multi" if settings.multi_tenant else "single",
        "vector_store": "server" if settings.chroma_url else "embedded",
        "database": settings.sqlalchemy_url.split(":", 1)[0].split("+", 1)[0],
        "llm_provider": settings.llm_provider,
    }
    if isinstance(tenancy, SingleTenant):
        health["items"] = tenancy.service.vectors.count_items()
    return health

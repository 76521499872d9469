"""GET /metrics: Prometheus text format (the admin key's, when tenants are on)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from personify.api.auth import identify
from personify.errors import Forbidden

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    if identify(request).role not in ("owner", "admin"):
        raise Forbidden("Metrics are read with the admin key.")
    return Response(request.app.state.tenancy.metrics.render(), media_type=CONTENT_TYPE_LATEST)

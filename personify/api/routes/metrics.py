"""GET /metrics: Prometheus text format (the admin key's, when tenants are on)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from personify.api.deps import OperatorDep, TenancyDep

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def read_metrics(tenancy: TenancyDep, _operator: OperatorDep) -> Response:
    return Response(tenancy.metrics.render(), media_type=CONTENT_TYPE_LATEST)

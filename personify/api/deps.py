"""Dependencies shared by the routers, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from personify.api.auth import CallerDep, admin, tenant_service, widget_service
from personify.domain import ID_PATTERN
from personify.service import Personify

# The caller's tenant's service: a secret key (or no auth in single-tenant mode).
PersonifyDep = Annotated[Personify, Depends(tenant_service)]
# The same, and the widget's publishable key is welcome too (for the user it names).
WidgetPersonifyDep = Annotated[Personify, Depends(widget_service)]
AdminDep = Depends(admin)
UserId = Annotated[str, Path(pattern=ID_PATTERN, description="Your id for the end user.")]
ItemId = Annotated[str, Path(pattern=ID_PATTERN)]

__all__ = ["AdminDep", "CallerDep", "ItemId", "PersonifyDep", "UserId", "WidgetPersonifyDep"]

"""Every dependency the routers use, as Annotated aliases. Routes read nothing from
`request.app.state` themselves: what they need arrives through these."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from personify.api.auth import RateLimiter, identify, require_user
from personify.domain import ID_PATTERN
from personify.errors import Forbidden
from personify.service import Personify
from personify.tenancy import Caller, MultiTenant, Tenancy


def get_tenancy(request: Request) -> Tenancy:
    tenancy: Tenancy = request.app.state.tenancy
    return tenancy


def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


TenancyDep = Annotated[Tenancy, Depends(get_tenancy)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


def get_caller(request: Request, tenancy: TenancyDep, limiter: RateLimiterDep) -> Caller:
    return identify(request, tenancy, limiter)


CallerDep = Annotated[Caller, Depends(get_caller)]


def get_service(tenancy: TenancyDep, caller: CallerDep) -> Personify:
    """The caller's tenant's service, for a secret key (or no auth at all)."""
    if caller.role == "admin":
        raise Forbidden("The admin key manages tenants; use a tenant's secret key for its data.")
    if caller.role == "publishable":
        raise Forbidden(
            "A publishable key may only chat, get onboarding, read recommendations and "
            "items, and send events; use the secret key from your backend."
        )
    return tenancy.resolve(caller)


def get_widget_service(request: Request, tenancy: TenancyDep, caller: CallerDep) -> Personify:
    """As get_service, but a publishable key is welcome too (for the user it names)."""
    if caller.role == "admin":
        raise Forbidden("The admin key manages tenants; use a tenant's secret key for its data.")
    if "user_id" in request.path_params:
        require_user(caller, request.path_params["user_id"], "user_id")
    return tenancy.resolve(caller)


def get_tenants(tenancy: TenancyDep, caller: CallerDep) -> MultiTenant:
    """The tenants, for the admin key."""
    if not isinstance(tenancy, MultiTenant):
        raise Forbidden("Tenants need PERSONIFY_ADMIN_KEY set on the server.")
    if caller.role != "admin":
        raise Forbidden("Only the admin key manages tenants.")
    return tenancy


def require_operator(caller: CallerDep) -> Caller:
    """The server's operator: the admin key, or anyone in single-tenant (loopback) mode."""
    if caller.role not in ("owner", "admin"):
        raise Forbidden("Metrics are read with the admin key.")
    return caller


# The caller's tenant's service: a secret key (or no auth in single-tenant mode).
PersonifyDep = Annotated[Personify, Depends(get_service)]
# The same, and the widget's publishable key is welcome too (for the user it names).
WidgetPersonifyDep = Annotated[Personify, Depends(get_widget_service)]
TenantsDep = Annotated[MultiTenant, Depends(get_tenants)]
OperatorDep = Annotated[Caller, Depends(require_operator)]
UserId = Annotated[str, Path(pattern=ID_PATTERN, description="Your id for the end user.")]
ItemId = Annotated[str, Path(pattern=ID_PATTERN)]

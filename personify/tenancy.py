"""Which Personify answers a request: the only one (no admin key: single tenant, no auth)
or the caller's tenant's own (PERSONIFY_ADMIN_KEY set).

A tenant's data lives apart in every store: its own data dir (SQLite file, embedded
Chroma, trained models), or, at scale, its own PostgreSQL schema and Chroma database.
The heavy parts (embedder, Presidio, the chat model) are the process's SharedParts,
loaded once; each tenant's redactor has its own allow list of catalog names."""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from personify.domain import Tone
from personify.errors import ConfigError, NotFound
from personify.metrics import Metrics
from personify.parts import SharedParts
from personify.retrieval.vectors import drop_chroma_database, list_chroma_databases
from personify.service import Personify
from personify.settings import Settings
from personify.store.database import drop_schema, list_schemas, make_engine
from personify.store.tenants import NewTenant, Tenant, TenantRegistry

Role = Literal["owner", "admin", "secret", "publishable"]


@dataclass(frozen=True, kw_only=True)
class Caller:
    """Who is calling. `owner`: single-tenant mode, no keys."""

    role: Role
    tenant: Tenant | None = None
    user_id: str | None = None  # publishable keys act for this one user


class SingleTenant:
    """One Personify for every request: no keys, loopback only."""

    def __init__(self, service: Personify) -> None:
        if service.settings.multi_tenant:
            raise ConfigError("One service cannot serve several tenants: use MultiTenant.")
        self.service = service
        self.settings = service.settings
        self.metrics: Metrics = service.metrics

    def resolve(self, caller: Caller) -> Personify:
        return self.service

    def warm_up(self) -> None:
        self.service.warm_up()

    def close(self) -> None:
        self.service.close()


class MultiTenant:
    """A Personify per tenant, opened on its first request; the registry of tenants and
    their keys lives in the installation's own database."""

    def __init__(self, settings: Settings, parts: SharedParts | None = None) -> None:
        self.settings = settings
        self.parts = parts or SharedParts(settings)
        self.metrics = self.parts.metrics
        self._services: dict[str, Personify] = {}
        self._lock = threading.Lock()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._control = make_engine(settings.sqlalchemy_url)
        self.registry = TenantRegistry(self._control)
        self.sweep()

    def resolve(self, caller: Caller) -> Personify:
        if caller.tenant is None:
            raise NotFound("No tenant.")
        return self.service(caller.tenant.tenant_id)

    def service(self, tenant_id: str) -> Personify:
        """The tenant's Personify, opened on first use."""
        with self._lock:
            service = self._services.get(tenant_id)
            if service is None:
                service = Personify(self.tenant_settings(tenant_id), self.parts)
                self._services[tenant_id] = service
            return service

    def tenant_settings(self, tenant_id: str) -> Settings:
        update: dict[str, object] = {"data_dir": self.tenant_dir(tenant_id), "admin_key": None}
        tenant = self.registry.get(tenant_id)
        if tenant is not None:  # its users are welcomed to its product, not the server's
            update["product_name"] = tenant.product_name
            update["tone"] = tenant.tone or self.settings.tone
        if self.settings.database_url:
            update["database_schema"] = _store_name(tenant_id)
        if self.settings.chroma_url:
            update["chroma_database"] = _store_name(tenant_id)
        return self.settings.model_copy(update=update)

    def tenant_dir(self, tenant_id: str) -> Path:
        return self.settings.data_dir / "tenants" / tenant_id

    def warm_up(self) -> None:
        self.parts.warm_up()

    # managing tenants (admin key) ------------------------------------------------------
    def create(
        self,
        name: str,
        origins: list[str],
        rate_limit_per_minute: int | None = None,
        product_name: str | None = None,
        tone: Tone | None = None,
    ) -> NewTenant:
        """Register the tenant and provision its stores now, so its first request is fast
        and workers never race to create its tables."""
        made = self.registry.create(name, origins, rate_limit_per_minute, product_name, tone)
        self.service(made.tenant.tenant_id)
        return made

    def rotate(self, tenant_id: str, grace_seconds: float) -> Tenant:
        """A new signing key for the tenant's widget tokens. Nothing cached here holds the
        key: every request reads its tenant from the registry, so every worker sees the new
        key (and the old one's end) on its next request."""
        tenant = self.registry.rotate(tenant_id, grace_seconds, now=time.time())
        if tenant is None:
            raise NotFound(f"Unknown tenant {tenant_id!r}.", field="tenant_id")
        return tenant

    def delete(self, tenant_id: str) -> None:
        """Its keys stop working first; then every store of it is removed."""
        if not self.registry.remove(tenant_id):
            raise NotFound(f"Unknown tenant {tenant_id!r}.", field="tenant_id")
        with self._lock:
            service = self._services.pop(tenant_id, None)
        if service is not None:
            if not self.settings.chroma_url:  # embedded: its own client, still open here
                service.vectors.drop()
            service.close()
        self._drop_stores(tenant_id)

    def sweep(self) -> None:
        """Remove the stores of tenants no longer registered: what a crash between a
        tenant's deletion and the removal of its data left behind."""
        known = {_store_name(t.tenant_id) for t in self.registry.all()}
        folder = self.settings.data_dir / "tenants"
        on_disk = {_store_name(p.name) for p in folder.iterdir()} if folder.is_dir() else set()
        stores = on_disk | set(list_schemas(self.settings.database_url, STORE_PREFIX))
        stores |= set(list_chroma_databases(self.settings.chroma_url, STORE_PREFIX))
        for name in sorted(stores - known):
            self._drop_stores(name.removeprefix(STORE_PREFIX))

    def _drop_stores(self, tenant_id: str) -> None:
        if self.settings.database_url:
            drop_schema(self.settings.database_url, _store_name(tenant_id))
        if self.settings.chroma_url:
            drop_chroma_database(self.settings.chroma_url, _store_name(tenant_id))
        shutil.rmtree(self.tenant_dir(tenant_id), ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            services, self._services = list(self._services.values()), {}
        for service in services:
            service.close()
        self._control.dispose()


Tenancy = SingleTenant | MultiTenant


def tenancy_for(settings: Settings, parts: SharedParts | None = None) -> Tenancy:
    """What the settings ask for: several tenants with an admin key, else one."""
    if settings.multi_tenant:
        return MultiTenant(settings, parts)
    return SingleTenant(Personify(settings, parts))


STORE_PREFIX = "personify_"


def _store_name(tenant_id: str) -> str:
    """The PostgreSQL schema and Chroma database of a tenant (ids are t + 16 hex digits)."""
    return STORE_PREFIX + tenant_id

"""Which Personify answers a request: the only one (no admin key: single tenant, no auth)
or the caller's tenant's own (PERSONIFY_ADMIN_KEY set).

A tenant's data lives apart in every store: its own data dir (SQLite file, embedded
Chroma, trained models), or, at scale, its own PostgreSQL schema and Chroma database.
The heavy parts (embedder, Presidio, the chat model) load once and are shared; each
tenant's redactor has its own allow list of catalog names."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from personify.agent.models import ChatModel, make_chat_model
from personify.errors import ConfigError, NotFound
from personify.metrics import Metrics
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import Embedder, MiniLMEmbedder
from personify.retrieval.vectors import drop_chroma_database, list_chroma_databases
from personify.service import Personify
from personify.settings import Settings
from personify.store.database import drop_schema, list_schemas, make_engine
from personify.store.tenants import NewTenant, TenantRegistry


class Tenancy:
    def __init__(
        self,
        settings: Settings,
        *,
        model: ChatModel | None = None,
        redactor: PresidioRedactor | None = None,
        embedder: Embedder | None = None,
        single: Personify | None = None,
    ) -> None:
        """`single` hands in an already built service for single-tenant mode."""
        self.settings = settings
        self._model, self._redactor, self._embedder = model, redactor, embedder
        self._services: dict[str, Personify] = {}
        self._lock = threading.Lock()
        self.single: Personify | None = None
        self.registry: TenantRegistry | None = None
        if not settings.multi_tenant:
            self.single = single or Personify(
                settings, model=model, redactor=redactor, embedder=embedder
            )
            self.metrics = self.single.metrics
            return
        if single is not None:
            raise ConfigError("A single service cannot serve several tenants.")
        self.metrics = Metrics()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._control = make_engine(settings.sqlalchemy_url)
        self.registry = TenantRegistry(self._control)
        self.sweep()

    @classmethod
    def of(cls, service: Personify) -> Tenancy:
        return cls(service.settings, single=service)

    # serving ---------------------------------------------------------------------------
    def service(self, tenant_id: str | None) -> Personify:
        """The tenant's Personify (opened on first use), or the only one."""
        if self.single is not None:
            return self.single
        if tenant_id is None:
            raise NotFound("No tenant.")
        with self._lock:
            service = self._services.get(tenant_id)
            if service is None:
                service = self._open(tenant_id)
                self._services[tenant_id] = service
            return service

    def _open(self, tenant_id: str) -> Personify:
        model, redactor, embedder = self._shared()
        return Personify(
            self.tenant_settings(tenant_id),
            model=model,
            redactor=redactor.scoped(),
            embedder=embedder,
            metrics=self.metrics,
        )

    def _shared(self) -> tuple[ChatModel, PresidioRedactor, Embedder]:
        if self._embedder is None:
            self._embedder = MiniLMEmbedder(threads=self.settings.llm_threads)
        if self._redactor is None:
            self._redactor = PresidioRedactor()
        if self._model is None:
            self._model = make_chat_model(self.settings)
        return self._model, self._redactor, self._embedder

    def tenant_settings(self, tenant_id: str) -> Settings:
        update: dict[str, object] = {"data_dir": self.tenant_dir(tenant_id), "admin_key": None}
        if self.settings.database_url:
            update["database_schema"] = _store_name(tenant_id)
        if self.settings.chroma_url:
            update["chroma_database"] = _store_name(tenant_id)
        return self.settings.model_copy(update=update)

    def tenant_dir(self, tenant_id: str) -> Path:
        return self.settings.data_dir / "tenants" / tenant_id

    def warm_up(self) -> None:
        if self.single is not None:
            self.single.warm_up()
        else:
            self._shared()

    # managing tenants (admin key) ------------------------------------------------------
    def create(
        self, name: str, origins: list[str], rate_limit_per_minute: int | None = None
    ) -> NewTenant:
        """Register the tenant and provision its stores now, so its first request is fast
        and workers never race to create its tables."""
        assert self.registry is not None
        made = self.registry.create(name, origins, rate_limit_per_minute)
        self.service(made.tenant.tenant_id)
        return made

    def delete(self, tenant_id: str) -> None:
        """Its keys stop working first; then every store of it is removed."""
        assert self.registry is not None
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
        assert self.registry is not None
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
        if self.single is not None:
            self.single.close()
            return
        with self._lock:
            services, self._services = list(self._services.values()), {}
        for service in services:
            service.close()
        self._control.dispose()


STORE_PREFIX = "personify_"


def _store_name(tenant_id: str) -> str:
    """The PostgreSQL schema and Chroma database of a tenant (ids are t + 16 hex digits)."""
    return STORE_PREFIX + tenant_id

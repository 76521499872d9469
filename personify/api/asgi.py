"""The app as `personify serve --workers N` has uvicorn import it in each worker process:
settings from the environment, JSON logs, heavy parts loaded before the first request."""

from __future__ import annotations

from fastapi import FastAPI

from personify.api.app import create_app
from personify.logs import configure_json_logging
from personify.service import Personify
from personify.settings import Settings, get_settings
from personify.tenancy import Tenancy


def open_target(settings: Settings) -> Personify | Tenancy:
    """The tenancy (admin key set) or the single service, warmed up."""
    target: Personify | Tenancy = (
        Tenancy(settings) if settings.multi_tenant else Personify(settings)
    )
    target.warm_up()
    return target


def app_from_env() -> FastAPI:
    configure_json_logging()
    settings = get_settings()
    return create_app(lambda: open_target(settings))

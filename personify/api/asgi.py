"""The app as `personify serve --workers N` has uvicorn import it in each worker process:
settings from the environment, JSON logs, heavy parts loaded before the first request."""

from __future__ import annotations

from fastapi import FastAPI

from personify.api.app import create_app
from personify.logs import configure_json_logging
from personify.settings import Settings, get_settings
from personify.tenancy import Tenancy, tenancy_for


def open_tenancy(settings: Settings) -> Tenancy:
    """One tenant or several, as the settings say, warmed up."""
    tenancy = tenancy_for(settings)
    tenancy.warm_up()
    return tenancy


def app_from_env() -> FastAPI:
    configure_json_logging()
    settings = get_settings()
    return create_app(lambda: open_tenancy(settings))

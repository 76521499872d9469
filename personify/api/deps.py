"""Dependencies shared by the routers, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from personify.domain import ID_PATTERN
from personify.service import Personify


def get_personify(request: Request) -> Personify:
    app: Personify = request.app.state.personify
    return app


PersonifyDep = Annotated[Personify, Depends(get_personify)]
UserId = Annotated[str, Path(pattern=ID_PATTERN, description="Your id for the end user.")]
ItemId = Annotated[str, Path(pattern=ID_PATTERN)]

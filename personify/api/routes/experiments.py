"""Experiments and the metrics they are judged by (secret key: a tenant's backend)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from personify.api.deps import PersonifyDep
from personify.api.schemas import ErrorBody
from personify.experiments.definitions import NAME, Experiment, ExperimentSpec, MetricSpec

router = APIRouter(tags=["experiments"])
Key = Annotated[str, Path(pattern=NAME, description="the experiment's key")]
CONFLICT = {"model": ErrorBody, "description": "Clashes with what is stored; the message says how."}


@router.post(
    "/v1/experiments",
    response_model=Experiment,
    status_code=201,
    responses={200: {"description": "The same definition was posted before."}, 409: CONFLICT},
)
def create_experiment(body: ExperimentSpec, service: PersonifyDep, response: Response) -> Any:
    """Start an experiment. Its first variant is the control. Posting the same definition
    again answers 200 with the stored one; a different one under a running key is a 409."""
    experiment, new = service.experiments.create(body)
    if not new:
        response.status_code = 200
    return experiment


@router.get("/v1/experiments")
def list_experiments(service: PersonifyDep) -> dict[str, list[Experiment]]:
    return {"experiments": service.experiments.store.all()}


@router.get("/v1/experiments/{key}", response_model=Experiment)
def read_experiment(key: Key, service: PersonifyDep) -> Any:
    return service.experiments.store.get(key)


@router.post("/v1/experiments/{key}/stop", response_model=Experiment)
def stop_experiment(key: Key, service: PersonifyDep) -> Any:
    """Stop assigning and recording; the results stay readable."""
    return service.experiments.store.stop(key)


@router.get("/v1/experiments/{key}/results")
def read_results(key: Key, service: PersonifyDep) -> dict[str, Any]:
    """Per variant: users, exposures, each metric's mean; against the control: lift, its
    95% interval, p-value and significance; sample ratio mismatch; a decision."""
    return service.experiments.results(key)


@router.post(
    "/v1/metrics",
    response_model=MetricSpec,
    status_code=201,
    responses={200: {"description": "The same definition was posted before."}, 409: CONFLICT},
)
def create_metric(body: MetricSpec, service: PersonifyDep, response: Response) -> Any:
    metric, new = service.experiments.add_metric(body)
    if not new:
        response.status_code = 200
    return metric


@router.get("/v1/metrics")
def list_metrics(service: PersonifyDep) -> dict[str, list[MetricSpec]]:
    """The built-in metrics and the ones declared."""
    return {"metrics": list(service.experiments.store.metrics().values())}

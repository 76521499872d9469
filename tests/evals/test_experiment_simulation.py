"""The experiment statistics checked by simulation: users see the real lists of Personify
trained on a small dataset, click by a known model, are assigned by the product's hash
and are analysed by the product's `analyze()`. Each bound below would fail with a wrong
statistic; the last test shows one (a variance half its size) leaving the A/A band."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from personify.cli import build_parser, eval_experiments, main
from personify.evals.dataset import load_dataset
from personify.evals.experiments import (
    CONTROL,
    METRICS,
    TREATMENT,
    ClickModel,
    Population,
    Simulation,
    population,
    ranker_lists,
    simulate,
    truth,
)
from personify.evals.experiments_report import simulation_report, write_experiments_report
from personify.experiments.analysis import Outcomes, VariantData, analyze
from personify.experiments.definitions import Experiment, MetricSpec
from personify.retrieval.embeddings import MiniLMEmbedder
from tests.evals.synthetic import write_dataset

RUNS = 1000
USERS = 2500  # the small dataset's held-out users, copied under new ids
MODEL = ClickModel()


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Population:
    dataset = load_dataset(write_dataset(tmp_path_factory.mktemp("topics")))
    users, future, lists = ranker_lists(
        dataset, "user-last", 4, (CONTROL, TREATMENT), seed=3, embedder=MiniLMEmbedder()
    )
    return population(users, future, lists, USERS)


@pytest.fixture(scope="module")
def simulation(people: Population) -> Simulation:
    return simulate(people, MODEL, runs=RUNS, seed=0)


def test_personalized_shows_more_of_the_future_than_popular(people: Population) -> None:
    assert len(people.users) == len(set(people.users)) == USERS
    assert people.hits[TREATMENT].mean() > 2 * people.hits[CONTROL].mean()
    expected = truth(people, MODEL)
    for name in METRICS:
        assert expected[name][TREATMENT] > expected[name][CONTROL] > 0


def test_aa_tests_are_significant_about_alpha_of_the_time(simulation: Simulation) -> None:
    for name, rates in simulation.rates.items():
        assert 0.03 <= rates["aa_false_positive"].count / RUNS <= 0.07, name


def test_the_interval_holds_the_true_lift(people: Population, simulation: Simulation) -> None:
    expected = truth(people, MODEL)
    for name, rates in simulation.rates.items():
        assert rates["coverage"].count / RUNS >= 0.93, name
        assert rates["relative_coverage"].count / RUNS >= 0.93, name
        assert rates["power"].count / RUNS > 0.5, name
        lift = expected[name][TREATMENT] - expected[name][CONTROL]
        assert simulation.mean_lift[name] == pytest.approx(lift, rel=0.05), name  # unbiased


def test_a_lost_fifth_of_one_arm_is_flagged(simulation: Simulation) -> None:
    assert simulation.srm_detection.count / RUNS >= 0.95
    assert simulation.srm_false_alarm.count / simulation.srm_false_alarm.runs <= 0.01


def test_the_report_states_every_rate_with_its_interval(
    people: Population, simulation: Simulation, tmp_path: Path
) -> None:
    report = simulation_report(people, MODEL, simulation, dataset="topics", settings={})
    written = json.loads(write_experiments_report(report, tmp_path).read_text())
    for name in METRICS:
        rates = written["results"]["metrics"][name]
        for rate in ("aa_false_positive_rate", "coverage_rate", "power_rate"):
            low, high = rates[rate]["ci95"]
            assert low <= rates[rate]["rate"] <= high
        assert written["truth"][name]["lift"] > 0
    summary = (tmp_path / "summary.md").read_text()
    assert "| card_click_rate |" in summary and "SRM detection" in summary


def double_counted(
    experiment: Experiment, metrics: Mapping[str, MetricSpec], data: Mapping[str, VariantData]
) -> Any:
    """`analyze` fed every user twice: each variance half what it should be, as a wrong
    formula (say, dividing by n twice in one place) would make it."""
    twice = {
        name: VariantData(
            users=2 * arm.users,
            exposures=2 * arm.exposures,
            outcomes={
                metric: Outcomes(
                    values=np.tile(found.values, 2),
                    denominators=None
                    if found.denominators is None
                    else np.tile(found.denominators, 2),
                )
                for metric, found in arm.outcomes.items()
            },
        )
        for name, arm in data.items()
    }
    return analyze(experiment, metrics, twice)


def test_the_simulation_catches_a_variance_half_its_size(people: Population) -> None:
    broken = simulate(people, MODEL, runs=200, seed=0, analyzer=double_counted)
    for name, rates in broken.rates.items():
        assert rates["aa_false_positive"].count / 200 > 0.1, name


def test_the_command_takes_the_simulation_options(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(
        ["eval", "experiments", "--dataset", "d", "--out", "o", "--runs", "7", "--users", "9"]
    )
    assert (args.func, args.runs, args.users, args.split) == (eval_experiments, 7, 9, "user-last")
    assert main(["eval", "experiments", "--dataset", "d", "--out", "o", "--runs", "0"]) == 1
    assert "--runs: give at least 1." in capsys.readouterr().err

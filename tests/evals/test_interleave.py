"""Team-draft interleaving: the draft's rules, a tie against itself, a clear win for a
ranker that knows the future, and `personify eval interleave` end to end on real lists."""

import json
import random
from pathlib import Path

import pytest

from personify.cli import main
from personify.evals.baselines import Popularity
from personify.evals.dataset import load_dataset
from personify.evals.interleave import preference, team_draft
from personify.evals.split import Split, split
from tests.evals.synthetic import write_dataset


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory) -> Split:
    dataset = load_dataset(write_dataset(tmp_path_factory.mktemp("many"), users=600, seed=5))
    return split(dataset.interactions, seed=2)


def test_each_team_adds_its_best_unplaced_item_and_the_teams_stay_even() -> None:
    a = ["a1", "s1", "a2", "s2", "a3", "a4"]
    b = ["s1", "b1", "s2", "b2", "b3", "a1"]
    for flips in range(50):
        shown = team_draft(a, b, random.Random(flips), 6)
        assert len(shown.items) == len(set(shown.items)) == 6
        assert shown.team_a | shown.team_b == set(shown.items)
        assert not shown.team_a & shown.team_b
        assert len(shown.team_a) == len(shown.team_b) == 3
        for team, ranked in ((shown.team_a, a), (shown.team_b, b)):
            for item in team:  # every item ranked above a team's pick was already placed
                before = ranked[: ranked.index(item)]
                assert set(before) <= set(shown.items[: shown.items.index(item)])
    firsts = {team_draft(a, b, random.Random(f), 6).items[0] for f in range(50)}
    assert firsts == {"a1", "s1"}  # the coin decides who picks first


def test_a_ranker_against_itself_is_a_tie(held_out: Split) -> None:
    popular = Popularity(held_out.train)
    users = held_out.users
    lists = [popular.recommend(u, 10) for u in users]
    found = preference(users, lists, lists, held_out.test, seed=1).to_json()
    assert found["wins"] + found["losses"] > 100
    low, high = found["ci95"]
    assert low < 0.5 < high
    assert 0.4 < found["share_a"] < 0.6
    assert found == preference(users, lists, lists, held_out.test, seed=1).to_json()
    assert found != preference(users, lists, lists, held_out.test, seed=2).to_json()


def test_a_ranker_that_knows_the_future_beats_popular(held_out: Split) -> None:
    popular = Popularity(held_out.train)
    users = held_out.users
    popular_lists = [popular.recommend(u, 10) for u in users]
    oracle = [sorted(held_out.test[u]) + popular.recommend(u, 10) for u in users]
    found = preference(users, oracle, popular_lists, held_out.test).to_json()
    assert found["share_a"] > 0.9
    assert found["ci95"][0] > 0.8
    assert found["p_value"] < 1e-6
    assert found["ties"] < len(users)


def test_personalized_beats_popular_when_users_keep_to_one_topic(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "topics")
    out = tmp_path / "out"
    code = main(
        ["eval", "interleave", "--dataset", str(folder), "--a", "personalized", "--b", "popular"]
        + ["--out", str(out), "--min-value", "4", "--seed", "3"]
    )
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    found = report["preference"]
    assert found["wins"] + found["losses"] + found["ties"] == report["users"] > 0
    assert found["share_a"] > 0.5
    assert found["wins"] > found["losses"]
    assert "personalized is preferred by" in (out / "summary.md").read_text()


def test_a_split_with_nobody_held_out_is_an_error_that_names_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_dataset(tmp_path / "topics")
    command = ["eval", "interleave", "--dataset", str(folder), "--a", "popular", "--b", "content"]
    assert main([*command, "--out", str(tmp_path / "out"), "--min-value", "99"]) == 1
    assert "lower --min-value" in capsys.readouterr().err

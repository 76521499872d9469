from personify.evals.dataset import Interaction
from personify.evals.split import split


def history(user: str, n: int, start: int = 0, value: float = 5.0) -> list[Interaction]:
    return [
        Interaction(
            user_id=user,
            item_id=f"i{k}",
            type="rating",
            ts=float(start + k),
            value=value,
            order=start + k,
        )
        for k in range(n)
    ]


def test_user_last_holds_out_the_newest_fifth() -> None:
    data = split(history("u", 10), simulate_cold=False)
    assert data.test == {"u": {"i8", "i9"}}
    assert [i.item_id for i in data.train] == [f"i{k}" for k in range(8)]


def test_low_values_are_not_positives_and_users_with_few_positives_are_not_scored() -> None:
    low = history("low", 10, value=2.0)
    good = history("good", 10, start=100)
    data = split(low + good, min_value=4, simulate_cold=False)
    assert data.users == ["good"]
    assert {i.user_id for i in data.train} == {"low", "good"}  # their data still trains


def test_simulated_cold_users_keep_their_first_three_interactions_for_every_system() -> None:
    rows = [i for u in range(20) for i in history(f"u{u:02}", 10, start=u * 100)]
    data = split(rows, seed=5)
    assert len(data.simulated_cold) == 4
    for user in data.simulated_cold:
        kept = [i.item_id for i in data.train if i.user_id == user]
        assert kept == ["i0", "i1", "i2"]
    assert data.simulated_cold <= data.cold
    assert split(rows, seed=5).simulated_cold == data.simulated_cold
    assert split(rows, seed=6).simulated_cold != data.simulated_cold


def test_time_split_cuts_at_a_global_quantile() -> None:
    rows = history("a", 10) + history("b", 10, start=10)
    data = split(rows, how="time", simulate_cold=False)
    assert max(i.ts for i in data.train) < 16
    assert data.users == ["b"]

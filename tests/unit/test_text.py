import json

from personify.agent.answer_text import display, referenced_ids, safe_prefix
from personify.agent.partial_json import partial_message
from personify.domain import Candidate, Item
from personify.privacy.vault import Vault

CANDIDATES = {
    "feat-alerts": Candidate(
        item=Item(id="feat-alerts", title="Metric Alerts"), score=1, sources=(), reasons=()
    )
}


def test_vault_gives_stable_placeholders_and_restores_them() -> None:
    vault = Vault()
    first = vault.placeholder_for("PERSON", "Ada")
    assert vault.placeholder_for("PERSON", "Ada") == first == "<PERSON_1>"
    assert vault.placeholder_for("PERSON", "Bob") == "<PERSON_2>"
    assert (
        vault.restore("Hi <PERSON_1> and <PERSON_2>, not <PERSON_9>")
        == "Hi Ada and Bob, not <PERSON_9>"
    )
    assert vault.found["PERSON"] == 3


def test_markers_become_titles_and_unknown_ones_vanish() -> None:
    vault = Vault()
    name = vault.placeholder_for("PERSON", "Ada")
    raw = f"{name}, try [[feat-alerts]] and [[made-up]]."
    assert display(raw, CANDIDATES, vault) == "Ada, try Metric Alerts and ."
    assert referenced_ids(raw, CANDIDATES) == ["feat-alerts"]
    assert referenced_ids("The metric alerts feature helps.", CANDIDATES) == ["feat-alerts"]


def test_streaming_holds_back_unfinished_markers_and_placeholders() -> None:
    assert safe_prefix("Try [[feat-al") == "Try "
    assert safe_prefix("Try [[feat-alerts]] now [") == "Try [[feat-alerts]] now "
    assert safe_prefix("Hello <PERS") == "Hello "
    assert safe_prefix("Hello <PERSON_1> there") == "Hello <PERSON_1> there"
    assert safe_prefix("x [" + "y" * 300) == "x [" + "y" * 300  # not a marker after all


def test_partial_message_decodes_json_while_it_streams() -> None:
    full = json.dumps({"message": 'Say "hi"\nthen \u00e9', "items": []})
    seen = [partial_message(full[:n]) for n in range(len(full) + 1)]
    assert seen[-1] == 'Say "hi"\nthen \u00e9'
    for shorter, longer in zip(seen, seen[1:], strict=False):
        assert longer.startswith(shorter)  # what was streamed is never taken back
    assert partial_message('{"items": []}') == ""

"""The privacy boundary tried the way an attacker works: personal data planted in random
variants (case, zero-width and control characters, separators in phones and IBANs,
unusual domain endings, street words) into every entry point a caller controls, and
foreign personal data in the model's answers. None may cross: nothing planted reaches
the (scripted) model, nothing foreign reaches the user, streamed or not."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personify.agent.testing import ScriptedChatModel
from personify.domain import Done, Replace, TokenDelta
from personify.service import Personify

FIRST = ["Harriet", "Jonas", "Amara", "Dmitri", "Ingrid", "Lucas", "Naomi", "Rafael"]
LAST = ["Quarmby", "Eriksson", "Okonkwo", "Volkov", "Solberg", "Moreau", "Whitfield", "Garza"]
ENDINGS = ["example", "internal", "co.uk", "dev", "xyz", "com", "io", "museum"]
STREETS = ["Close", "Crescent", "Grove", "Road", "Street", "Lane", "Mews", "Avenue"]
INVISIBLE = ["\u200b", "\u200c", "\u2060", "\ufeff", "\u00ad"]


@st.composite
def disguised(draw: st.DrawFn, text: str) -> str:
    """The value in another case, maybe with an invisible character inside a word."""
    case = draw(st.sampled_from([str, str.lower, str.upper, str.title]))
    value = case(text)
    if draw(st.booleans()):
        words = [m.start() + 1 for m in re.finditer(r"\w\w", value)]
        if words:
            at = draw(st.sampled_from(words))
            value = value[:at] + draw(st.sampled_from(INVISIBLE)) + value[at:]
    return value


@st.composite
def planted(draw: st.DrawFn) -> dict[str, str]:
    """One person's details, each a random variant of its kind."""
    first, last = draw(st.sampled_from(FIRST)), draw(st.sampled_from(LAST))
    sep = draw(st.sampled_from([" ", "-", ".", ""]))
    phone = draw(
        st.sampled_from(
            [
                f"+44{sep}7700{sep}900{draw(st.integers(100, 999))}",
                f"+1{sep}415{sep}555{sep}0{draw(st.integers(100, 199))}",
                f"+49{sep}30{sep}{draw(st.integers(1000000, 9999999))}",
            ]
        )
    )
    iban_sep = draw(st.sampled_from([" ", ""]))
    iban = iban_sep.join(["GB82", "WEST", "1234", "5698", "7654", "32"])
    ending = draw(st.sampled_from(ENDINGS))
    number = draw(st.integers(1, 999))
    return {
        "name": draw(disguised(f"{first} {last}")),
        "email": draw(disguised(f"{first.lower()}.{last.lower()}@{last.lower()}-mail.{ending}")),
        "phone": phone,
        "iban": iban,
        "address": draw(disguised(f"{number} {last} {draw(st.sampled_from(STREETS))}")),
        "trait_name": f"{first}_{last}",
    }


def core(value: str) -> str:
    """What must not reach anyone, whatever the disguise: letters and digits only."""
    return re.sub(r"[\W_]", "", value).lower()


def leaked(values: dict[str, str], text: str) -> list[str]:
    seen = core(text)
    return [kind for kind, value in values.items() if core(value) in seen]


def sent_to_model(scripted: ScriptedChatModel, start: int) -> str:
    return "\n".join(str(m.content) for call in scripted.history[start:] for m in call)


ANSWER = json.dumps(
    {"message": "The alerts feature watches every load for you. Try it first.", "items": []}
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=planted(), n=st.integers(0, 10**9))
def test_planted_pii_reaches_no_model_from_any_entry_point(
    demo: Personify, scripted: ScriptedChatModel, values: dict[str, str], n: int
) -> None:
    user = f"attack-{n}"
    start = len(scripted.history)
    scripted.default = ANSWER
    name, email, phone = values["name"], values["email"], values["phone"]
    demo.put_traits(
        user,
        {
            "role": "Analyst",
            "name": name,
            "contact": f"contact: {phone}",
            "about": f"Mail {email}, pay to {values['iban']}, ship to {values['address']}.",
            values["trait_name"]: "a trait named after a person",
        },
    )
    demo.add_events(
        [
            {
                "event_id": f"{user}-e",
                "user_id": user,
                "type": "view",
                "item_id": "feat-alerts",
                "properties": {"note": f"{name} {email} {phone}"},
            }
        ]
    )
    demo.onboard(user, goal=f"Dear {name}, call {phone} about {values['iban']}")
    demo.chat(user, "s", f"I am {name}; reach me at {email} or {phone}.")
    list(demo.chat_events(user, "s", f"Still {name} at {values['address']}, {email}"))
    history = [("user", f"Hi, {name} here ({phone})"), ("assistant", f"Hello {name}!")]
    list(demo.chat_events(user, "openai", f"Mail {email} please", history))
    sent = sent_to_model(scripted, start)
    assert leaked(values, sent) == [], sent


FOREIGN = [
    "jane.roe@contoso.example",
    "j.okafor@payroll.internal",
    "+44 7700 900461",
    "+1 415 555 0134",
    "GB82 WEST 1234 5698 7654 32",
]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    foreign=st.sampled_from(FOREIGN),
    where=st.sampled_from(["first", "last"]),
    json_out=st.booleans(),
)
def test_foreign_pii_from_the_model_never_reaches_the_user(
    demo: Personify, scripted: ScriptedChatModel, foreign: str, where: str, json_out: bool
) -> None:
    good = "The alerts feature watches every nightly load for you."
    bad = f"For more, contact {foreign} today."
    text = f"{bad} {good}" if where == "first" else f"{good} {bad}"
    scripted.enqueue(json.dumps({"message": text, "items": ["feat-alerts"]}) if json_out else text)
    events = list(demo.chat_events("dana", "leak", "How do I catch late loads?"))
    shown = "".join(e.text for e in events if isinstance(e, TokenDelta))
    shown += "".join(e.message for e in events if isinstance(e, Replace))
    done = events[-1]
    assert isinstance(done, Done)
    assert core(foreign) not in core(shown + done.turn.message)
    assert done.turn.provenance.fallback == "pii_leak"

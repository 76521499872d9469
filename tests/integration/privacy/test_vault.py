"""Pseudonym vaults: one per conversation, never shared, never mixed under concurrency,
expiring, and erased with the user."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from langchain_core.messages import BaseMessage
from sqlalchemy import update

from personify.agent.testing import ScriptedChatModel
from personify.demo import catalog as demo_items
from personify.privacy.vault import Vault
from personify.service import Personify
from personify.store.schema import vaults

NAMES = [
    "Amara Okonkwo", "Bjorn Halvorsen", "Chiara Bellucci", "Dmitri Volkov", "Elena Petrova",
    "Farid Haddad", "Grace Mulligan", "Hiroshi Tanaka", "Ingrid Solberg", "Jamal Rahman",
    "Katarzyna Nowak", "Lucas Moreau",
]  # fmt: skip


def echo(messages: list[BaseMessage]) -> str:
    """Answer with the user's own (redacted) words and a catalog item the prompt offers."""
    prompt = "\n".join(str(m.content) for m in messages)
    offered = next(item["id"] for item in demo_items() if item["id"] in prompt)
    question = str(messages[-1].content).rsplit("\n\n", 1)[-1]  # after the items and profile
    return json.dumps({"message": f"You said: {question}", "items": [offered]})


def test_concurrent_conversations_never_mix_pseudonyms(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    scripted.default = echo
    users = [f"u{n}" for n in range(len(NAMES))]
    for user in users:
        demo.put_traits(user, {"role": "Analyst"})

    def talk(n: int) -> list[str]:
        return [
            demo.chat(users[n], "s", f"Hello, I am {NAMES[n]} and this is turn {turn}.").message
            for turn in range(3)
        ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(talk, range(len(NAMES))))
    for n, replies in enumerate(answers):
        for reply in replies:
            assert NAMES[n] in reply  # restored for its owner
            assert not any(other in reply for m, other in enumerate(NAMES) if m != n)
        assert list(demo.vaults.open(users[n], "s").entries.values()) == [NAMES[n]]
    sent = json.dumps([str(m.content) for call in scripted.history for m in call])
    assert not any(name in sent for name in NAMES)
    assert all("<PERSON_1>" in str(call[-1].content) for call in scripted.history)


def test_vaults_expire(demo: Personify, scripted: ScriptedChatModel) -> None:
    scripted.default = echo
    demo.chat("sam", "old", "I am Ruth Abernathy.")
    assert demo.vaults.open("sam", "old").entries
    ttl_s = demo.settings.vault_ttl_hours * 3600
    with demo.store.engine.begin() as conn:
        conn.execute(update(vaults).values(updated_at=time.time() - ttl_s - 60))
    assert demo.vaults.open("sam", "old").entries == {}
    assert demo.vaults.of_user("sam") == {}  # removed, not just hidden


def test_redacting_again_leaves_placeholders_whole(demo: Personify) -> None:
    """A stored turn is redacted again before it goes back into a prompt: its placeholders
    stay as they are and are never taken for new values."""
    vault = Vault()
    once = demo.redactor.redact("I am Amara Okonkwo, call +44 7700 900461.", vault)
    assert demo.redactor.redact(once, vault) == once
    assert sorted(vault.entries.values()) == ["+44 7700 900461", "Amara Okonkwo"]

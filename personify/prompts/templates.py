"""Load templates from package files and render them strictly with LangChain."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from personify.errors import ConfigError

PACKAGE = "personify.prompts"
FOLDER = "templates"


@dataclass(frozen=True, kw_only=True)
class PromptTemplate:
    name: str
    version: str
    system: str
    human: str
    extra: dict[str, str] = field(default_factory=dict)  # further named texts, e.g. questions

    @property
    def id(self) -> str:
        return f"{self.name}.{self.version}"

    def chat_template(self) -> ChatPromptTemplate:
        return ChatPromptTemplate.from_messages(
            [("system", self.system), MessagesPlaceholder("history"), ("human", self.human)]
        )

    def render(self, history: list[BaseMessage] | None = None, **values: Any) -> list[BaseMessage]:
        """Render; a missing variable raises ConfigError naming it (never a silent blank)."""
        try:
            return self.chat_template().format_messages(history=history or [], **values)
        except KeyError as exc:
            raise ConfigError(
                f"Template {self.id} needs the variable {exc.args[0]!r}.", field=str(exc.args[0])
            ) from exc


def available_templates() -> list[str]:
    folder = resources.files(PACKAGE).joinpath(FOLDER)
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def latest_version(name: str) -> str:
    """The highest `vN` among the template's files ("v1" when there is none, so that
    loading it names the file that is missing)."""
    versions = [n.split(".", 1)[1] for n in available_templates() if n.split(".", 1)[0] == name]
    numbered = [v for v in versions if v[1:].isdigit()]
    return max(numbered, key=lambda v: int(v[1:]), default="v1")


@lru_cache(maxsize=32)
def load_template(name: str, version: str | None = None) -> PromptTemplate:
    """The template `name` at `version` (its latest by default)."""
    version = version or latest_version(name)
    path = resources.files(PACKAGE).joinpath(FOLDER, f"{name}.{version}.toml")
    if not path.is_file():
        raise ConfigError(
            f"No prompt template {name}.{version}: expected {FOLDER}/{name}.{version}.toml."
        )
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if data.get("name") != name or data.get("version") != version:
        raise ConfigError(f"{path}: its name/version fields do not match the file name.")
    extra = {k: v for k, v in data.items() if k not in ("name", "version", "system", "human")}
    return PromptTemplate(
        name=name, version=version, system=data["system"], human=data["human"], extra=extra
    )

"""The distribution's metadata installs without warnings a user must wonder about: the
license is an SPDX expression (setuptools deprecates the `license = {text}` table), and
the docs' assets come from a dependency rather than a CDN."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_license_is_an_spdx_expression_setuptools_reads_without_warning() -> None:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert config["project"]["license"] == "Apache-2.0"
    requires = " ".join(config["build-system"]["requires"])
    found = re.search(r"setuptools>=(\d+)", requires)
    assert found and int(found.group(1)) >= 77  # the first to read SPDX strings


def test_the_docs_assets_are_a_dependency() -> None:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert any(d.startswith("fastapi-offline") for d in config["project"]["dependencies"])

"""Versioned prompt templates (package data), strict rendering, and token budgets."""

from personify.prompts.budget import Parts, count_tokens, fit_to_budget, trim_to_budget
from personify.prompts.templates import PromptTemplate, load_template

__all__ = [
    "Parts",
    "PromptTemplate",
    "count_tokens",
    "fit_to_budget",
    "load_template",
    "trim_to_budget",
]

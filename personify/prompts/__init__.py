"""Versioned prompt templates (package data), strict rendering, and token budgets."""

from personify.prompts.budget import count_tokens, trim_to_budget
from personify.prompts.templates import PromptTemplate, load_template

__all__ = ["PromptTemplate", "count_tokens", "load_template", "trim_to_budget"]

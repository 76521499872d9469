"""Personify: what should this user see right now, and how do we say it."""

__version__ = "0.1.0"

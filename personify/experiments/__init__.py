"""Experiments: definitions, sticky assignment, exposures, metrics from the event log,
analysis with scipy, and reports."""

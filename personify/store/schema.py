"""SQL tables: the event log, the catalog of record, users, profiles and conversations.

Changes go through a migration (store/migrations/versions) as well as here; a test
checks the two agree.

Times are stored as float epoch seconds (UTC): portable across SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

metadata = MetaData()

items = Table(
    "items",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=False),
    Column("category", String(100), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("available", Boolean, nullable=False),
    Column("updated_at", Float, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(200), nullable=False),
    Column("user_id", String(128), nullable=False),
    Column("type", String(64), nullable=False),
    Column("item_id", String(128)),
    Column("properties", JSON, nullable=False),
    Column("ts", Float, nullable=False),
    Column("received_at", Float, nullable=False),
    # In its user's profile yet? Set in the transaction that saves the profile.
    Column("folded", Boolean, nullable=False, server_default=true()),
    UniqueConstraint("event_id", name="uq_events_event_id"),
    # type too: an experiment's outcomes count events by user, time and type from the
    # index alone (without it, reading every row of a million-event log took 3 s)
    Index("ix_events_user_ts_type", "user_id", "ts", "type"),
    Index("ix_events_user_folded", "user_id", "folded"),
)

users = Table(
    "users",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("traits", JSON, nullable=False),
    Column("updated_at", Float, nullable=False),
)

profiles = Table(
    "profiles",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("features", JSON, nullable=False),
    Column("has_vector", Boolean, nullable=False),
    Column("updated_at", Float, nullable=False),
    # Running state, so a batch of events updates a profile without rereading history:
    # decayed sums of item vectors and category weights as of state_at, and the
    # embedded stated interests (float32 bytes).
    Column("behaviour", LargeBinary),
    Column("interests", LargeBinary),
    Column("dislikes", LargeBinary),
    Column("affinity", JSON, nullable=False),
    Column("state_at", Float, nullable=False),
)

conversation_turns = Table(
    "conversation_turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(128), nullable=False),
    Column("session_id", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("text", Text, nullable=False),  # redacted: placeholders, never raw PII
    Column("created_at", Float, nullable=False),
    Index("ix_turns_user_session", "user_id", "session_id", "id"),
)

# The agent's own notes on a user, apart from their traits (which a PUT replaces whole):
# interests and dislikes said in chat, and the onboarding question awaiting an answer.
agent_notes = Table(
    "agent_notes",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("interests", JSON, nullable=False),  # redacted phrases, newest first
    Column("dislikes", JSON, nullable=False),
    Column("asking", String(32)),
    Column("updated_at", Float, nullable=False),
)

vaults = Table(
    "vaults",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("session_id", String(128), primary_key=True),
    Column("entries", JSON, nullable=False),  # placeholder -> original value
    Column("updated_at", Float, nullable=False),
)

consents = Table(
    "consents",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("personalization", Boolean, nullable=False),
    Column("free_text", Boolean, nullable=False),
    Column("analytics", Boolean, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# What was done, never to whom in clear: `subject` is a salted hash of the user id, the
# prompt is a hash of its redacted text.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("kind", String(32), nullable=False),  # "model_call" | "erasure"
    Column("subject", String(64), nullable=False),
    Column("model", String(200)),
    Column("template", String(64)),
    Column("prompt_sha256", String(64)),
    Column("entities", JSON, nullable=False),
)

# Per-installation secrets shared by every worker (the audit salt).
installation = Table(
    "installation",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)

# Bumped whenever history is removed (erasure), so derived in-memory indexes rebuild.
log_meta = Table(
    "log_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)


# The control plane (multi-tenant mode only): one row per tenant, in the installation's
# own database (the table exists, empty, in each tenant's store too: one migration
# history for all). Keys are stored as SHA-256 hashes; the user-signing key must be
# readable to check the widget's user tokens.
tenants = Table(
    "tenants",
    metadata,
    Column("tenant_id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("product_name", String(200), nullable=False),  # end users are welcomed to it
    Column("tone", String(20)),  # how the assistant writes for it; null: the server's
    Column("secret_key_sha256", String(64), nullable=False, unique=True),
    Column("publishable_key_sha256", String(64), nullable=False, unique=True),
    Column("signing_key", String(64), nullable=False),
    # the key before the last rotation, still verifying user tokens until the time after it
    Column("previous_signing_key", String(64)),
    Column("previous_signing_key_until", Float),
    Column("origins", JSON, nullable=False),
    Column("rate_limit_per_minute", Integer),
    Column("created_at", Float, nullable=False),
)


# Experiments (personify/experiments): definitions, and who was served which variant.
experiments = Table(
    "experiments",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("spec", JSON, nullable=False),  # the ExperimentSpec as posted
    Column("status", String(16), nullable=False),  # "running" | "stopped"
    Column("created_at", Float, nullable=False),
    Column("stopped_at", Float),
)

metric_definitions = Table(
    "metric_definitions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("spec", JSON, nullable=False),  # the MetricSpec as posted
    Column("created_at", Float, nullable=False),
)

# The first response of the experiment's surface served to the user: outcomes count
# from then on. Assignment is a hash, so one variant per user and experiment.
exposures = Table(
    "exposures",
    metadata,
    Column("experiment", String(64), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("variant", String(64), nullable=False),
    Column("first_at", Float, nullable=False),
    Index("ix_exposures_user", "user_id"),
)

# Every response served in an experiment: the denominators (clicks per response) and the
# guardrails (fallbacks, latency).
served = Table(
    "served",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("experiment", String(64), nullable=False),
    Column("variant", String(64), nullable=False),
    Column("user_id", String(128), nullable=False),
    Column("at", Float, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("fallback", Boolean, nullable=False),
    Index("ix_served_experiment", "experiment", "user_id"),
    Index("ix_served_user", "user_id"),
)

"""Alembic environment of the cloud database; run through web.db.migrate.upgrade()."""

from __future__ import annotations

from alembic import context

from web.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only web.db.migrate runs these
    raise RuntimeError("run cloud migrations through web.db.migrate.upgrade()")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

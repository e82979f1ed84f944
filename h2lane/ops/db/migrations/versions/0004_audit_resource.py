"""audit log: an index on (resource, id), so the scenario version is one index lookup

Every ingest batch writes an audit row, so without it finding the newest scenario write
(:func:`h2lane.ops.db.store.scenario_version`) walked back over every batch since.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_resource_id", "audit_log", ["resource", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_resource_id", table_name="audit_log")

"""live operations: telemetry, device state, alarm rules, alarms, incidents, refuel events

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from h2lane.ops.db.live_tables import LIVE_TABLES

    bind = op.get_bind()
    for table in LIVE_TABLES:
        table.create(bind)


def downgrade() -> None:
    from h2lane.ops.db.live_tables import LIVE_TABLES

    bind = op.get_bind()
    for table in reversed(LIVE_TABLES):
        table.drop(bind)

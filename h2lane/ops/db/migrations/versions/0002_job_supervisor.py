"""plan jobs: the worker (supervisor) process that claimed a job, beside the job's own process

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supervisor_pid", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.drop_column("supervisor_pid")

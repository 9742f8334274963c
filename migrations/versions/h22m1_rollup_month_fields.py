"""The roll-up's month rows keyed by field (lĩnh vực) and channel class (online / other) instead of
procedure and channel, so that a year's rows stop growing with its dossiers; the state keeps a digest of
the procedures' fields they were keyed with, and the job re-rolls every month when it changes
(docs/operations.md, "The report roll-up"). Month rows rolled before this have no field: the state's
digest is empty, so they are not read, and the next run rolls every month again.

Revision ID: h22m1_rollup_month_fields
Revises: h21o1_rollup_open
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h22m1_rollup_month_fields"
down_revision = "h21o1_rollup_open"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_rollup_days") as batch:
        batch.add_column(sa.Column("field", sa.String(120), nullable=True))
    with op.batch_alter_table("report_rollup_state") as batch:
        batch.add_column(sa.Column("fields_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    # Month rows keyed by field mean nothing to the code before, which reads a closed month's rows
    # without checking they exist: drop the whole roll-up, so that reports are computed live until the
    # job's next run rolls all of history again.
    op.execute("DELETE FROM report_rollup_days")
    op.execute("DELETE FROM report_rollup_state")
    with op.batch_alter_table("report_rollup_state") as batch:
        batch.drop_column("fields_digest")
    with op.batch_alter_table("report_rollup_days") as batch:
        batch.drop_column("field")

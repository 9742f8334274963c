"""The dossiers open at each closed month's start, with their Form 06 bucket (within / overdue) as of
that moment: a closed period's "in progress at the end" is read from these rows instead of being
computed over every dossier open then or finished since, which grows with the whole history
(docs/operations.md, "The report roll-up"; docs/benchmarks.md, "Form 06 from the roll-up").

Revision ID: h21o1_rollup_open
Revises: h20d1_open_by_agency
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h21o1_rollup_open"
down_revision = "h20d1_open_by_agency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_rollup_open",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("receiving_agency_id", sa.Integer(), nullable=False),
        sa.Column("resolver_agency_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(1), nullable=False),
        sa.PrimaryKeyConstraint("day", "dossier_id", name="pk_report_rollup_open"),
    )
    # The job re-takes the rows of the dossiers touched since its run before last, at every moment.
    op.create_index("ix_report_rollup_open_dossier", "report_rollup_open", ["dossier_id"])
    # NULL: no moment taken yet (a roll-up from before this table): the next run takes them all.
    with op.batch_alter_table("report_rollup_state") as batch:
        batch.add_column(sa.Column("open_from", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_rollup_state") as batch:
        batch.drop_column("open_from")
    op.drop_index("ix_report_rollup_open_dossier", table_name="report_rollup_open")
    op.drop_table("report_rollup_open")

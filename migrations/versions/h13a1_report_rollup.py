"""The Form 06 roll-up of closed local days and its watermark (docs/operations.md, "The report roll-up").

Revision ID: h13a1_report_rollup
Revises: h12a1_feedback_upheld
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h13a1_report_rollup"
down_revision = "h12a1_feedback_upheld"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_rollup_days",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(1), nullable=False),
        sa.Column("receiving_agency_id", sa.Integer(), nullable=False),
        sa.Column("resolver_agency_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("bucket", sa.String(1), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_index("ix_report_rollup_days_day", "report_rollup_days", ["day", "kind"])
    # A desk's or a resolver's report reads only its own rows (cost with its own dossiers).
    op.create_index("ix_report_rollup_days_desk", "report_rollup_days", ["receiving_agency_id", "day"])
    op.create_index("ix_report_rollup_days_resolver", "report_rollup_days", ["resolver_agency_id", "day"])
    op.create_table(
        "report_rollup_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("closed_before", sa.Date(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("last_leg_id", sa.Integer(), nullable=False),
        sa.Column("last_dossier_id", sa.Integer(), nullable=False),
        sa.Column("prev_event_id", sa.Integer(), nullable=False),
        sa.Column("prev_leg_id", sa.Integer(), nullable=False),
        sa.Column("prev_dossier_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_rollup_state")
    op.drop_index("ix_report_rollup_days_resolver", table_name="report_rollup_days")
    op.drop_index("ix_report_rollup_days_desk", table_name="report_rollup_days")
    op.drop_index("ix_report_rollup_days_day", table_name="report_rollup_days")
    op.drop_table("report_rollup_days")

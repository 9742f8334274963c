"""Partial indexes so the 15-minute scan reads only what can still cross a threshold
(docs/operations.md §14, "The overdue scan at scale").

Revision ID: h14a1_scan_pending_indexes
Revises: h13a1_report_rollup
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h14a1_scan_pending_indexes"
down_revision = "h13a1_report_rollup"
branch_labels = None
depends_on = None

PENDING = "finished_at IS NULL AND overdue_flagged_at IS NULL"
RESUPPLIED = PENDING + " AND supplement_count > 1"

INDEXES = (
    ("ix_dossiers_overdue_pending", "dossiers", "due_at", PENDING),
    ("ix_dossiers_resupplied_pending", "dossiers", "id", RESUPPLIED),
    ("ix_dossiers_overdue_flagged", "dossiers", "overdue_flagged_at", "overdue_flagged_at IS NOT NULL"),
    ("ix_dossiers_due_soon_flagged", "dossiers", "due_soon_flagged_at", "due_soon_flagged_at IS NOT NULL"),
    ("ix_handoff_legs_overdue_pending", "handoff_legs", "due_at", PENDING),
    ("ix_handoff_legs_overdue_flagged", "handoff_legs", "overdue_flagged_at",
     "overdue_flagged_at IS NOT NULL"),
)


def upgrade() -> None:
    for name, table, column, where in INDEXES:
        op.create_index(name, table, [column], postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def downgrade() -> None:
    for name, table, _column, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)

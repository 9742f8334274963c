"""Index dossiers by reception time across agencies: the 766 index reads the dossiers received in a
period for a whole province (docs/benchmarks.md, "766 index"), which the per-desk index
(receiving_agency_id, received_at) serves only desk by desk.

Revision ID: h17a1_dossiers_received
Revises: h14a1_scan_pending_indexes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h17a1_dossiers_received"
down_revision = "h14a1_scan_pending_indexes"
branch_labels = None
depends_on = None

WHERE = "received_at IS NOT NULL"


def upgrade() -> None:
    op.create_index("ix_dossiers_received", "dossiers", ["received_at"], postgresql_where=sa.text(WHERE),
                    sqlite_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index("ix_dossiers_received", table_name="dossiers")

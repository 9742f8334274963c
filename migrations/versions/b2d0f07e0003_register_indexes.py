"""Indexes for the register (form 07): keyset order (submitted_at, id) and per desk.

Revision ID: b2d0f07e0003
Revises: a1c0f06e0002
Create Date: 2026-11-28
"""
from alembic import op

revision = "b2d0f07e0003"
down_revision = "a1c0f06e0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.create_index("ix_dossiers_submitted", ["submitted_at", "id"], unique=False)
        batch_op.create_index("ix_dossiers_agency_submitted", ["receiving_agency_id", "submitted_at"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_agency_submitted")
        batch_op.drop_index("ix_dossiers_submitted")

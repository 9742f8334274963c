"""Index dossiers by (receiving agency, finish time) for Form 06 per agency subtree.

Revision ID: a1c0f06e0002
Revises: 5bcc5f7dd231
Create Date: 2026-11-28
"""
from alembic import op

revision = "a1c0f06e0002"
down_revision = "5bcc5f7dd231"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.create_index("ix_dossiers_agency_finished", ["receiving_agency_id", "finished_at"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_agency_finished")

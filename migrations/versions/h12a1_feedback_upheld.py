"""Whether a complaint (PAKN) was upheld: NULL until staff decide when answering it; only an upheld
complaint makes its dossier dissatisfied (Decision 766 indicator 5.4; docs/rules.md F5).

Revision ID: h12a1_feedback_upheld
Revises: h9a1_notify_consent_delivery
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h12a1_feedback_upheld"
down_revision = "h9a1_notify_consent_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("upheld", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("upheld")

"""Citizen notification consent recorded at reception (channel e-mail/SMS/Zalo), and per-message
delivery facts in the outbox (provider message id, delivered time, Zalo ZNS template).

Revision ID: h9a1_notify_consent_delivery
Revises: h10a1_dossier_files
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h9a1_notify_consent_delivery"
down_revision = "h10a1_dossier_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("notify_consent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("notify_channel", sa.String(8), nullable=False, server_default=""))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("provider_message_id", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("template_id", sa.String(60), nullable=False, server_default=""))
        batch.add_column(sa.Column("template_data", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("template_data")
        batch.drop_column("template_id")
        batch.drop_column("delivered_at")
        batch.drop_column("provider_message_id")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("notify_channel")
        batch.drop_column("notify_consent")

"""Notifications as data: a kind plus its values (``params``, JSON), said in the reader's language
when the inbox is read (onestop/web/sentences.py, docs/architecture.md §4).

Rows raised before keep their finished Vietnamese sentence in ``message`` and no ``params``; the
inbox shows them as they are. Their values were never stored apart from the sentence, and an inbox
entry is read within days, so they are not parsed back.

Revision ID: h18n1_notification_params
Revises: h17a1_dossiers_received
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h18n1_notification_params"
down_revision = "h17a1_dossiers_received"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("params")

"""The national portal (DVCQG): outbox, attempt log, online intake log.

Revision ID: h7a1_dvcqg_outbox_intake
Revises: b2d0f07e0003
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "h7a1_dvcqg_outbox_intake"
down_revision = "b2d0f07e0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dvcqg_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('event', 'rating')", name=op.f("ck_dvcqg_outbox_kind_known")),
        sa.CheckConstraint("state IN ('pending', 'sent', 'dead')", name=op.f("ck_dvcqg_outbox_state_known")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_dvcqg_outbox_attempts_nonneg")),
        sa.CheckConstraint("(state = 'sent') = (sent_at IS NOT NULL)",
                           name=op.f("ck_dvcqg_outbox_sent_iff_time")),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"],
                                name=op.f("fk_dvcqg_outbox_dossier_id_dossiers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dvcqg_outbox")),
        sa.UniqueConstraint("dossier_id", "kind", "version", name="uq_dvcqg_outbox_change"),
    )
    op.create_index("ix_dvcqg_outbox_state_dossier", "dvcqg_outbox", ["state", "dossier_id"])
    op.create_index("ix_dvcqg_outbox_created", "dvcqg_outbox", ["created_at"])
    op.create_table(
        "dvcqg_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["dvcqg_outbox.id"],
                                name=op.f("fk_dvcqg_attempts_outbox_id_dvcqg_outbox")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dvcqg_attempts")),
    )
    op.create_index("ix_dvcqg_attempts_outbox", "dvcqg_attempts", ["outbox_id", "at"])
    op.create_table(
        "dvcqg_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_code", sa.String(length=60), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.CheckConstraint("outcome IN ('accepted', 'refused')", name=op.f("ck_dvcqg_intake_outcome_known")),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"],
                                name=op.f("fk_dvcqg_intake_dossier_id_dossiers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dvcqg_intake")),
    )
    op.create_index("uq_dvcqg_intake_accepted", "dvcqg_intake", ["portal_code"], unique=True,
                    postgresql_where=sa.text("outcome = 'accepted'"),
                    sqlite_where=sa.text("outcome = 'accepted'"))
    op.create_index("ix_dvcqg_intake_at", "dvcqg_intake", ["at"])


def downgrade():
    op.drop_table("dvcqg_intake")
    op.drop_table("dvcqg_attempts")
    op.drop_table("dvcqg_outbox")

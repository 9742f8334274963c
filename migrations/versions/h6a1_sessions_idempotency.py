"""Staff sessions and API: users.session_generation (sessions end on logout, password or
rights change) and idempotency_keys (a retried POST /api/v1/dossiers creates nothing new).

Revision ID: h6a1_sessions_idempotency
Revises: h7a1_dvcqg_outbox_intake
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "h6a1_sessions_idempotency"
down_revision = "h7a1_dvcqg_outbox_intake"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint(op.f("ck_users_session_generation_nonneg"),
                                         "session_generation >= 0")
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("sealed_secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status_code BETWEEN 100 AND 599",
                           name=op.f("ck_idempotency_keys_status_code_http")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_idempotency_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("user_id", "key_hash", name="uq_idempotency_keys_user_key"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade():
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_session_generation_nonneg"), type_="check")
        batch_op.drop_column("session_generation")

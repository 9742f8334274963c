"""Dossier files (component scans and results) with their digitisation metadata, and the
per-dossier facts the 766 index reads: VNeID identity, online payment channel, fee paid, national
databases consulted (docs/integration.md, "Files and digitisation").

Revision ID: h10a1_dossier_files
Revises: h8a1_search_and_estimates
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "h10a1_dossier_files"
down_revision = "h8a1_search_and_estimates"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("vneid_verified", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("payment_channel", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("fee_paid", sa.Numeric(14, 0), nullable=True))
        batch.add_column(sa.Column("csdl_codes", sa.JSON(), nullable=False, server_default="[]"))
        batch.create_check_constraint("payment_channel_known",
                                      "payment_channel IS NULL OR payment_channel IN (1, 2)")
    op.create_table(
        "dossier_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("component_no", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("filename", sa.String(130), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("digitisation_state", sa.Integer(), nullable=False),
        sa.Column("reused_from_id", sa.Integer(), nullable=True),
        sa.Column("from_national_store", sa.Boolean(), nullable=False),
        sa.Column("result_code", sa.String(60), nullable=False),
        sa.Column("doc_number", sa.String(100), nullable=False),
        sa.Column("issuer", sa.String(200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("owner_id_number", sa.String(12), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approval_state", sa.Integer(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('component', 'result')", name=op.f("ck_dossier_files_kind_known")),
        sa.CheckConstraint("digitisation_state BETWEEN 1 AND 3", name=op.f("ck_dossier_files_state_known")),
        sa.CheckConstraint("approval_state BETWEEN 1 AND 3", name=op.f("ck_dossier_files_approval_known")),
        sa.CheckConstraint("content_type IN ('application/pdf', 'image/jpeg', 'image/png')",
                           name=op.f("ck_dossier_files_type_allowed")),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_dossier_files_size_positive")),
        sa.CheckConstraint("valid_until IS NULL OR issued_on IS NULL OR valid_until >= issued_on",
                           name=op.f("ck_dossier_files_validity_ordered")),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"],
                                name=op.f("fk_dossier_files_dossier_id_dossiers")),
        sa.ForeignKeyConstraint(["reused_from_id"], ["dossier_files.id"],
                                name=op.f("fk_dossier_files_reused_from_id_dossier_files")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"],
                                name=op.f("fk_dossier_files_uploaded_by_id_users")),
        sa.ForeignKeyConstraint(["approved_by_id"], ["users.id"],
                                name=op.f("fk_dossier_files_approved_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_files")),
    )
    op.create_index("ix_dossier_files_dossier", "dossier_files", ["dossier_id", "kind"])
    op.create_index("ix_dossier_files_owner", "dossier_files", ["owner_id_number", "approval_state"])
    op.create_index("ix_dossier_files_key", "dossier_files", ["storage_key"])


def downgrade():
    op.drop_table("dossier_files")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_constraint("payment_channel_known", type_="check")
        batch.drop_column("csdl_codes")
        batch.drop_column("fee_paid")
        batch.drop_column("payment_channel")
        batch.drop_column("vneid_verified")

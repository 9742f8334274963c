"""The menu's search box and the honest estimate: applicant phones stored normalised (+84 → 0,
digits only) with indexes on phone and citizen ID; procedure_estimates (median and 90th
percentile of working days from reception to result, per procedure and resolving agency).

Revision ID: h8a1_search_and_estimates
Revises: h3a1_calendar_generation_tet
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "h8a1_search_and_estimates"
down_revision = "h3a1_calendar_generation_tet"
branch_labels = None
depends_on = None


def upgrade():
    # Backfill in one set-based statement per shape: "+84 912 345 678" / "84912345678" → "0912345678";
    # separators dropped (the reception form already refused anything else).
    op.execute("UPDATE dossiers SET applicant_phone = replace(replace(replace(replace(replace("
               "applicant_phone, ' ', ''), '.', ''), '-', ''), '(', ''), ')', '') "
               "WHERE applicant_phone <> '' AND (applicant_phone LIKE '% %' OR applicant_phone LIKE '%.%' "
               "OR applicant_phone LIKE '%-%' OR applicant_phone LIKE '%(%')")
    op.execute("UPDATE dossiers SET applicant_phone = '0' || substr(applicant_phone, 4) "
               "WHERE applicant_phone LIKE '+84%'")
    op.execute("UPDATE dossiers SET applicant_phone = '0' || substr(applicant_phone, 3) "
               "WHERE applicant_phone LIKE '84%' AND length(applicant_phone) = 11")
    op.execute("UPDATE dossiers "
               "SET applicant_id_number = replace(replace(applicant_id_number, ' ', ''), '.', '') "
               "WHERE applicant_id_number LIKE '% %' OR applicant_id_number LIKE '%.%'")
    with op.batch_alter_table("dossiers") as batch:
        batch.create_index("ix_dossiers_applicant_phone", ["applicant_phone"])
        batch.create_index("ix_dossiers_applicant_id_number", ["applicant_id_number"])
    op.create_table(
        "procedure_estimates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("median_days", sa.Numeric(8, 2), nullable=False),
        sa.Column("p90_days", sa.Numeric(8, 2), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cases >= 0", name=op.f("ck_procedure_estimates_cases_nonneg")),
        sa.CheckConstraint("median_days >= 0 AND p90_days >= median_days",
                           name=op.f("ck_procedure_estimates_ordered")),
        sa.ForeignKeyConstraint(["procedure_id"], ["procedures.id"],
                                name=op.f("fk_procedure_estimates_procedure_id_procedures")),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_procedure_estimates_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_estimates")),
        sa.UniqueConstraint("procedure_id", "agency_id", name=op.f("uq_procedure_estimates_key")),
    )


def downgrade():
    op.drop_table("procedure_estimates")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index("ix_dossiers_applicant_id_number")
        batch.drop_index("ix_dossiers_applicant_phone")

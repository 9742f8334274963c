"""Working calendar: calendar_state (the generation every calendar edit bumps, read by each
process once per unit of work) and calendar_tet_confirmations (an admin's confirmation of a
year's Tết days estimated by the holidays package).

Revision ID: h3a1_calendar_generation_tet
Revises: h4a1_reissue_secret_event
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "h3a1_calendar_generation_tet"
down_revision = "h4a1_reissue_secret_event"
branch_labels = None
depends_on = None


def upgrade():
    state = op.create_table(
        "calendar_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_calendar_state_single_row")),
        sa.CheckConstraint("generation >= 0", name=op.f("ck_calendar_state_generation_nonneg")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_state")),
    )
    op.bulk_insert(state, [{"id": 1, "generation": 0, "stamp": "", "changed_at": None}])
    op.create_table(
        "calendar_tet_confirmations",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("package_days", sa.String(length=200), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("via IN ('confirm', 'edit')",
                           name=op.f("ck_calendar_tet_confirmations_via_known")),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["users.id"],
                                name=op.f("fk_calendar_tet_confirmations_confirmed_by_id_users")),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_tet_confirmations")),
    )


def downgrade():
    op.drop_table("calendar_tet_confirmations")
    op.drop_table("calendar_state")

"""Open dossiers by receiving desk and by holder: the head's dashboard and overdue / due-soon lists
select the open dossiers received by a subtree or held by it now; these two small partial indexes
(open dossiers only) make each side an index range instead of a filter over every open dossier of the
province. Results waiting at the desk by holder, newest first: the inbox shows the newest 300, which
a desk where citizens do not collect holds by tens of thousands. And the search box's name index
carries the scope's columns and the order, so a common name prefix is answered from the index alone
(docs/benchmarks.md, "Staff pages over HTTP", at 10M).

Revision ID: h20d1_open_by_agency
Revises: h19f1_dossier_file_facts
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h20d1_open_by_agency"
down_revision = "h19f1_dossier_file_facts"
branch_labels = None
depends_on = None

OPEN = "finished_at IS NULL"
READY = "status = 'result_ready'"
SEARCH_COLUMNS = ["applicant_search", "receiving_agency_id", "current_agency_id", "submitted_at", "id"]


def upgrade() -> None:
    op.create_index("ix_dossiers_open_receiving", "dossiers", ["receiving_agency_id", "due_at"],
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    op.create_index("ix_dossiers_open_current", "dossiers", ["current_agency_id", "due_at"],
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    op.create_index("ix_dossiers_ready_current", "dossiers", ["current_agency_id", "finished_at", "id"],
                    postgresql_where=sa.text(READY), sqlite_where=sa.text(READY))
    op.drop_index("ix_dossiers_applicant_search", table_name="dossiers")
    op.create_index("ix_dossiers_applicant_search", "dossiers", SEARCH_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_dossiers_applicant_search", table_name="dossiers")
    op.create_index("ix_dossiers_applicant_search", "dossiers", ["applicant_search"])
    op.drop_index("ix_dossiers_ready_current", table_name="dossiers")
    op.drop_index("ix_dossiers_open_current", table_name="dossiers")
    op.drop_index("ix_dossiers_open_receiving", table_name="dossiers")

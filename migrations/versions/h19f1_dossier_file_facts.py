"""The 766 file and sync facts on the dossier: when it first held a counting component scan, result
file, reused document and document from the national store, and when an event of it was first
accepted by the portal — kept by triggers on dossier_files and dvcqg_outbox, so the 766 index reads
one row per dossier instead of joining files and sync rows (docs/benchmarks.md, "766 index").

Revision ID: h19f1_dossier_file_facts
Revises: h18n1_notification_params
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h19f1_dossier_file_facts"
down_revision = "h18n1_notification_params"
branch_labels = None
depends_on = None

# What counts (docs/integration.md, "The 766 index predicted"): a file not refused (approval 3);
# a reused component is digitisation state 2 or 3; a sync is an 'event' row the portal accepted.
_FILE = "FROM dossier_files f WHERE f.dossier_id = dossiers.id AND f.approval_state <> 3"
FILE_FACTS = {
    "first_component_at": f"(SELECT min(f.uploaded_at) {_FILE} AND f.kind = 'component')",
    "first_result_file_at": f"(SELECT min(f.uploaded_at) {_FILE} AND f.kind = 'result')",
    "first_reused_at": f"(SELECT min(f.uploaded_at) {_FILE} AND f.kind = 'component'"
                       " AND f.digitisation_state IN (2, 3))",
    "first_national_at": f"(SELECT min(f.uploaded_at) {_FILE} AND f.from_national_store)",
}
SYNC_FACT = {"first_synced_at": "(SELECT min(o.sent_at) FROM dvcqg_outbox o WHERE o.dossier_id = dossiers.id"
                                " AND o.kind = 'event' AND o.state = 'sent')"}
FILE_COLUMNS = "dossier_id, kind, uploaded_at, approval_state, digitisation_state, from_national_store"
SYNC_COLUMNS = "dossier_id, kind, state, sent_at"


def _set(facts: dict[str, str]) -> str:
    return ", ".join(f"{col} = {expr}" for col, expr in facts.items())


def _changed(facts: dict[str, str]) -> str:
    # Only rows whose fact really moves are written (a dossier's later syncs change nothing).
    return " OR ".join(f"{col} IS DISTINCT FROM {expr}" for col, expr in facts.items())


def _postgresql(name: str, table: str, columns: str, facts: dict[str, str]) -> None:
    op.execute(f"""
        CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE ids integer[];
        BEGIN
            IF TG_OP = 'INSERT' THEN ids := ARRAY[NEW.dossier_id];
            ELSIF TG_OP = 'DELETE' THEN ids := ARRAY[OLD.dossier_id];
            ELSE ids := ARRAY[OLD.dossier_id, NEW.dossier_id];
            END IF;
            UPDATE dossiers SET {_set(facts)} WHERE id = ANY(ids) AND ({_changed(facts)});
            RETURN NULL;
        END $$""")
    op.execute(f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF {columns} ON {table}"
               f" FOR EACH ROW EXECUTE FUNCTION {name}()")


def _sqlite(name: str, table: str, columns: str, facts: dict[str, str]) -> None:
    changed = _changed(facts).replace("IS DISTINCT FROM", "IS NOT")
    for suffix, event, ids in (("ins", "INSERT", "NEW.dossier_id"), ("del", "DELETE", "OLD.dossier_id"),
                               ("upd", f"UPDATE OF {columns}", "OLD.dossier_id, NEW.dossier_id")):
        op.execute(f"CREATE TRIGGER {name}_{suffix} AFTER {event} ON {table} FOR EACH ROW BEGIN"
                   f" UPDATE dossiers SET {_set(facts)} WHERE id IN ({ids}) AND ({changed}); END")


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        for col in (*FILE_FACTS, *SYNC_FACT):
            batch.add_column(sa.Column(col, sa.DateTime(timezone=True), nullable=True))
    op.execute(f"UPDATE dossiers SET {_set(FILE_FACTS)}"
               " WHERE id IN (SELECT dossier_id FROM dossier_files)")
    op.execute(f"UPDATE dossiers SET {_set(SYNC_FACT)}"
               " WHERE id IN (SELECT dossier_id FROM dvcqg_outbox WHERE state = 'sent')")
    make = _postgresql if op.get_bind().dialect.name == "postgresql" else _sqlite
    make("dossier_file_facts", "dossier_files", FILE_COLUMNS, FILE_FACTS)
    make("dossier_sync_fact", "dvcqg_outbox", SYNC_COLUMNS, SYNC_FACT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table in (("dossier_file_facts", "dossier_files"), ("dossier_sync_fact", "dvcqg_outbox")):
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for name in ("dossier_file_facts", "dossier_sync_fact"):
            for suffix in ("ins", "del", "upd"):
                op.execute(f"DROP TRIGGER {name}_{suffix}")
    with op.batch_alter_table("dossiers") as batch:
        for col in (*FILE_FACTS, *SYNC_FACT):
            batch.drop_column(col)

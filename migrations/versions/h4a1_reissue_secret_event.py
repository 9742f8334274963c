"""Dossier events: the look-up secret's reissue is a recorded event (action 'reissue_secret').

Revision ID: h4a1_reissue_secret_event
Revises: h6a1_sessions_idempotency
Create Date: 2026-11-29
"""
from alembic import op

revision = "h4a1_reissue_secret_event"
down_revision = "h6a1_sessions_idempotency"
branch_labels = None
depends_on = None

_ACTIONS = ("submit_online", "receive", "request_supplement", "provide_supplement", "refuse", "transfer",
            "assign", "request_payment", "confirm_payment", "hand_off", "acknowledge", "hand_back",
            "apologise", "stop", "complete", "return_result", "withdraw", "replan")
_NAME = "ck_dossier_events_action_known"


def _check(actions: tuple[str, ...]) -> str:
    return "action IN (" + ", ".join(f"'{a}'" for a in actions) + ")"


def _swap(actions: tuple[str, ...]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE dossier_events DROP CONSTRAINT {_NAME}")
        op.execute(f"ALTER TABLE dossier_events ADD CONSTRAINT {_NAME} CHECK ({_check(actions)})")
        return
    # SQLite rebuilds the table (batch mode), which drops its triggers: the append-only
    # triggers of the initial schema are created again afterwards.
    op.execute("DROP TRIGGER IF EXISTS dossier_events_no_update")
    op.execute("DROP TRIGGER IF EXISTS dossier_events_no_delete")
    with op.batch_alter_table("dossier_events", recreate="always") as batch:
        batch.drop_constraint(op.f(_NAME), type_="check")
        batch.create_check_constraint("action_known", _check(actions))
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER dossier_events_no_{verb.lower()} BEFORE {verb} ON dossier_events "
            "BEGIN SELECT RAISE(ABORT, 'dossier_events is append-only'); END"
        )


def upgrade():
    _swap(_ACTIONS + ("reissue_secret",))


def downgrade():
    _swap(_ACTIONS)

"""the outbox accepts the e-mail that carries a candidate's private link (one more kind)

Revision ID: 6c1e2f0a9b7d
Revises: 4f83376aaa53
Create Date: 2026-11-27 16:50:00.000000

"""
from alembic import op

import coordinator.dbtypes  # noqa: F401 - every migration may need the project's column types


BEFORE = ("'interviewer_invite', 'interviewer_update', 'interviewer_cancel', 'interviewer_removed', "
          "'candidate_invite', 'candidate_update', 'candidate_cancel', "
          "'interviewer_reminder', 'team_reminder', 'candidate_reminder'")
LINK = "'candidate_link'"

# revision identifiers, used by Alembic.
revision = '6c1e2f0a9b7d'
down_revision = '4f83376aaa53'
branch_labels = None
depends_on = None


def _outbox_kinds(kinds: str) -> None:
    # SQLite cannot alter a CHECK constraint: batch mode rebuilds the table with the new one.
    with op.batch_alter_table('outbox_messages', schema=None, recreate='auto') as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_kind_known'), f"kind IN ({kinds})")


def upgrade():
    _outbox_kinds(f"{BEFORE}, {LINK}")


def downgrade():
    op.execute(f"DELETE FROM outbox_messages WHERE kind = {LINK}")
    _outbox_kinds(BEFORE)

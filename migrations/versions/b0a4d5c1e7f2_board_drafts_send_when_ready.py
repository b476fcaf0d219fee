"""the scheduling board's drafts; send when ready (a loop's "send at once", the candidate's message per job and
per loop, outbox messages held for the recruiter's review)

Revision ID: b0a4d5c1e7f2
Revises: 95b8c67b6790
Create Date: 2026-12-05 07:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import coordinator.dbtypes

STATUSES = "'pending', 'held', 'sending', 'sent', 'failed'"
REVIEW = "'review'"

# revision identifiers, used by Alembic.
revision = 'b0a4d5c1e7f2'
down_revision = "95b8c67b6790"
branch_labels = None
depends_on = None


def _outbox_statuses(statuses: str) -> None:
    # SQLite cannot alter a CHECK constraint: batch mode rebuilds the table with the new one.
    with op.batch_alter_table('outbox_messages', schema=None, recreate='auto') as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_status_known'), f"status IN ({statuses})")


def upgrade():
    op.create_table('board_drafts',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('loop_id', sa.Integer(), nullable=False),
    sa.Column('start_dt', coordinator.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('interviewer_ids', sa.String(length=500), nullable=False),
    sa.Column('shadow_ids', sa.String(length=500), nullable=False),
    sa.Column('accepted_problems', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_dt', coordinator.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['loop_id'], ['loops.id'], name=op.f('fk_board_drafts_loop_id_loops'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['loop_sessions.id'], name=op.f('fk_board_drafts_session_id_loop_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_board_drafts_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_board_drafts'))
    )
    with op.batch_alter_table('board_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_drafts_loop_id'), ['loop_id'], unique=False)
    # loops made before this revision sent their invites at once; keep it so
    with op.batch_alter_table('loops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_at_once', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('candidate_message', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('candidate_message', sa.Text(), nullable=False, server_default=''))
    _outbox_statuses(f"{STATUSES}, {REVIEW}")


def downgrade():
    op.execute(f"UPDATE outbox_messages SET status = 'held' WHERE status = {REVIEW}")
    _outbox_statuses(STATUSES)
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('candidate_message')
    with op.batch_alter_table('loops', schema=None) as batch_op:
        batch_op.drop_column('candidate_message')
        batch_op.drop_column('send_at_once')
    with op.batch_alter_table('board_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_drafts_loop_id'))
    op.drop_table('board_drafts')

"""api keys, idempotent responses, webhooks; updated_dt on loops and jobs, candidates' external id

Revision ID: 318780b93dc7
Revises: b0a4d5c1e7f2
Create Date: 2026-12-05 10:34:09.924314

"""
from alembic import op
import sqlalchemy as sa

import coordinator.dbtypes


# revision identifiers, used by Alembic.
revision = '318780b93dc7'
down_revision = 'b0a4d5c1e7f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', coordinator.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_dt', coordinator.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_dt', coordinator.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_keys_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_keys_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_user_id'), ['user_id'], unique=False)

    op.create_table('webhook_endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', coordinator.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_webhook_endpoints_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    op.create_table('api_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', coordinator.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['api_keys.id'], name=op.f('fk_api_calls_key_id_api_keys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_calls'))
    )
    with op.batch_alter_table('api_calls', schema=None) as batch_op:
        batch_op.create_index('ix_api_calls_created', ['created_dt'], unique=False)
        batch_op.create_index('ix_api_calls_key_created', ['key_id', 'created_dt'], unique=False)

    op.create_table('api_idempotent_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('created_dt', coordinator.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['api_keys.id'], name=op.f('fk_api_idempotent_responses_key_id_api_keys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotent_responses')),
    sa.UniqueConstraint('key_id', 'idempotency_key', name=op.f('uq_api_idempotent_responses_key_id_idempotency_key'))
    )
    with op.batch_alter_table('api_idempotent_responses', schema=None) as batch_op:
        batch_op.create_index('ix_api_idempotent_responses_created', ['created_dt'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=120), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_dt', coordinator.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_dt', coordinator.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_dt', coordinator.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_response', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'sending', 'delivered', 'failed')", name=op.f('ck_webhook_deliveries_status_known')),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('endpoint_id', 'event_id', name=op.f('uq_webhook_deliveries_endpoint_id_event_id'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_due', ['status', 'next_attempt_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_endpoint_id'), ['endpoint_id'], unique=False)

    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_candidates_updated_dt'), ['updated_dt'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_candidates_external_id'), ['external_id'])

    # jobs and loops made before this revision count as last changed when they were created
    for table in ('jobs', 'loops'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('updated_dt', coordinator.dbtypes.UTCDateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE {table} SET updated_dt = created_dt")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('updated_dt', existing_type=coordinator.dbtypes.UTCDateTime(timezone=True),
                                  nullable=False)
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_updated_dt'), ['updated_dt'], unique=False)
    with op.batch_alter_table('loops', schema=None) as batch_op:
        batch_op.create_index('ix_loops_updated', ['updated_dt', 'id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_service', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('is_service')

    with op.batch_alter_table('loops', schema=None) as batch_op:
        batch_op.drop_index('ix_loops_updated')
        batch_op.drop_column('updated_dt')

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_updated_dt'))
        batch_op.drop_column('updated_dt')

    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_candidates_external_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_candidates_updated_dt'))
        batch_op.drop_column('external_id')

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_endpoint_id'))
        batch_op.drop_index('ix_webhook_deliveries_due')

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('api_idempotent_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_api_idempotent_responses_created')

    op.drop_table('api_idempotent_responses')
    with op.batch_alter_table('api_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_api_calls_key_created')
        batch_op.drop_index('ix_api_calls_created')

    op.drop_table('api_calls')
    op.drop_table('webhook_endpoints')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_user_id'))

    op.drop_table('api_keys')

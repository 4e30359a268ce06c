"""security: session generation per account, case-blind unique bed codes, messages long
enough for a status line and the bureau's 500-character reason

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 03:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('text', existing_type=sa.String(length=500), type_=sa.String(length=1000),
                              existing_nullable=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('body', existing_type=sa.String(length=500), type_=sa.String(length=1000),
                              existing_nullable=False)

    op.create_index('uq_bed_facility_code_lower', 'bed', ['facility_id', sa.text('lower(code)')], unique=True)


def downgrade():
    op.drop_index('uq_bed_facility_code_lower', table_name='bed')

    # Messages longer than the old columns are cut, not lost whole.
    op.execute(sa.text("UPDATE outbox SET body = substr(body, 1, 500) WHERE length(body) > 500"))
    op.execute(sa.text("UPDATE notification SET text = substr(text, 1, 500) WHERE length(text) > 500"))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('body', existing_type=sa.String(length=1000), type_=sa.String(length=500),
                              existing_nullable=False)
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('text', existing_type=sa.String(length=1000), type_=sa.String(length=500),
                              existing_nullable=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_generation')

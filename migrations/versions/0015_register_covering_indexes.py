"""covering indexes for the reports' counts on a day (issue 10 point 8): the bed register by
kind, home, care type and dates, and the stays by bed and dates with their elder, so the counts
of beds and residents on a day read the indexes alone, no bed or stay rows

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 07:10:00

"""
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bed', schema=None) as batch_op:
        batch_op.create_index('ix_bed_register', ['kind', 'facility_id', 'care_type', 'added_on', 'retired_on'],
                              unique=False)
    with op.batch_alter_table('stay', schema=None) as batch_op:
        batch_op.drop_index('ix_stay_bed_dates')
        batch_op.create_index('ix_stay_bed_dates', ['bed_id', 'start_on', 'end_on', 'elder_id'], unique=False)


def downgrade():
    with op.batch_alter_table('stay', schema=None) as batch_op:
        batch_op.drop_index('ix_stay_bed_dates')
        batch_op.create_index('ix_stay_bed_dates', ['bed_id', 'start_on', 'end_on'], unique=False)
    with op.batch_alter_table('bed', schema=None) as batch_op:
        batch_op.drop_index('ix_bed_register')

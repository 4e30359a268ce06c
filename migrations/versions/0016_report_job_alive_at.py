"""report jobs' last sign of life (report_job.alive_at, issue 10): a report ordered from the web
whose app server was killed halfway no longer shows as being made forever; a web job silent for
longer than a report can take ends as interrupted (eldercare.reports.making.end_interrupted)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 09:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alive_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE report_job SET alive_at = COALESCE(finished_at, created_at)")
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.alter_column('alive_at', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.drop_column('alive_at')

"""a web user's report order is one job while it is being made (issue 10): two clicks at once, or
the same order from another tab, find the first job instead of making the report twice

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 14:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

BEING_MADE = "NOT scheduled AND status IN ('queued', 'running')"
SAME_ORDER = ("later.requested_by_id = report_job.requested_by_id AND later.kind = report_job.kind AND "
              "later.scope = report_job.scope AND later.period = report_job.period AND "
              "later.language = report_job.language")
INTERRUPTED = '{"msgid": "The report was interrupted before it was finished; please order it again.", "values": {}}'


def upgrade():
    # Orders made twice before the key: the earlier of each pair ends as interrupted, as
    # making.end_interrupted ends a job nobody makes any more.
    op.execute(f"""UPDATE report_job SET status = 'failed', finished_at = CURRENT_TIMESTAMP, message = '{INTERRUPTED}'
                   WHERE {BEING_MADE} AND EXISTS (SELECT 1 FROM report_job later WHERE NOT later.scheduled
                   AND later.status IN ('queued', 'running') AND {SAME_ORDER} AND later.id > report_job.id)""")
    op.create_index('uq_report_job_ordered', 'report_job', ['requested_by_id', 'kind', 'scope', 'period', 'language'],
                    unique=True, sqlite_where=sa.text(BEING_MADE), postgresql_where=sa.text(BEING_MADE))


def downgrade():
    op.drop_index('uq_report_job_ordered', table_name='report_job')

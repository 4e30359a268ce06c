"""the change counter starts at the time in microseconds (eldercare.cache.start_timeline): a new
database never reuses a version that meant other data in a page kept in Redis

Revision ID: 0018
Revises: 0016
Create Date: 2026-11-30 10:10:00

"""
import time

from alembic import op

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    now = time.time_ns() // 1000
    op.execute(f"UPDATE change_counter SET value = CASE WHEN value < {now} THEN {now} ELSE value END WHERE id = 1")


def downgrade():
    pass  # the counter only ever grows; an older schema reads any value

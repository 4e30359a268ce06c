"""security: reserved for issue 11 (sessions, accounts); empty until that work lands

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
    pass


def downgrade():
    pass

"""plan 2024: reserved for issue 12 (the 2024 plan: tekun scope, priority groups, assessments), by the lead; empty until that work lands

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 03:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""caregivers: reserved for issue 9 (caregivers); empty until that work lands

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 03:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

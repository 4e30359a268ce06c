"""residents: assessments made for an application

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 03:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_assessment_application_id'), ['application_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_assessment_application_id_application'), 'application',
                                    ['application_id'], ['id'])


def downgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assessment_application_id_application'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_assessment_application_id'))
        batch_op.drop_column('application_id')

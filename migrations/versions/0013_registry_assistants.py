"""registry and assistants: facilities close on a date and keep their type history; town
civil-affairs assistants (user.town_id) apply on elders' behalf (application.assistant_town_id)
with supporting documents

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 03:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

FACILITY_TYPES = ('public_home', 'private_home', 'regional_center', 'street_center', 'embedded_home',
                  'meal_point', 'mutual_aid')


def _facility_type(name):
    return sa.Enum(*FACILITY_TYPES, name=name, native_enum=False, length=32)


def upgrade():
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))

    op.create_table(
        'facility_type_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('facility_id', sa.Integer(), nullable=False),
        sa.Column('changed_on', sa.Date(), nullable=False),
        sa.Column('previous', _facility_type('facilitytype'), nullable=False),
        sa.Column('type', _facility_type('facilitytype'), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_facility_type_change_actor_id_user')),
        sa.ForeignKeyConstraint(['facility_id'], ['facility.id'],
                                name=op.f('fk_facility_type_change_facility_id_facility')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_type_change')),
    )
    op.create_index('ix_facility_type_change_facility_day', 'facility_type_change', ['facility_id', 'changed_on'])

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('town_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_user_town_id_town'), 'town', ['town_id'], ['id'])

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assistant_town_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_application_assistant_town_id'), ['assistant_town_id'])
        batch_op.create_foreign_key(batch_op.f('fk_application_assistant_town_id_town'), 'town',
                                    ['assistant_town_id'], ['id'])

    op.create_table(
        'application_document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('disability_certificate', 'dibao_certificate', 'other', name='documentkind',
                                  native_enum=False, length=32), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('media_type', sa.String(length=32), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('path', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'],
                                name=op.f('fk_application_document_application_id_application')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_application_document_uploaded_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_application_document')),
        sa.UniqueConstraint('path', name=op.f('uq_application_document_path')),
    )
    op.create_index(op.f('ix_application_document_application_id'), 'application_document', ['application_id'])


def downgrade():
    op.drop_index(op.f('ix_application_document_application_id'), table_name='application_document')
    op.drop_table('application_document')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_application_assistant_town_id_town'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_application_assistant_town_id'))
        batch_op.drop_column('assistant_town_id')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_town_id_town'), type_='foreignkey')
        batch_op.drop_column('town_id')
    op.drop_index('ix_facility_type_change_facility_day', table_name='facility_type_change')
    op.drop_table('facility_type_change')
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.drop_column('closed_on')

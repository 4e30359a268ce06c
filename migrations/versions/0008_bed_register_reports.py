"""bed register reports: dated beds (added, retired, care-type changes); report archive and jobs

Existing beds get added_on 2000-01-01 (REGISTER_START): when they were really added is not
known, and counting them from before any recorded stay keeps every past day's figures as they
were computed before the register existed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 03:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade():
    with op.batch_alter_table('bed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('added_on', sa.Date(), server_default='2000-01-01', nullable=False))
        batch_op.add_column(sa.Column('retired_on', sa.Date(), nullable=True))

    op.create_table(
        'bed_care_type_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bed_id', sa.Integer(), nullable=False),
        sa.Column('changed_on', sa.Date(), nullable=False),
        sa.Column('previous', _enum('caretype', 'nursing', 'ordinary'), nullable=False),
        sa.Column('care_type', _enum('caretype', 'nursing', 'ordinary'), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['bed_id'], ['bed.id'], name=op.f('fk_bed_care_type_change_bed_id_bed')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bed_care_type_change')),
    )
    op.create_index('ix_bed_care_type_change_bed_day', 'bed_care_type_change', ['bed_id', 'changed_on'])

    op.create_table(
        'report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', _enum('reportkind', 'occupancy'), nullable=False),
        sa.Column('scope', sa.String(length=32), nullable=False),
        sa.Column('town_id', sa.Integer(), nullable=True),
        sa.Column('facility_id', sa.Integer(), nullable=True),
        sa.Column('period', sa.String(length=8), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('source', _enum('source', 'web', 'command_line', 'schedule'), nullable=False),
        sa.Column('made_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('path', sa.String(length=256), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('superseded_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_report_facility_id_facility')),
        sa.ForeignKeyConstraint(['made_by_id'], ['user.id'], name=op.f('fk_report_made_by_id_user')),
        sa.ForeignKeyConstraint(['town_id'], ['town.id'], name=op.f('fk_report_town_id_town')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report')),
        sa.UniqueConstraint('kind', 'scope', 'period', 'language', 'version', name='uq_report_version'),
    )
    op.create_index(op.f('ix_report_facility_id'), 'report', ['facility_id'])
    op.create_index(op.f('ix_report_period'), 'report', ['period'])
    op.create_index(op.f('ix_report_town_id'), 'report', ['town_id'])

    op.create_table(
        'report_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', _enum('reportkind', 'occupancy'), nullable=False),
        sa.Column('scope', sa.String(length=32), nullable=False),
        sa.Column('town_id', sa.Integer(), nullable=True),
        sa.Column('facility_id', sa.Integer(), nullable=True),
        sa.Column('period', sa.String(length=8), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('scheduled', sa.Boolean(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('status', _enum('jobstatus', 'queued', 'running', 'done', 'failed'), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_report_job_facility_id_facility')),
        sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_report_job_report_id_report')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_report_job_requested_by_id_user')),
        sa.ForeignKeyConstraint(['town_id'], ['town.id'], name=op.f('fk_report_job_town_id_town')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_job')),
    )
    op.create_index(op.f('ix_report_job_facility_id'), 'report_job', ['facility_id'])
    op.create_index(op.f('ix_report_job_requested_by_id'), 'report_job', ['requested_by_id'])
    op.create_index('uq_report_job_scheduled', 'report_job', ['kind', 'scope', 'period', 'language'], unique=True,
                    sqlite_where=sa.text('scheduled'), postgresql_where=sa.text('scheduled'))


def downgrade():
    op.drop_index('uq_report_job_scheduled', table_name='report_job')
    op.drop_index(op.f('ix_report_job_requested_by_id'), table_name='report_job')
    op.drop_index(op.f('ix_report_job_facility_id'), table_name='report_job')
    op.drop_table('report_job')
    op.drop_index(op.f('ix_report_town_id'), table_name='report')
    op.drop_index(op.f('ix_report_period'), table_name='report')
    op.drop_index(op.f('ix_report_facility_id'), table_name='report')
    op.drop_table('report')
    op.drop_index('ix_bed_care_type_change_bed_day', table_name='bed_care_type_change')
    op.drop_table('bed_care_type_change')
    with op.batch_alter_table('bed', schema=None) as batch_op:
        batch_op.drop_column('retired_on')
        batch_op.drop_column('added_on')

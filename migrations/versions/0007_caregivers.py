"""caregivers: roster with employment history, pre-job and in-service training, skill
certificates, pay bands per year and level, reminders with a unique key per cause and period

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
    op.create_table('caregiver',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('birth_on', sa.Date(), nullable=False),
    sa.Column('sex', sa.Enum('male', 'female', name='sex', native_enum=False, length=32), nullable=False),
    sa.Column('mobile', sa.String(length=11), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caregiver')),
    sa.UniqueConstraint('id_number', name=op.f('uq_caregiver_id_number'))
    )
    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caregiver_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('issuer', sa.String(length=128), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('expires_on IS NULL OR expires_on >= issued_on', name=op.f('ck_certificate_expires_after_issue')),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_certificate_level_1_to_5')),
    sa.ForeignKeyConstraint(['caregiver_id'], ['caregiver.id'], name=op.f('fk_certificate_caregiver_id_caregiver')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('number', name=op.f('uq_certificate_number'))
    )
    op.create_index(op.f('ix_certificate_caregiver_id'), 'certificate', ['caregiver_id'], unique=False)
    op.create_table('pay_band',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('minimum_pay', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('level BETWEEN 0 AND 5', name=op.f('ck_pay_band_level_0_to_5')),
    sa.CheckConstraint('minimum_pay >= 0', name=op.f('ck_pay_band_pay_not_negative')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_pay_band_changed_by_id_user')),
    sa.PrimaryKeyConstraint('year', 'level', name=op.f('pk_pay_band'))
    )
    op.create_table('pre_job_training',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caregiver_id', sa.Integer(), nullable=False),
    sa.Column('trained_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('provider', sa.String(length=128), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('hours > 0', name=op.f('ck_pre_job_training_hours_positive')),
    sa.ForeignKeyConstraint(['caregiver_id'], ['caregiver.id'], name=op.f('fk_pre_job_training_caregiver_id_caregiver')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_pre_job_training_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pre_job_training'))
    )
    op.create_index(op.f('ix_pre_job_training_caregiver_id'), 'pre_job_training', ['caregiver_id'], unique=False)
    op.create_table('caregiver_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caregiver_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('cause', sa.Enum('no_pre_job_training', 'behind_in_service_hours', 'certificate_expiring', name='remindercause', native_enum=False, length=32), nullable=False),
    sa.Column('period', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['caregiver_id'], ['caregiver.id'], name=op.f('fk_caregiver_reminder_caregiver_id_caregiver')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_caregiver_reminder_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caregiver_reminder')),
    sa.UniqueConstraint('caregiver_id', 'cause', 'period', name=op.f('uq_caregiver_reminder_caregiver_id'))
    )
    op.create_index(op.f('ix_caregiver_reminder_facility_id'), 'caregiver_reminder', ['facility_id'], unique=False)
    op.create_table('employment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caregiver_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('post', sa.Enum('caregiver', 'head_caregiver', 'nurse', 'other', name='post', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('active', 'on_leave', 'left', name='employmentstatus', native_enum=False, length=32), nullable=False),
    sa.Column('hired_on', sa.Date(), nullable=False),
    sa.Column('status_on', sa.Date(), nullable=False),
    sa.Column('monthly_pay', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('monthly_pay >= 0', name=op.f('ck_employment_pay_not_negative')),
    sa.CheckConstraint('status_on >= hired_on', name=op.f('ck_employment_status_after_hire')),
    sa.ForeignKeyConstraint(['caregiver_id'], ['caregiver.id'], name=op.f('fk_employment_caregiver_id_caregiver')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_employment_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employment'))
    )
    op.create_index('ix_employment_facility_status', 'employment', ['facility_id', 'status'], unique=False)
    op.create_index('uq_employment_current_caregiver', 'employment', ['caregiver_id'], unique=True, sqlite_where=sa.text("status <> 'left'"), postgresql_where=sa.text("status <> 'left'"))
    op.create_table('training_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('course', sa.String(length=128), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('provider', sa.String(length=128), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('hours > 0', name=op.f('ck_training_session_hours_positive')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_training_session_facility_id_facility')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_training_session_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_session'))
    )
    op.create_index(op.f('ix_training_session_facility_id'), 'training_session', ['facility_id'], unique=False)
    op.create_index(op.f('ix_training_session_held_on'), 'training_session', ['held_on'], unique=False)
    op.create_table('training_attendance',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('caregiver_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['caregiver_id'], ['caregiver.id'], name=op.f('fk_training_attendance_caregiver_id_caregiver')),
    sa.ForeignKeyConstraint(['session_id'], ['training_session.id'], name=op.f('fk_training_attendance_session_id_training_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'caregiver_id', name=op.f('pk_training_attendance'))
    )
    op.create_index(op.f('ix_training_attendance_caregiver_id'), 'training_attendance', ['caregiver_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_training_attendance_caregiver_id'), table_name='training_attendance')
    op.drop_table('training_attendance')
    op.drop_index(op.f('ix_training_session_held_on'), table_name='training_session')
    op.drop_index(op.f('ix_training_session_facility_id'), table_name='training_session')
    op.drop_table('training_session')
    op.drop_index('uq_employment_current_caregiver', table_name='employment', sqlite_where=sa.text("status <> 'left'"), postgresql_where=sa.text("status <> 'left'"))
    op.drop_index('ix_employment_facility_status', table_name='employment')
    op.drop_table('employment')
    op.drop_index(op.f('ix_caregiver_reminder_facility_id'), table_name='caregiver_reminder')
    op.drop_table('caregiver_reminder')
    op.drop_index(op.f('ix_pre_job_training_caregiver_id'), table_name='pre_job_training')
    op.drop_table('pre_job_training')
    op.drop_table('pay_band')
    op.drop_index(op.f('ix_certificate_caregiver_id'), table_name='certificate')
    op.drop_table('certificate')
    op.drop_table('caregiver')

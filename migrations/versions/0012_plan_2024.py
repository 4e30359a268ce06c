"""the 2024 plan: which facilities keep a tekun reserve (serves_tekun), the order of the policy groups, why
an assessment was made and the yearly reassessment reminders

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
    with op.batch_alter_table('facility', schema=None) as batch_op:
        # a plain default ('0', false on both databases), so SQLite adds the column without rebuilding the table
        batch_op.add_column(sa.Column('serves_tekun', sa.Boolean(), server_default='0', nullable=False))
    # Public homes serve tekun elders, and so does any institution where tekun elders live now
    # (the regional centres public homes became).
    op.execute("UPDATE facility SET serves_tekun = true WHERE type = 'public_home' OR id IN ("
               "SELECT bed.facility_id FROM stay JOIN bed ON bed.id = stay.bed_id JOIN elder ON elder.id = stay.elder_id "
               "WHERE stay.end_on IS NULL AND elder.category = 'tekun' AND bed.kind = 'institution')")


    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.Enum('admission', 'condition_changed', 'annual_review', 'application',
                                                        name='assessmentreason', native_enum=False, length=32),
                                      server_default='admission', nullable=False))
    op.execute("UPDATE assessment SET reason = 'application' WHERE application_id IS NOT NULL")
    op.create_table(
        'assessment_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('elder_id', sa.Integer(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['elder_id'], ['elder.id'], name=op.f('fk_assessment_reminder_elder_id_elder')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_reminder')),
        sa.UniqueConstraint('elder_id', 'due_on', name=op.f('uq_assessment_reminder_elder_id')),
    )
    op.create_table(
        'policy_group',
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_policy_group')),
    )


def downgrade():
    op.drop_table('policy_group')
    op.drop_table('assessment_reminder')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_column('reason')
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.drop_column('serves_tekun')

"""residents: applications keep what the family declared and claim no elder record until the
bureau takes them up; one place on the waitlist per person; identity cases; assessments made for
an application; ID numbers in their one normalised spelling; a facility's opening day

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 03:10:00

"""
import unicodedata
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('approved', 'offered', 'accepted')"


def _normalise(text):
    value = unicodedata.normalize("NFKC", text or "")
    value = "".join(str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else ch
                    for ch in value if not ch.isspace())
    return value.upper()


def upgrade():
    conn = op.get_bind()
    # One spelling of every stored ID number (the unique index then holds for all spellings).
    for elder_id, number in conn.execute(sa.text("SELECT id, id_number FROM elder")).all():
        if _normalise(number) != number:
            conn.execute(sa.text("UPDATE elder SET id_number = :n WHERE id = :i"),
                         {"n": _normalise(number), "i": elder_id})

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elder_name', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('id_number', sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column('birth_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('sex', sa.Enum('male', 'female', name='sex', native_enum=False,
                                                      length=32), nullable=True))
        batch_op.add_column(sa.Column('ability_level', sa.Enum('intact', 'mild', 'moderate', 'severe', 'complete',
                                                                name='abilitylevel', native_enum=False, length=32),
                                      nullable=True))
        batch_op.alter_column('elder_id', existing_type=sa.Integer(), nullable=True)
    conn.execute(sa.text(
        "UPDATE application SET elder_name = (SELECT name FROM elder WHERE elder.id = application.elder_id), "
        "id_number = (SELECT id_number FROM elder WHERE elder.id = application.elder_id), "
        "birth_on = (SELECT birth_on FROM elder WHERE elder.id = application.elder_id), "
        "sex = (SELECT sex FROM elder WHERE elder.id = application.elder_id), "
        "ability_level = (SELECT ability_level FROM elder WHERE elder.id = application.elder_id)"))
    # Drafts and withdrawn applications no longer claim a record; submitted ones wait for the bureau.
    conn.execute(sa.text("UPDATE application SET elder_id = NULL WHERE status IN ('draft', 'withdrawn', 'submitted')"))
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.alter_column('elder_name', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('id_number', existing_type=sa.String(length=18), nullable=False)
        batch_op.alter_column('birth_on', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('sex', existing_type=sa.Enum('male', 'female', name='sex', native_enum=False,
                                                           length=32), nullable=False)
        batch_op.create_index(batch_op.f('ix_application_id_number'), ['id_number'], unique=False)
    op.create_index('uq_application_active_id_number', 'application', ['id_number'], unique=True,
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_assessment_application_id'), ['application_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_assessment_application_id_application'), 'application',
                                    ['application_id'], ['id'])

    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_on', sa.Date(), nullable=True))

    op.create_table(
        'identity_case',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('elder_id', sa.Integer(), nullable=False),
        sa.Column('claimed_name', sa.String(length=64), nullable=False),
        sa.Column('source', sa.Enum('admission', 'application', name='casesource', native_enum=False, length=32),
                  nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=True),
        sa.Column('raised_by_id', sa.Integer(), nullable=True),
        sa.Column('raised_at', sa.DateTime(), nullable=False),
        sa.Column('resolved_by_id', sa.Integer(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('renamed', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['elder_id'], ['elder.id'], name=op.f('fk_identity_case_elder_id_elder')),
        sa.ForeignKeyConstraint(['raised_by_id'], ['user.id'], name=op.f('fk_identity_case_raised_by_id_user')),
        sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_identity_case_resolved_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_case')),
    )
    with op.batch_alter_table('identity_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_case_elder_id'), ['elder_id'], unique=False)


def downgrade():
    with op.batch_alter_table('identity_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_case_elder_id'))
    op.drop_table('identity_case')
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.drop_column('opened_on')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assessment_application_id_application'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_assessment_application_id'))
        batch_op.drop_column('application_id')
    op.drop_index('uq_application_active_id_number', table_name='application')
    # The old schema gave every application a record from its draft on: give one back to those
    # without (the person's existing record, or a new one from the declaration), nothing dropped.
    op.execute("INSERT INTO elder (name, id_number, birth_on, sex, category, severe_disability, living_alone, "
               "empty_nest, created_at, changed_at) "
               "SELECT MIN(elder_name), id_number, MIN(birth_on), MIN(sex), MIN(category), false, false, false, "
               "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM application "
               "WHERE elder_id IS NULL AND id_number NOT IN (SELECT id_number FROM elder) GROUP BY id_number")
    op.execute("UPDATE application SET elder_id = (SELECT id FROM elder WHERE elder.id_number = application.id_number) "
               "WHERE elder_id IS NULL")
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_id_number'))
        batch_op.alter_column('elder_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('ability_level')
        batch_op.drop_column('sex')
        batch_op.drop_column('birth_on')
        batch_op.drop_column('id_number')
        batch_op.drop_column('elder_name')

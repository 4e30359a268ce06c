"""languages: each account keeps its language (user.locale), and a notification (and a failed
report job) keeps its message as data (msgid and values, rendered in the reader's language)
instead of a sentence

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 06:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

notification = sa.table('notification', sa.column('id', sa.Integer()), sa.column('text', sa.String(1000)),
                        sa.column('message', sa.JSON()))
# report_job before (a text message) and after (a kept message) this revision.
text_report_job = sa.table('report_job', sa.column('id', sa.Integer()), sa.column('message', sa.Text()),
                           sa.column('kept_message', sa.JSON()))
kept_report_job = sa.table('report_job', sa.column('id', sa.Integer()), sa.column('message', sa.JSON()),
                           sa.column('text_message', sa.Text()))


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.JSON(), nullable=True))
    # A message written before this revision is a sentence already: it is kept as a plain text.
    bind = op.get_bind()
    for row in bind.execute(sa.select(notification.c.id, notification.c.text)).all():
        bind.execute(notification.update().where(notification.c.id == row.id).values(message=row.text))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('message', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('text')

    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kept_message', sa.JSON(), nullable=True))
    for row in bind.execute(sa.select(text_report_job.c.id, text_report_job.c.message)).all():
        bind.execute(text_report_job.update().where(text_report_job.c.id == row.id)
                     .values(kept_message=row.message or ''))
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.drop_column('message')
        batch_op.alter_column('kept_message', new_column_name='message', existing_type=sa.JSON(), nullable=False)


def _sentence(message):
    """A kept message as a sentence in the source language (English), for the older schema."""
    if isinstance(message, dict):
        if 'date' in message:
            return message['date']
        values = {k: _sentence(v) for k, v in message['values'].items()}
        return message['msgid'] % values if values else message['msgid']
    return str(message)


def downgrade():
    bind = op.get_bind()
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_message', sa.Text(), nullable=True))
    for row in bind.execute(sa.select(kept_report_job.c.id, kept_report_job.c.message)).all():
        bind.execute(kept_report_job.update().where(kept_report_job.c.id == row.id)
                     .values(text_message=_sentence(row.message)))
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.drop_column('message')
        batch_op.alter_column('text_message', new_column_name='message', existing_type=sa.Text(), nullable=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text', sa.String(length=1000), nullable=True))
    for row in bind.execute(sa.select(notification.c.id, notification.c.message)).all():
        bind.execute(notification.update().where(notification.c.id == row.id)
                     .values(text=_sentence(row.message)[:1000]))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('text', existing_type=sa.String(length=1000), nullable=False)
        batch_op.drop_column('message')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('locale')

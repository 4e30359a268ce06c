"""languages: each account keeps its language (user.locale), and a notification keeps its message
as data (msgid and values, rendered in the reader's language) instead of a sentence

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 06:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

notification = sa.table('notification', sa.column('id', sa.Integer()), sa.column('text', sa.String(1000)),
                        sa.column('message', sa.JSON()))


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


def _sentence(message):
    """A kept message as a sentence in the source language (English), for the older schema."""
    if isinstance(message, dict):
        if 'date' in message:
            return message['date']
        values = {k: _sentence(v) for k, v in message['values'].items()}
        return message['msgid'] % values if values else message['msgid']
    return str(message)


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text', sa.String(length=1000), nullable=True))
    bind = op.get_bind()
    for row in bind.execute(sa.select(notification.c.id, notification.c.message)).all():
        bind.execute(notification.update().where(notification.c.id == row.id)
                     .values(text=_sentence(row.message)[:1000]))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('text', existing_type=sa.String(length=1000), nullable=False)
        batch_op.drop_column('message')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('locale')

"""Offline lessons entered after a period's due time (补录), per period and member

Revision ID: a7c3e51d9b20
Revises: 4f9519e5f5ab
Create Date: 2026-12-07 22:57:57.006976

"""
from alembic import op
import sqlalchemy as sa

import learning.dbtypes


# revision identifiers, used by Alembic.
revision = 'a7c3e51d9b20'
down_revision = '4f9519e5f5ab'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('offline_late_entries',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_offline_late_entries_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lesson_id'], ['offline_lessons.id'], name=op.f('fk_offline_late_entries_lesson_id_offline_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_offline_late_entries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assignment_id', 'user_id', 'lesson_id', name=op.f('pk_offline_late_entries'))
    )
    with op.batch_alter_table('offline_late_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_late_entries_lesson_id'), ['lesson_id'], unique=False)



def downgrade():
    with op.batch_alter_table('offline_late_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offline_late_entries_lesson_id'))

    op.drop_table('offline_late_entries')

"""Index the hand-graded attempt slots (the quiz statistics cache reads their latest grade)

Revision ID: 4f9519e5f5ab
Revises: e6eb226c40a2
Create Date: 2026-12-01 03:29:36.537930

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4f9519e5f5ab'
down_revision = 'e6eb226c40a2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quiz_attempt_slots', schema=None) as batch_op:
        batch_op.create_index('ix_quiz_attempt_slots_hand_graded', ['attempt_id', 'graded_at'], unique=False, sqlite_where=sa.text('graded_at IS NOT NULL'), postgresql_where=sa.text('graded_at IS NOT NULL'))



def downgrade():
    with op.batch_alter_table('quiz_attempt_slots', schema=None) as batch_op:
        batch_op.drop_index('ix_quiz_attempt_slots_hand_graded', sqlite_where=sa.text('graded_at IS NOT NULL'), postgresql_where=sa.text('graded_at IS NOT NULL'))


"""Course progress rollup (reports at scale) and the reminder log (催学)

Revision ID: e6eb226c40a2
Revises: 819b4cc00017
Create Date: 2026-11-30 20:15:10.847572

"""
from alembic import op
import sqlalchemy as sa

import learning.dbtypes


# revision identifiers, used by Alembic.
revision = 'e6eb226c40a2'
down_revision = '819b4cc00017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('course_progress',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('opened', sa.Boolean(), nullable=False),
    sa.Column('last_completed_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_progress_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_progress_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'course_id', name=op.f('pk_course_progress'))
    )
    with op.batch_alter_table('course_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_progress_course_id'), ['course_id'], unique=False)
    # Fill the rollup from the progress already recorded (published modules only, as the app
    # counts them); from here on courses.progress keeps it in step with every write.
    op.execute("""
        INSERT INTO course_progress (user_id, course_id, done, opened, last_completed_at)
        SELECT p.user_id, m.course_id, COUNT(p.completed_at),
               MAX(CASE WHEN p.completed_at IS NOT NULL OR p.first_opened_at IS NOT NULL
                             OR p.seconds_spent > 0 THEN 1 ELSE 0 END) = 1,
               MAX(p.completed_at)
        FROM progress p JOIN modules m ON m.id = p.module_id
        WHERE m.published
        GROUP BY p.user_id, m.course_id
    """)

    op.create_table('reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('created_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_reminders_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_reminders_sender_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_reminders_unit_id_org_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders'))
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_unit_id'), ['unit_id'], unique=False)

    op.create_table('reminder_recipients',
    sa.Column('reminder_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reminder_id'], ['reminders.id'], name=op.f('fk_reminder_recipients_reminder_id_reminders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_recipients_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('reminder_id', 'user_id', name=op.f('pk_reminder_recipients'))
    )
    with op.batch_alter_table('reminder_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_recipients_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table("reminder_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_recipients_user_id'))

    op.drop_table('reminder_recipients')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_unit_id'))
        batch_op.drop_index(batch_op.f('ix_reminders_created_at'))
        batch_op.drop_index(batch_op.f('ix_reminders_assignment_id'))

    op.drop_table('reminders')
    with op.batch_alter_table('course_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_progress_course_id'))

    op.drop_table('course_progress')

"""Courses, modules, attachments, assignments, progress, offline lessons

Revision ID: 19964ab7bb66
Revises: 1ce100b53017
Create Date: 2026-11-22 04:20:30.653603

"""
from alembic import op
import sqlalchemy as sa

import learning.dbtypes


# revision identifiers, used by Alembic.
revision = '19964ab7bb66'
down_revision = '1ce100b53017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses'))
    )
    op.create_table('modules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body_md', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('estimated_minutes', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('completion_rule', sa.String(length=16), nullable=False),
    sa.Column('min_posts', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("completion_rule IN ('reading', 'confirm', 'quiz', 'posts')", name=op.f('ck_modules_completion_rule')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_modules_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_modules'))
    )
    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_modules_course_id'), ['course_id'], unique=False)

    op.create_table('offline_lessons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_offline_lessons_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_offline_lessons_unit_id_org_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_lessons'))
    )
    with op.batch_alter_table('offline_lessons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_lessons_unit_id'), ['unit_id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('starts_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_assignments_course_id_courses'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assignments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_assignments_module_id_modules'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_assignments_unit_id_org_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_unit_id'), ['unit_id'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("purpose IN ('module', 'cover')", name=op.f('ck_attachments_purpose')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_attachments_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_attachments_module_id_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_attachments_stored_name'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_module_id'), ['module_id'], unique=False)

    op.create_table('module_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('created_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('editor_name', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body_md', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['users.id'], name=op.f('fk_module_revisions_editor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_module_revisions_module_id_modules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_revisions'))
    )
    with op.batch_alter_table('module_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_revisions_module_id'), ['module_id'], unique=False)

    op.create_table('offline_lesson_attendees',
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['offline_lessons.id'], name=op.f('fk_offline_lesson_attendees_lesson_id_offline_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_offline_lesson_attendees_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lesson_id', 'user_id', name=op.f('pk_offline_lesson_attendees'))
    )
    op.create_table('offline_lesson_modules',
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['offline_lessons.id'], name=op.f('fk_offline_lesson_modules_lesson_id_offline_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_offline_lesson_modules_module_id_modules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lesson_id', 'module_id', name=op.f('pk_offline_lesson_modules'))
    )
    op.create_table('offline_lesson_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('created_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('editor_name', sa.String(length=64), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['users.id'], name=op.f('fk_offline_lesson_revisions_editor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lesson_id'], ['offline_lessons.id'], name=op.f('fk_offline_lesson_revisions_lesson_id_offline_lessons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_lesson_revisions'))
    )
    with op.batch_alter_table('offline_lesson_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_lesson_revisions_lesson_id'), ['lesson_id'], unique=False)

    op.create_table('progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('first_opened_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seconds_spent', sa.Integer(), nullable=False),
    sa.Column('completed_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_via', sa.String(length=10), nullable=True),
    sa.CheckConstraint("completed_via IS NULL OR completed_via IN ('reading', 'confirm', 'quiz', 'offline', 'posts')", name=op.f('ck_progress_completed_via')),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_progress_module_id_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_progress_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress')),
    sa.UniqueConstraint('user_id', 'module_id', name=op.f('uq_progress_user_id_module_id'))
    )
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_module_id'), ['module_id'], unique=False)

    op.create_table('assignment_members',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_assignment_members_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_assignment_members_unit_id_org_units'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignment_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assignment_id', 'user_id', name=op.f('pk_assignment_members'))
    )
    with op.batch_alter_table('assignment_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_members_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_members_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('assignment_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_members_unit_id'))

    op.drop_table('assignment_members')
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_module_id'))

    op.drop_table('progress')
    with op.batch_alter_table('offline_lesson_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offline_lesson_revisions_lesson_id'))

    op.drop_table('offline_lesson_revisions')
    op.drop_table('offline_lesson_modules')
    op.drop_table('offline_lesson_attendees')
    with op.batch_alter_table('module_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_revisions_module_id'))

    op.drop_table('module_revisions')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_module_id'))
        batch_op.drop_index(batch_op.f('ix_attachments_course_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_unit_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_module_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_due_at'))
        batch_op.drop_index(batch_op.f('ix_assignments_course_id'))

    op.drop_table('assignments')
    with op.batch_alter_table('offline_lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offline_lessons_unit_id'))

    op.drop_table('offline_lessons')
    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_modules_course_id'))

    op.drop_table('modules')
    op.drop_table('courses')

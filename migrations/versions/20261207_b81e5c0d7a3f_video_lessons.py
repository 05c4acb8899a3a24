"""Video lessons: the watched rules, attachment durations and measured watching

Revision ID: b81e5c0d7a3f
Revises: c4d8e2f61a07
Create Date: 2026-12-07 23:40:00

"""
from alembic import op
import sqlalchemy as sa

import learning.dbtypes


# revision identifiers, used by Alembic.
revision = 'b81e5c0d7a3f'
down_revision = 'c4d8e2f61a07'
branch_labels = None
depends_on = None

RULES_BEFORE = "completion_rule IN ('reading', 'confirm', 'quiz', 'posts')"
RULES_AFTER = "completion_rule IN ('reading', 'confirm', 'quiz', 'posts', 'watched', 'watched_quiz')"
VIA_BEFORE = "completed_via IS NULL OR completed_via IN ('reading', 'confirm', 'quiz', 'offline', 'posts')"
VIA_AFTER = ("completed_via IS NULL OR completed_via IN "
             "('reading', 'confirm', 'quiz', 'offline', 'posts', 'watched')")


def upgrade():
    op.create_table('video_watches',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('intervals', sa.JSON(), nullable=False),
    sa.Column('watched_seconds', sa.Float(), nullable=False),
    sa.Column('duration_seconds', sa.Float(), nullable=True),
    sa.Column('position', sa.Float(), nullable=True),
    sa.Column('playing', sa.Boolean(), nullable=False),
    sa.Column('beat_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'], name=op.f('fk_video_watches_attachment_id_attachments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_video_watches_module_id_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_video_watches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'module_id', name=op.f('pk_video_watches'))
    )
    with op.batch_alter_table('video_watches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_video_watches_attachment_id'), ['attachment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_video_watches_module_id'), ['module_id'], unique=False)

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration_seconds', sa.Float(), nullable=True))

    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('watch_percent', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_modules_completion_rule'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_modules_completion_rule'), RULES_AFTER)

    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_progress_completed_via'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_progress_completed_via'), VIA_AFTER)


def downgrade():
    op.execute("UPDATE progress SET completed_via = 'reading' WHERE completed_via = 'watched'")
    op.execute("UPDATE modules SET completion_rule = 'reading' "
               "WHERE completion_rule IN ('watched', 'watched_quiz')")
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_progress_completed_via'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_progress_completed_via'), VIA_BEFORE)

    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_modules_completion_rule'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_modules_completion_rule'), RULES_BEFORE)
        batch_op.drop_column('watch_percent')

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('duration_seconds')

    with op.batch_alter_table('video_watches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_video_watches_module_id'))
        batch_op.drop_index(batch_op.f('ix_video_watches_attachment_id'))

    op.drop_table('video_watches')

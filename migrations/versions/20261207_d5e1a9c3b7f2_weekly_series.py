"""Weekly series: series, their chosen modules and their numbered periods (第N期)

Revision ID: d5e1a9c3b7f2
Revises: b81e5c0d7a3f
Create Date: 2026-12-07 23:34:05.572903

"""
from alembic import op
import sqlalchemy as sa

import learning.dbtypes


# revision identifiers, used by Alembic.
revision = 'd5e1a9c3b7f2'
down_revision = 'b81e5c0d7a3f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('due_days', sa.Integer(), nullable=False),
    sa.Column('due_time', sa.Time(), nullable=False),
    sa.Column('first_number', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('due_days >= 0 AND due_days <= 60', name=op.f('ck_series_due_days')),
    sa.CheckConstraint('first_number >= 1', name=op.f('ck_series_first_number')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_series_course_id_courses'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_series_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_series_unit_id_org_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series'))
    )
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_series_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_series_unit_id'), ['unit_id'], unique=False)

    op.create_table('series_modules',
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_series_modules_module_id_modules'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_series_modules_series_id_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('series_id', 'position', name=op.f('pk_series_modules')),
    sa.UniqueConstraint('series_id', 'module_id', name=op.f('uq_series_modules_series_id_module_id'))
    )
    with op.batch_alter_table('series_modules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_series_modules_module_id'), ['module_id'], unique=False)

    op.create_table('series_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('release_on', sa.Date(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_series_periods_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_series_periods_module_id_modules'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_series_periods_series_id_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series_periods')),
    sa.UniqueConstraint('assignment_id', name=op.f('uq_series_periods_assignment_id')),
    sa.UniqueConstraint('series_id', 'module_id', name=op.f('uq_series_periods_series_id_module_id')),
    sa.UniqueConstraint('series_id', 'number', name=op.f('uq_series_periods_series_id_number'))
    )
    with op.batch_alter_table('series_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_series_periods_module_id'), ['module_id'], unique=False)



def downgrade():
    with op.batch_alter_table('series_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_series_periods_module_id'))

    op.drop_table('series_periods')
    with op.batch_alter_table('series_modules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_series_modules_module_id'))

    op.drop_table('series_modules')
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_series_unit_id'))
        batch_op.drop_index(batch_op.f('ix_series_course_id'))

    op.drop_table('series')

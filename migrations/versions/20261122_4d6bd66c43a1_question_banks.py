"""Question banks: banks, nested categories, tags and questions

questions.data holds the answers as quizzes/spec.py describes them; stem_html and
general_feedback_html are rendered once by learning.markup at import or save. A category's path
is unique per bank (top-level categories have no parent, so (bank, parent, name) alone cannot
keep them apart); idnumber is unique per bank, NULL when a question has none.

Revision ID: 4d6bd66c43a1
Revises: 19964ab7bb66
Create Date: 2026-11-22 04:57:55.938137

"""
from alembic import op
import sqlalchemy as sa

import learning.dbtypes


# revision identifiers, used by Alembic.
revision = '4d6bd66c43a1'
down_revision = '19964ab7bb66'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('question_banks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_banks')),
    sa.UniqueConstraint('name', name=op.f('uq_question_banks_name'))
    )
    op.create_table('question_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_tags')),
    sa.UniqueConstraint('name', name=op.f('uq_question_tags_name'))
    )
    op.create_table('question_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('created_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['question_banks.id'], name=op.f('fk_question_categories_bank_id_question_banks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['question_categories.id'], name=op.f('fk_question_categories_parent_id_question_categories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_categories')),
    sa.UniqueConstraint('bank_id', 'parent_id', 'name', name=op.f('uq_question_categories_bank_id_parent_id_name')),
    sa.UniqueConstraint('bank_id', 'path', name=op.f('uq_question_categories_bank_id_path'))
    )
    with op.batch_alter_table('question_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_categories_parent_id'), ['parent_id'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('qtype', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('stem', sa.Text(), nullable=False),
    sa.Column('stem_format', sa.String(length=16), nullable=False),
    sa.Column('stem_html', sa.Text(), nullable=False),
    sa.Column('general_feedback', sa.Text(), nullable=False),
    sa.Column('general_feedback_html', sa.Text(), nullable=False),
    sa.Column('default_mark', sa.Float(), nullable=False),
    sa.Column('difficulty', sa.String(length=16), nullable=False),
    sa.Column('idnumber', sa.String(length=100), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', learning.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("qtype IN ('single', 'multiple', 'truefalse', 'shortanswer', 'numerical', 'matching', 'essay', 'description')", name=op.f('ck_questions_qtype')),
    sa.CheckConstraint("stem_format IN ('moodle', 'html', 'markdown', 'plain')", name=op.f('ck_questions_stem_format')),
    sa.ForeignKeyConstraint(['bank_id'], ['question_banks.id'], name=op.f('fk_questions_bank_id_question_banks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['question_categories.id'], name=op.f('fk_questions_category_id_question_categories'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
    sa.UniqueConstraint('bank_id', 'idnumber', name=op.f('uq_questions_bank_id_idnumber'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_category_id'), ['category_id'], unique=False)

    op.create_table('question_tag_links',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_tag_links_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['question_tags.id'], name=op.f('fk_question_tag_links_tag_id_question_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id', 'tag_id', name=op.f('pk_question_tag_links'))
    )
    with op.batch_alter_table('question_tag_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_tag_links_tag_id'), ['tag_id'], unique=False)



def downgrade():
    with op.batch_alter_table('question_tag_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_tag_links_tag_id'))

    op.drop_table('question_tag_links')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_category_id'))
        batch_op.drop_index(batch_op.f('ix_questions_bank_id'))

    op.drop_table('questions')
    with op.batch_alter_table('question_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_categories_parent_id'))

    op.drop_table('question_categories')
    op.drop_table('question_tags')
    op.drop_table('question_banks')

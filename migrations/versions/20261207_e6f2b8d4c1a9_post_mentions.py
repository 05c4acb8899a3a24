"""Post mentions: the readers a post names as @username, by id

Revision ID: e6f2b8d4c1a9
Revises: d5e1a9c3b7f2
Create Date: 2026-12-07 23:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6f2b8d4c1a9'
down_revision = 'd5e1a9c3b7f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('post_mentions',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_mentions_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_post_mentions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'user_id', name=op.f('pk_post_mentions'))
    )
    with op.batch_alter_table('post_mentions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_mentions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('post_mentions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_mentions_user_id'))

    op.drop_table('post_mentions')

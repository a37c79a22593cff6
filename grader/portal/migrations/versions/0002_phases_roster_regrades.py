"""phase timestamps, the roster, regrades

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('loaded_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(), nullable=True))

    op.create_table('roster_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('columns_json', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('regrades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('regrade_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('regrade_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('before_score', sa.Float(), nullable=True),
    sa.Column('before_max', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['regrade_id'], ['regrades.id'], ),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('regrade_id', 'submission_id')
    )
    with op.batch_alter_table('regrade_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regrade_items_regrade_id'), ['regrade_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('regrade_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regrade_items_regrade_id'))
    op.drop_table('regrade_items')
    op.drop_table('regrades')
    op.drop_table('roster_entries')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('checked_at')
        batch_op.drop_column('loaded_at')

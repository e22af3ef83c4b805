"""the index on checks.corrects_id holds only checks that correct another

Almost every check corrects nothing, so a full index gave every insert one more B-tree to
update for rows nobody looks up. Queries for "the checks that correct X" still use it.

Revision ID: d4e5c2a7b901
Revises: b1a71fa9c014
Create Date: 2026-11-22 04:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e5c2a7b901'
down_revision = 'b1a71fa9c014'
branch_labels = None
depends_on = None

NOT_NULL = sa.text("corrects_id IS NOT NULL")


def upgrade():
    op.drop_index("ix_checks_corrects_id", table_name="checks")
    op.create_index("ix_checks_corrects_id", "checks", ["corrects_id"],
                    sqlite_where=NOT_NULL, postgresql_where=NOT_NULL)


def downgrade():
    op.drop_index("ix_checks_corrects_id", table_name="checks")
    op.create_index("ix_checks_corrects_id", "checks", ["corrects_id"])

"""The shipped tips in Spanish, German and Italian, for a clinic whose tip table has none in those languages yet.

A new database already has them from 0002 (it inserts every shipped language); an older one gets them here. Staff
edits are never touched: only a language with no tip at all is filled.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NEW_LANGUAGES = ("es", "de", "it")


def upgrade():
    from service.content.tips import shipped_tip_rows

    bind = op.get_bind()
    have = set(bind.execute(sa.text("SELECT DISTINCT language FROM tip")).scalars())
    missing = tuple(language for language in NEW_LANGUAGES if language not in have)
    if missing:
        tip = sa.table(
            "tip",
            sa.column("category", sa.String),
            sa.column("language", sa.String),
            sa.column("position", sa.Integer),
            sa.column("text", sa.Text),
            sa.column("active", sa.Boolean),
        )
        op.bulk_insert(tip, shipped_tip_rows(missing))


def downgrade():
    # Tips in these languages are only used by patients with these languages, which 0009's code does not know.
    op.execute(sa.text("DELETE FROM tip WHERE language IN ('es', 'de', 'it')"))

"""user_account.language: the panel's language each user chose; NULL reads as CLINIC_LANGUAGE

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("language")

"""suppression: erased patients' numbers and addresses as one-way digests, never messaged again

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "suppression",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_suppression")),
    )


def downgrade():
    op.drop_table("suppression")

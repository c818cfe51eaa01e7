"""delivery_day

Messages per clinic-local day, kept once a day has settled, for the dashboard's chart; an index for recent failures.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "delivery_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", "zone", name=op.f("pk_delivery_day")),
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_status_updated_at", ["status", "updated_at"], unique=False)


def downgrade():
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_status_updated_at")
    op.drop_table("delivery_day")

"""patient.replan_at: when time alone may next change a patient's plan; the sweep plans only those it reached

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 12:30:00

Existing patients get NULL, which the sweep reads as "not planned since": the first sweep after the upgrade
plans each of them once and fills it in, so nothing time would have made due is lost.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("patient") as batch:
        batch.add_column(sa.Column("replan_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_patient_replan_at"), ["replan_at"], unique=False)


def downgrade():
    with op.batch_alter_table("patient") as batch:
        batch.drop_index(batch.f("ix_patient_replan_at"))
        batch.drop_column("replan_at")

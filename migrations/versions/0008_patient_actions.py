"""patient actions: personal links, the booking system's own links, skip_when_confirmed, outbound events, to-dos

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appointment") as batch:
        batch.add_column(sa.Column("manage_token_digest", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("cancel_url", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("reschedule_url", sa.String(length=500), nullable=True))
        batch.create_unique_constraint(batch.f("uq_appointment_manage_token_digest"), ["manage_token_digest"])
    with op.batch_alter_table("reminder_rule") as batch:
        batch.add_column(sa.Column("skip_when_confirmed", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "outbound_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f("ck_outbound_event_status")),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["appointment.id"], name=op.f("fk_outbound_event_appointment_id_appointment"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_event")),
        sa.UniqueConstraint("webhook_id", name=op.f("uq_outbound_event_webhook_id")),
    )
    with op.batch_alter_table("outbound_event") as batch:
        batch.create_index(batch.f("ix_outbound_event_appointment_id"), ["appointment_id"], unique=False)
        batch.create_index(batch.f("ix_outbound_event_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch.create_index(batch.f("ix_outbound_event_status"), ["status"], unique=False)
    op.create_table(
        "todo_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=254), nullable=True),
        sa.CheckConstraint(
            "kind IN ('reschedule_request', 'late_cancellation', 'reply', 'send_failure', 'no_show')",
            name=op.f("ck_todo_item_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["appointment.id"], name=op.f("fk_todo_item_appointment_id_appointment"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], name=op.f("fk_todo_item_patient_id_patient"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_todo_item")),
        sa.UniqueConstraint("key", name=op.f("uq_todo_item_key")),
    )
    with op.batch_alter_table("todo_item") as batch:
        batch.create_index(batch.f("ix_todo_item_created_at"), ["created_at"], unique=False)
        batch.create_index(batch.f("ix_todo_item_done_at"), ["done_at"], unique=False)
        batch.create_index(batch.f("ix_todo_item_patient_id"), ["patient_id"], unique=False)


def downgrade():
    op.drop_table("todo_item")
    op.drop_table("outbound_event")
    with op.batch_alter_table("reminder_rule") as batch:
        batch.drop_column("skip_when_confirmed")
    with op.batch_alter_table("appointment") as batch:
        batch.drop_constraint(batch.f("uq_appointment_manage_token_digest"), type_="unique")
        batch.drop_column("reschedule_url")
        batch.drop_column("cancel_url")
        batch.drop_column("manage_token_digest")

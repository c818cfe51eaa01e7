"""WhatsApp: the patient's consent, opt-out and preferred channel; Content templates; the channel of a reply.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD = "channel IN ('sms', 'email')"
NEW = "channel IN ('sms', 'email', 'whatsapp')"


def _channels(rule):
    for table in ("reminder", "reminder_rule"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(batch.f(f"ck_{table}_channel"), type_="check")
            batch.create_check_constraint(batch.f(f"ck_{table}_channel"), rule)


def upgrade():
    with op.batch_alter_table("patient") as batch:
        batch.add_column(sa.Column("whatsapp_consent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("whatsapp_consent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("whatsapp_consent_source", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("whatsapp_opted_out_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("preferred_channel", sa.String(length=8), nullable=True))
    with op.batch_alter_table("message_template") as batch:
        batch.add_column(sa.Column("content_sid", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("content_variables", sa.JSON(), nullable=True))
    with op.batch_alter_table("inbound_message") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=8), nullable=False, server_default="sms"))
    _channels(NEW)


def downgrade():
    op.execute("DELETE FROM reminder WHERE channel = 'whatsapp'")
    op.execute("DELETE FROM reminder_rule WHERE channel = 'whatsapp'")
    _channels(OLD)
    with op.batch_alter_table("inbound_message") as batch:
        batch.drop_column("channel")
    with op.batch_alter_table("message_template") as batch:
        batch.drop_column("content_variables")
        batch.drop_column("content_sid")
    with op.batch_alter_table("patient") as batch:
        for column in ("preferred_channel", "whatsapp_opted_out_at", "whatsapp_consent_source", "whatsapp_consent_at"):
            batch.drop_column(column)
        batch.drop_column("whatsapp_consent")

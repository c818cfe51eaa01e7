"""Treatment plans (sessions and interval per area) and the course_interrupted to-do kind.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD_KINDS = ("reschedule_request", "late_cancellation", "reply", "send_failure", "no_show")
NEW_KINDS = (*OLD_KINDS, "course_interrupted")
# The clinic's own guidance: a small area 6 weekly sessions, the whole body 10; maintenance 4 weekly sessions.
# Areas come from French booking systems too, so each has its French name; `*` is any other (small) area.
SMALL_AREAS = ("*", "thighs", "abdomen", "arms", "buttocks", "knees", "cuisses", "ventre", "bras", "fesses", "genoux")
WHOLE_BODY = ("whole body", "corps entier")


def _kinds(kinds):
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade():
    plan = op.create_table(
        "treatment_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=100), nullable=False),
        sa.Column("sessions_planned", sa.Integer(), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("maintenance_sessions_planned", sa.Integer(), nullable=False),
        sa.CheckConstraint("sessions_planned > 0", name=op.f("ck_treatment_plan_sessions_planned")),
        sa.CheckConstraint("interval_days > 0", name=op.f("ck_treatment_plan_interval_days")),
        sa.CheckConstraint("maintenance_sessions_planned > 0", name=op.f("ck_treatment_plan_maintenance_sessions_planned")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_plan")),
        sa.UniqueConstraint("area", name=op.f("uq_treatment_plan_area")),
    )
    op.bulk_insert(
        plan,
        [{"area": a, "sessions_planned": 6, "interval_days": 7, "maintenance_sessions_planned": 4} for a in SMALL_AREAS]
        + [{"area": a, "sessions_planned": 10, "interval_days": 7, "maintenance_sessions_planned": 4} for a in WHOLE_BODY],
    )
    with op.batch_alter_table("todo_item") as batch:
        batch.drop_constraint(batch.f("ck_todo_item_kind"), type_="check")
        batch.create_check_constraint(batch.f("ck_todo_item_kind"), _kinds(NEW_KINDS))


def downgrade():
    op.execute("DELETE FROM todo_item WHERE kind = 'course_interrupted'")
    with op.batch_alter_table("todo_item") as batch:
        batch.drop_constraint(batch.f("ck_todo_item_kind"), type_="check")
        batch.create_check_constraint(batch.f("ck_todo_item_kind"), _kinds(OLD_KINDS))
    op.drop_table("treatment_plan")

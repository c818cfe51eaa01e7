"""The reminder lifecycle on a plain dataclass: each transition, where it may start from, and what it leaves behind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from service.domain import lifecycle
from service.domain.lifecycle import IllegalTransition
from service.domain.vocabulary import Channel, ReminderStatus

NOW = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)  # any instant: nothing here reads the clock


@dataclass
class Row:
    """A test double with the shape of `ReminderState` (the ORM row in production)."""

    status: str = ReminderStatus.PENDING
    status_reason: str | None = None
    channel: str = Channel.SMS
    attempts: int = 0
    due_at: datetime = NOW
    next_attempt_at: datetime = NOW
    expires_at: datetime | None = None
    leased_by: str | None = None
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    provider_status: str | None = None


def sending(**fields: object) -> Row:
    row = Row(status=ReminderStatus.SENDING, leased_by="w1", lease_until=NOW + timedelta(minutes=5))
    for name, value in fields.items():
        setattr(row, name, value)
    return row


ALL = list(ReminderStatus)


def test_a_claimed_row_is_sending_under_the_workers_lease():
    values = lifecycle.claimed("w1", NOW + timedelta(minutes=5), NOW)
    assert values["status"] == ReminderStatus.SENDING and values["leased_by"] == "w1"
    assert lifecycle.CLAIMABLE == ReminderStatus.PENDING
    assert lifecycle.holds_lease(sending(), "w1") and not lifecycle.holds_lease(sending(), "w2")
    assert not lifecycle.holds_lease(Row(leased_by="w1"), "w1")  # a pending row is nobody's


def test_a_send_that_worked_is_sent_with_the_providers_id_and_the_lease_released():
    row = sending()
    assert lifecycle.attempt(row, Channel.EMAIL) == 1 and row.channel == Channel.EMAIL
    lifecycle.sent(row, provider="smtp", message_id="<id@x>", now=NOW)
    assert (row.status, row.provider_message_id, row.sent_at) == (ReminderStatus.SENT, "<id@x>", NOW)
    assert row.leased_by is None and row.lease_until is None and row.status_reason is None


@pytest.mark.parametrize("status", [s for s in ALL if s is not ReminderStatus.SENDING])
def test_only_a_claimed_reminder_can_be_sent_retried_or_failed(status):
    for move in (
        lambda r: lifecycle.attempt(r, Channel.SMS),
        lambda r: lifecycle.sent(r, provider="twilio", message_id="SM1", now=NOW),
        lambda r: lifecycle.retry(r, NOW, "503"),
        lambda r: lifecycle.fail(r, "no"),
        lambda r: lifecycle.recover(r, NOW),
    ):
        row = Row(status=status)
        with pytest.raises(IllegalTransition):
            move(row)
        assert row.status == status  # untouched


def test_a_retry_waits_pending_until_the_policys_time():
    row = sending()
    lifecycle.retry(row, NOW + timedelta(seconds=40), "retrying after twilio 20503")
    assert (row.status, row.next_attempt_at, row.leased_by) == (ReminderStatus.PENDING, NOW + timedelta(seconds=40), None)


def test_a_deferral_that_ends_after_the_expiry_is_a_skip_saying_why():
    useful = sending(expires_at=NOW + timedelta(hours=3))
    assert lifecycle.defer(useful, NOW + timedelta(hours=1), "quiet hours") is ReminderStatus.PENDING
    assert useful.status_reason == "deferred: quiet hours" and useful.next_attempt_at == NOW + timedelta(hours=1)

    late = sending(expires_at=NOW + timedelta(hours=1))
    assert lifecycle.defer(late, NOW + timedelta(hours=1), "quiet hours") is ReminderStatus.SKIPPED
    assert late.status_reason == "quiet hours until it was too late to be useful"


def test_a_failed_channel_falls_back_on_the_same_row_when_the_patient_allows_it_and_it_is_still_useful():
    row = sending(expires_at=NOW + timedelta(hours=1))
    assert lifecycle.fall_back_or_fail(row, to=Channel.EMAIL, why="twilio 21211", now=NOW) is ReminderStatus.PENDING
    assert (row.channel, row.next_attempt_at, row.status_reason) == (Channel.EMAIL, NOW, "email fallback after twilio 21211")

    nowhere = sending()
    assert lifecycle.fall_back_or_fail(nowhere, to=None, why="twilio 21211", now=NOW) is ReminderStatus.FAILED
    assert nowhere.status_reason == "twilio 21211"

    stale = sending(expires_at=NOW)
    assert lifecycle.fall_back_or_fail(stale, to=Channel.EMAIL, why="x", now=NOW) is ReminderStatus.FAILED


def test_an_undelivered_receipt_sends_a_sent_message_by_the_other_channel_and_forgets_the_first_id():
    row = Row(status=ReminderStatus.SENT, provider_message_id="SM1", provider_status="undelivered")
    lifecycle.fall_back_or_fail(row, to=Channel.EMAIL, why="SMS undelivered (Twilio 30003)", now=NOW)
    assert (row.status, row.channel, row.provider_message_id, row.provider_status) == (
        ReminderStatus.PENDING,
        Channel.EMAIL,
        None,
        None,
    )
    with pytest.raises(IllegalTransition):  # a reminder never sent has nothing to fall back from
        lifecycle.fall_back_or_fail(Row(), to=Channel.EMAIL, why="x", now=NOW)


def test_a_receipt_settles_an_unanswered_send_once_and_never_a_second_time():
    row = Row(status=ReminderStatus.PENDING, attempts=1)
    assert lifecycle.settle_by_receipt(row, provider="twilio", provider_name="Twilio", message_id="SM1", now=NOW)
    assert (row.status, row.provider_message_id, row.sent_at) == (ReminderStatus.SENT, "SM1", NOW)
    assert row.status_reason.startswith("confirmed by Twilio's status callback")
    # Already known: a second callback settles nothing.
    assert not lifecycle.settle_by_receipt(row, provider="twilio", provider_name="Twilio", message_id="SM1", now=NOW)
    assert not lifecycle.settle_by_receipt(
        Row(status=ReminderStatus.CANCELLED), provider="twilio", provider_name="Twilio", message_id="SM2", now=NOW
    )


def test_delivered_only_follows_sent():
    row = Row(status=ReminderStatus.SENT)
    assert lifecycle.delivered(row) and row.status == ReminderStatus.DELIVERED
    for status in (ReminderStatus.PENDING, ReminderStatus.FAILED, ReminderStatus.DELIVERED):
        stays = Row(status=status)
        assert not lifecycle.delivered(stays) and stays.status == status


def test_an_expired_lease_is_sent_when_the_provider_told_us_its_id_else_tried_again_now():
    told = sending(provider_message_id="SM1")
    assert lifecycle.recover(told, NOW) is ReminderStatus.SENT and told.sent_at == NOW
    untold = sending(next_attempt_at=NOW - timedelta(hours=1))
    assert lifecycle.recover(untold, NOW) is ReminderStatus.PENDING
    assert untold.next_attempt_at == NOW and untold.leased_by is None


@pytest.mark.parametrize("move", [lifecycle.skip, lifecycle.cancel])
def test_skip_and_cancel_close_an_open_reminder_and_nothing_else(move):
    for status in lifecycle.OPEN:
        row = Row(status=status)
        move(row, "why")
        assert row.status_reason == "why" and row.status != status
    for status in (ReminderStatus.SENT, ReminderStatus.DELIVERED, ReminderStatus.FAILED):
        with pytest.raises(IllegalTransition):
            move(Row(status=status), "why")


def test_the_planner_moves_only_untried_pending_reminders_and_revives_only_cancelled_ones():
    row = Row()
    lifecycle.replan(row, due_at=NOW + timedelta(hours=2), channel=Channel.EMAIL, expires_at=NOW + timedelta(hours=3))
    assert (row.due_at, row.next_attempt_at, row.channel) == (NOW + timedelta(hours=2), NOW + timedelta(hours=2), "email")
    with pytest.raises(IllegalTransition):
        lifecycle.replan(Row(attempts=1), due_at=NOW, channel=Channel.SMS, expires_at=None)
    with pytest.raises(IllegalTransition):
        lifecycle.replan(sending(), due_at=NOW, channel=Channel.SMS, expires_at=None)

    gone = Row(status=ReminderStatus.CANCELLED, status_reason="unwanted: the session was moved")
    lifecycle.revive(gone, due_at=NOW, channel=Channel.SMS, expires_at=None)
    assert (gone.status, gone.status_reason) == (ReminderStatus.PENDING, None)
    with pytest.raises(IllegalTransition):
        lifecycle.revive(Row(status=ReminderStatus.SENT), due_at=NOW, channel=Channel.SMS, expires_at=None)


def test_staff_retry_starts_over_and_send_now_only_brings_a_pending_one_forward():
    row = Row(status=ReminderStatus.FAILED, attempts=6, next_attempt_at=NOW - timedelta(days=1))
    lifecycle.retry_by_staff(row, "desk@clinique.test", NOW)
    assert (row.status, row.attempts, row.next_attempt_at) == (ReminderStatus.PENDING, 0, NOW)
    assert row.status_reason == "retry asked by desk@clinique.test"
    with pytest.raises(IllegalTransition):
        lifecycle.retry_by_staff(Row(status=ReminderStatus.SENT), "desk", NOW)

    later = Row(next_attempt_at=NOW + timedelta(hours=5))
    lifecycle.send_now(later, NOW)
    assert later.next_attempt_at == NOW
    with pytest.raises(IllegalTransition):
        lifecycle.send_now(Row(status=ReminderStatus.SENT), NOW)


def test_reasons_fit_the_column_and_a_bulk_cancel_says_the_same_as_one():
    row = Row()
    lifecycle.cancel(row, "x" * 400)
    assert len(row.status_reason or "") == lifecycle.REASON_LIMIT
    values = lifecycle.cancelled("y" * 400, NOW)
    assert values["status"] == ReminderStatus.CANCELLED and len(values["status_reason"]) == lifecycle.REASON_LIMIT
    assert values["leased_by"] is None and values["lease_until"] is None
    planned = lifecycle.planned(NOW)
    assert (planned["status"], planned["attempts"]) == (ReminderStatus.PENDING, 0)

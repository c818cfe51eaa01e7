"""Which message about a session goes out when several say the same thing — pure, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from service.domain.bursts import SessionMessage, is_about_sessions_ahead, redundant
from service.domain.planning import Channel

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
BOOKED = NOW - timedelta(days=10)
DAY = frozenset({(1, NOW + timedelta(days=1)), (2, NOW + timedelta(days=1, hours=5))})


def message(
    reminder_id: int,
    kind: str,
    *,
    lead_hours: float = 24,
    channel: Channel = Channel.SMS,
    sessions: frozenset = DAY,
    sent_at: datetime | None = None,
    due_at: datetime = NOW,
) -> SessionMessage:
    return SessionMessage(reminder_id, kind, channel, sessions, timedelta(hours=lead_hours), due_at, sent_at)


def test_only_session_messages_ahead_are_weighed():
    assert is_about_sessions_ahead("confirmation", "notice:1:confirmation:x")
    assert is_about_sessions_ahead("reminder_evening", "session:1:reminder_evening:x")  # a rule staff added
    assert not is_about_sessions_ahead("cancellation_notice", "notice:1:cancellation_notice:x")
    assert not is_about_sessions_ahead("aftercare", "care:1:aftercare:x")


def test_a_reminder_for_a_session_the_days_reminder_already_named_is_redundant():
    sent = message(7, "reminder_24h", sent_at=NOW - timedelta(hours=20))
    second_alone = message(9, "reminder_24h", sessions=frozenset({(2, NOW + timedelta(days=1, hours=5))}))
    why = redundant(second_alone, [sent], booked_since=BOOKED, now=NOW)
    assert why == "already covered: the reminder 24h by sms (reminder #7) named this session"
    # A nearer rule still goes: the 2-hour reminder is not the 24-hour one again.
    assert redundant(message(10, "reminder_2h", lead_hours=2), [sent], booked_since=BOOKED, now=NOW) is None
    # A late 48-hour one after the 24-hour one went out says nothing new.
    assert redundant(message(11, "reminder_48h", lead_hours=48), [sent], booked_since=BOOKED, now=NOW) is not None


def test_a_message_only_counts_when_it_named_every_session_and_came_after_the_booking():
    one = frozenset({(1, NOW + timedelta(days=1))})
    sent_for_one = message(7, "reminder_24h", sessions=one, sent_at=NOW - timedelta(minutes=5))
    assert redundant(message(9, "reminder_24h"), [sent_for_one], booked_since=BOOKED, now=NOW) is None
    told_before_rebooking = message(7, "confirmation", sent_at=NOW - timedelta(minutes=20))
    assert (
        redundant(message(9, "confirmation"), [told_before_rebooking], booked_since=NOW - timedelta(minutes=10), now=NOW) is None
    )
    moved = frozenset({(1, NOW + timedelta(days=2)), (2, NOW + timedelta(days=1, hours=5))})
    assert (
        redundant(
            message(9, "change_notice", sessions=moved), [message(7, "reminder_24h", sent_at=NOW)], booked_since=BOOKED, now=NOW
        )
        is None
    )


def test_of_several_messages_that_would_each_do_the_reason_names_the_one_that_goes():
    email = message(2, "reminder_48h", lead_hours=48, channel=Channel.EMAIL)
    sms = message(3, "reminder_24h")
    why = redundant(message(1, "confirmation", lead_hours=50), [email, sms], booked_since=BOOKED, now=NOW)
    assert why == "the reminder 24h by sms (reminder #3), due within the hour, makes this one unnecessary"


def test_a_message_past_its_usefulness_makes_nothing_unnecessary():
    late_48h = SessionMessage(
        4, "reminder_48h", Channel.SMS, DAY, timedelta(hours=48), NOW - timedelta(days=1), expires_at=NOW
    )  # expired at the 24 h one's moment: it will be skipped, never sent
    assert redundant(message(3, "confirmation", lead_hours=30), [late_48h], booked_since=BOOKED, now=NOW) is None


def test_a_pending_message_only_wins_when_due_within_the_hour():
    confirmation = message(3, "confirmation", lead_hours=30)
    soon = message(4, "reminder_24h", due_at=NOW + timedelta(minutes=50))
    later = message(4, "reminder_24h", due_at=NOW + timedelta(minutes=70))
    assert "due within the hour" in (redundant(confirmation, [soon], booked_since=BOOKED, now=NOW) or "")
    assert redundant(confirmation, [later], booked_since=BOOKED, now=NOW) is None
    assert redundant(soon, [confirmation], booked_since=BOOKED, now=NOW) is None
    # A confirmation of a whole course names more than tomorrow's reminder: it goes, and says tomorrow's time too.
    course = message(5, "confirmation", sessions=DAY | {(3, NOW + timedelta(days=8))})
    assert redundant(course, [soon], booked_since=BOOKED, now=NOW) is None
    assert "due within the hour" in (redundant(soon, [course], booked_since=BOOKED, now=NOW) or "")


KINDS = st.sampled_from(["confirmation", "change_notice", "reminder_48h", "reminder_24h", "reminder_2h", "reminder_evening"])


@given(
    st.lists(st.tuples(KINDS, st.floats(0.5, 72), st.sampled_from(list(Channel))), min_size=1, max_size=6),
    st.randoms(use_true_random=False),
)
def test_of_messages_falling_due_together_exactly_the_most_useful_goes_out_whatever_the_order(specs, rng):
    pending = [message(i + 1, kind, lead_hours=lead, channel=channel) for i, (kind, lead, channel) in enumerate(specs)]
    order = list(pending)
    rng.shuffle(order)
    sent: list[SessionMessage] = []
    for candidate in order:  # the dispatcher takes them one at a time, under the patient's lock
        others = [m for m in pending if m not in sent and m is not candidate] + sent
        if redundant(candidate, others, booked_since=BOOKED, now=NOW) is None:
            sent.append(SessionMessage(**{**candidate.__dict__, "sent_at": NOW}))
        pending = [m for m in pending if m is not candidate]
    assert len(sent) == 1
    best = max(
        (message(i + 1, k, lead_hours=lead, channel=c) for i, (k, lead, c) in enumerate(specs)), key=SessionMessage.usefulness
    )
    assert sent[0].reminder_id == best.reminder_id


POOL = [(1, NOW + timedelta(days=1)), (2, NOW + timedelta(days=1, hours=5)), (3, NOW + timedelta(days=8))]


@given(
    st.lists(
        st.tuples(KINDS, st.floats(0.5, 72), st.sampled_from(list(Channel)), st.sets(st.sampled_from(POOL), min_size=1)),
        min_size=1,
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_messages_naming_overlapping_sessions_lose_no_session_and_repeat_none(specs, rng):
    pending = [
        message(i + 1, kind, lead_hours=lead, channel=channel, sessions=frozenset(named))
        for i, (kind, lead, channel, named) in enumerate(specs)
    ]
    order = list(pending)
    rng.shuffle(order)
    sent: list[SessionMessage] = []
    for candidate in order:
        pending = [m for m in pending if m is not candidate]
        if redundant(candidate, pending + sent, booked_since=BOOKED, now=NOW) is None:
            sent.append(SessionMessage(**{**candidate.__dict__, "sent_at": NOW}))
    named = set().union(*(set(named) for *_, named in specs))
    assert named <= set().union(*(m.sessions for m in sent))  # every session is told
    assert not any(a is not b and a.sessions <= b.sessions for a in sent for b in sent)  # none told twice over

"""CHANNEL_ORDER decides which channel goes first and what falls back to what; the default (sms, email) is Recall's
old two-channel behaviour."""

from __future__ import annotations

from service.domain.channel_order import after, candidates
from service.domain.dispatch_rules import Send, Skip
from service.domain.planning import Reach
from service.domain.vocabulary import Channel

SMS, EMAIL, WHATSAPP = Channel.SMS, Channel.EMAIL, Channel.WHATSAPP
THREE = (WHATSAPP, SMS, EMAIL)


def test_with_the_default_order_each_channel_falls_back_to_the_other_and_whatsapp_is_never_used():
    everyone = Reach(sms=True, email=True, whatsapp=True)
    assert (everyone.pick(SMS), everyone.pick(EMAIL)) == (SMS, EMAIL)
    assert (everyone.fallback(SMS), everyone.fallback(EMAIL), everyone.fallback(WHATSAPP)) == (EMAIL, SMS, SMS)
    assert Reach(sms=False, email=True, whatsapp=True).pick(SMS) == EMAIL
    assert Reach(sms=False, email=False, whatsapp=True).pick(SMS) is None


def test_whatsapp_first_takes_the_phone_messages_and_falls_back_along_the_order():
    everyone = Reach(sms=True, email=True, whatsapp=True, order=THREE)
    assert everyone.pick(SMS) == WHATSAPP  # a phone message goes by the first phone channel in the order
    assert everyone.pick(EMAIL) == EMAIL  # a tip meant for email stays there
    assert everyone.fallback(WHATSAPP) == SMS
    assert Reach(sms=False, email=True, whatsapp=True, order=THREE).fallback(WHATSAPP) == EMAIL
    assert Reach(sms=True, email=True, whatsapp=False, order=THREE).pick(SMS) == SMS
    assert after(THREE, EMAIL) == (WHATSAPP, SMS)


def test_the_patients_own_choice_goes_first_when_they_can_be_reached_there():
    assert Reach(sms=True, email=True, preferred=EMAIL).pick(SMS) == EMAIL
    assert Reach(sms=True, email=False, preferred=EMAIL).pick(SMS) == SMS
    assert candidates(THREE, SMS, EMAIL) == (EMAIL, WHATSAPP, SMS)
    assert candidates((SMS, EMAIL), SMS, WHATSAPP) == (SMS, EMAIL)  # a choice the clinic does not offer is ignored


def test_the_dispatcher_sends_by_the_next_allowed_channel_in_the_order():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from service.domain.dispatch_rules import decide
    from service.domain.quiet_hours import QuietHours

    def rule(reach: Reach, fall_back: bool = True) -> object:
        noon = datetime(2026, 3, 10, 11, tzinfo=UTC)  # handed to the pure rule as `now`: nothing reads the clock
        return decide(
            channel=WHATSAPP,
            expires_at=None,
            sessions=[],
            reach=reach,
            may_fall_back=fall_back,
            zone=ZoneInfo("Europe/Paris"),
            window=QuietHours(8, 21),
            now=noon,
        )

    assert rule(Reach(sms=True, email=True, whatsapp=False, order=THREE)) == Send(SMS)
    assert rule(Reach(sms=False, email=True, whatsapp=False, order=THREE)) == Send(EMAIL)
    assert rule(Reach(sms=True, email=True, whatsapp=False, order=THREE), fall_back=False) == Skip(
        "no consent to send by whatsapp"
    )

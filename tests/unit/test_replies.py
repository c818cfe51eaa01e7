"""Reading patients' replies: keywords in English and French, tolerant of case, accents and punctuation."""

from __future__ import annotations

import pytest

from service.domain.replies import Intent, classify


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        ("STOP", Intent.STOP),
        ("stop", Intent.STOP),
        (" Stop. ", Intent.STOP),
        ("Arrêt", Intent.STOP),
        ("ARRET!", Intent.STOP),
        ("unsubscribe", Intent.STOP),
        ("Stop all", Intent.STOP),
        ("opt-out", Intent.STOP),
        ("revoke", Intent.STOP),
        ("Start", Intent.START),
        ("unstop", Intent.START),
        ("YES", Intent.START),
        ("help", Intent.HELP),
        ("Info?", Intent.HELP),
        ("aide", Intent.HELP),
        ("C", Intent.CONFIRM),
        ("confirm", Intent.CONFIRM),
        ("Oui !", Intent.CONFIRM),
        ("Confirmer", Intent.CONFIRM),
        ("1", Intent.CONFIRM),
        ("R", Intent.RESCHEDULE),
        ("reschedule", Intent.RESCHEDULE),
        ("Reporter", Intent.RESCHEDULE),
    ],
)
def test_keywords_are_understood(body, intent):
    assert classify(body) is intent


@pytest.mark.parametrize("body", ["Stop by at 5?", "Can I come later", "", None, "oui merci à demain", "😊"])
def test_anything_else_is_kept_for_staff(body):
    assert classify(body) is Intent.OTHER

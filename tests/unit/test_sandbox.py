"""The bounded sandbox refuses, quickly and in words, what would make a message huge or a render endless."""

from __future__ import annotations

import pytest

from service.content.templates import DEFAULT_TEMPLATES
from service.rendering import SAMPLE_VARIABLES, TemplateProblem, render_text

VARIABLES = {**SAMPLE_VARIABLES, "aftercare_tips": ["Drink water.", "No sport today."], "due_date": "23 March 2027"}


@pytest.mark.parametrize("key", sorted(DEFAULT_TEMPLATES), ids=lambda k: "/".join(k))
def test_every_shipped_template_still_renders_within_the_bounds(key):
    subject, body = DEFAULT_TEMPLATES[key]
    assert render_text(body, VARIABLES)
    if subject:
        assert render_text(subject, VARIABLES)


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("{{ 9 ** (9 ** 9) }}", "too large a number"),
        ("{{ '%s!' % first_name }}", "formatting text with % is not available"),
        ("{{ '%s'|format(first_name) }}", "No filter named 'format'"),
        ("{{ lipsum(1000000) }}", "'lipsum' is undefined"),
        ("{{ 'a\nb'|indent(5000) }}", "indent is at most 200"),
        ("{{ first_name|center(1000000000) }}", "numbers passed to it are at most 10,000"),
        ("{% set s = first_name * 1000 %}{% set s = s ~ s %}{{ s ~ s }}", "a value of 14,000 characters"),
        ("{{ (first_name * 100).join(first_name * 1000) }}", "join() would make about"),
        ("{{ (first_name * 1000)|list|join(first_name * 100) }}", "the join filter would make about"),
        ("{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}", "does not render"),
        ("{{ first_name }}" * 1000, "at most 10,000"),
        ("{% for a in range(100) recursive %}{{ loop(range(100)) }}{% endfor %}", "RecursionError"),
    ],
)
def test_work_and_size_beyond_a_message_are_refused_with_the_reason(source, words):
    with pytest.raises(TemplateProblem, match="the template does not render") as refused:
        render_text(source, VARIABLES)
    assert words in str(refused.value)


def test_ordinary_template_logic_is_untouched():
    source = (
        "{{ first_name|upper }} {{ '-' * 3 }} {{ 2 ** 10 }} {{ 7 % 3 }} {{ 'a,b'.split(',')|join('+') }}"
        "{% for tip in aftercare_tips %} {{ loop.index }}.{{ tip|replace('.', '!') }}{% endfor %}"
    )
    assert render_text(source, VARIABLES) == "CAMILLE --- 1024 1 a+b 1.Drink water! 2.No sport today!"

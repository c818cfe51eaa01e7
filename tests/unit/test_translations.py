"""The panel speaks French: every string Recall marks is translated, placeholders kept, and what runs is compiled.

`make translations` extracts the marked strings and merges them into the catalogues; these tests fail when a string
was added without a French translation, when a translation drops or renames a %(placeholder)s (which would raise
at render time), or when the compiled .mo that Flask-Babel reads is older than the .po beside it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "service" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
METHODS = [
    ("service/**.py", "python"),
    ("admin/**.py", "python"),
    ("admin/templates/**.html", "jinja2"),
    ("service/templates/**.html", "jinja2"),
]


# Patients' languages the panel does not read in: their catalogues hold the patient's page's words only.
PATIENT_ONLY = ("es", "de", "it")
PATIENT_PAGE = [("service/patient_page.py", "python"), ("service/templates/patient/**.html", "jinja2")]


def marked(methods: list[tuple[str, str]] = METHODS) -> set[str]:
    ids: set[str] = set()
    for *_, message, _comments, _context in extract_from_dir(
        str(ROOT), methods, keywords={"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def catalogue(language: str, kind: str = "po"):
    path = CATALOGUES / language / "LC_MESSAGES" / f"messages.{kind}"
    with path.open("rb") as handle:
        return read_po(handle) if kind == "po" else read_mo(handle)


def test_every_marked_string_has_a_french_translation():
    french = catalogue("fr")
    missing = sorted(m for m in marked() if not (french.get(m) and all(_forms(french.get(m).string))))
    assert missing == [], f"run `make translations` and translate these in fr/messages.po: {missing[:20]}"


def _forms(string):
    return string if isinstance(string, tuple | list) else (string,)


@pytest.mark.parametrize("language", ["fr", "en", *PATIENT_ONLY])
def test_translations_keep_every_placeholder(language):
    wrong = []
    for message in catalogue(language):
        if not message.id or not message.string:
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(_forms(message.id))))
        for form in _forms(message.string):
            if form and set(PLACEHOLDER.findall(form)) - wanted - {"num"}:
                wrong.append((message.id, form))
            if form and not message.pluralizable and set(PLACEHOLDER.findall(form)) != wanted:
                wrong.append((message.id, form))
    assert wrong == []


@pytest.mark.parametrize("language", ["fr", "en", *PATIENT_ONLY])
def test_the_compiled_catalogue_matches_its_source(language):
    def entries(messages):
        # An untranslated plural is compiled as its English forms: the same as no translation.
        return {
            tuple(_forms(m.id)): tuple(_forms(m.string))
            for m in messages
            if m.id and any(_forms(m.string)) and tuple(_forms(m.string)) != tuple(_forms(m.id))
        }

    assert entries(m for m in catalogue(language) if not m.fuzzy) == entries(catalogue(language, "mo"))


@pytest.mark.parametrize("language", PATIENT_ONLY)
def test_the_patients_page_has_every_word_in_each_patient_language(language):
    """`make translations` merges new strings into fr and en only: a string added to the patient's page must be added
    to these catalogues by hand (pybabel update -l es …) and translated."""
    words = catalogue(language)
    page = marked(PATIENT_PAGE)
    assert len(page) > 30
    missing = sorted(m for m in page if not (words.get(m) and all(_forms(words.get(m).string))))
    assert missing == [], f"translate these in {language}/messages.po: {missing[:20]}"

"""The tip library shipped with Recall, in English and French, with Spanish, German and Italian in tips_more.py.

Plain, practical habits a clinic can stand behind; no promise of results. Lifestyle
tips rotate one a week during a course (their order interleaves the categories);
aftercare tips are listed in the aftercare email. Staff edit all of them in the admin.
"""

from __future__ import annotations

# (category, English, French)
SHIPPED_TIPS: tuple[tuple[str, str, str], ...] = (
    (
        "aftercare",
        "Leave the treated area alone for the rest of the day: no massage, scrub or tight clothing.",
        "Laissez la zone traitée tranquille le reste de la journée : pas de massage, de gommage ni de vêtement serré.",
    ),
    (
        "aftercare",
        "Skip the sauna, hot baths, swimming pools and hard exercise for 24 hours.",
        "Évitez sauna, bain chaud, piscine et sport intense pendant 24 heures.",
    ),
    (
        "aftercare",
        "A cold compress wrapped in a cloth, 10 minutes at a time, eases tenderness.",
        "Une compresse froide enveloppée dans un linge, 10 minutes à la fois, soulage la sensibilité.",
    ),
    (
        "aftercare",
        "Drink water through the day and keep make-up and creams off the area until tomorrow.",
        "Buvez de l'eau dans la journée et n'appliquez ni maquillage ni crème sur la zone avant demain.",
    ),
    (
        "diet",
        "Fill half your plate with vegetables at lunch and dinner.",
        "Remplissez la moitié de votre assiette de légumes, le midi et le soir.",
    ),
    (
        "exercise",
        "A brisk 30-minute walk, five days a week, gets your circulation going.",
        "Une marche rapide de 30 minutes, cinq jours par semaine, active votre circulation.",
    ),
    (
        "water",
        "Keep a bottle of water in sight: about 1.5 litres a day, more when it is hot.",
        "Gardez une bouteille d'eau à portée de main : environ 1,5 litre par jour, davantage quand il fait chaud.",
    ),
    (
        "circulation",
        "Sitting all day? Stand up and walk for a few minutes every hour.",
        "Assis toute la journée ? Levez-vous et marchez quelques minutes toutes les heures.",
    ),
    (
        "diet",
        "Go easy on salt: it makes the body hold water. Taste before you add any.",
        "Allez-y doucement sur le sel : il fait retenir l'eau. Laissez la salière hors de la table.",
    ),
    (
        "exercise",
        "Take the stairs instead of the lift whenever you can.",
        "Prenez l'escalier au lieu de l'ascenseur dès que possible.",
    ),
    (
        "water",
        "Swap one sweet drink a day for water, herbal tea or sparkling water.",
        "Remplacez une boisson sucrée par jour par de l'eau, une tisane ou de l'eau gazeuse.",
    ),
    (
        "circulation",
        "In the evening, rest with your legs raised for 10 minutes.",
        "Le soir, reposez-vous les jambes surélevées pendant 10 minutes.",
    ),
    (
        "diet",
        "Choose whole foods over ready meals, which are often high in salt and sugar.",
        "Préférez les produits bruts aux plats préparés, souvent riches en sel et en sucre.",
    ),
    (
        "exercise",
        "Swimming or cycling twice a week works the legs gently.",
        "Nager ou pédaler deux fois par semaine fait travailler les jambes en douceur.",
    ),
    (
        "water",
        "Start each day with a glass of water before your coffee.",
        "Commencez chaque journée par un verre d'eau avant votre café.",
    ),
    (
        "circulation",
        "Avoid sitting cross-legged for long and choose clothes that do not squeeze your legs.",
        "Évitez de rester longtemps jambes croisées et préférez des habits qui ne serrent pas les jambes.",
    ),
)


def tip_texts(language: str) -> list[tuple[str, str]]:
    """(category, text) of every shipped tip in `language` (English for a language Recall does not ship)."""
    from .tips_more import MORE_TIPS

    if language in MORE_TIPS:
        return [(category, text) for (category, _en, _fr), text in zip(SHIPPED_TIPS, MORE_TIPS[language], strict=True)]
    return [(category, french if language == "fr" else english) for category, english, french in SHIPPED_TIPS]


TIP_LANGUAGES = ("en", "fr", "es", "de", "it")


def shipped_tip_rows(languages: tuple[str, ...] = TIP_LANGUAGES) -> list[dict[str, object]]:
    """Rows for the `tip` table: each tip in each language, at the same position."""
    rows: list[dict[str, object]] = []
    for language in languages:
        for position, (category, text) in enumerate(tip_texts(language), start=1):
            rows.append({"category": category, "language": language, "position": position, "text": text, "active": True})
    return rows

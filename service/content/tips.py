"""The tip library shipped with Recall, in English and French.

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
        "Remplissez la moitié de votre assiette de légumes au déjeuner et au dîner.",
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
        "Allez-y doucement sur le sel : il fait retenir l'eau. Goûtez avant d'en ajouter.",
    ),
    (
        "exercise",
        "Take the stairs instead of the lift whenever you can.",
        "Prenez l'escalier plutôt que l'ascenseur dès que possible.",
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
        "Évitez de rester longtemps jambes croisées et préférez des vêtements qui ne serrent pas les jambes.",
    ),
)


def shipped_tip_rows() -> list[dict[str, object]]:
    """Rows for the `tip` table: each tip in both languages, at the same position."""
    rows: list[dict[str, object]] = []
    for position, (category, english, french) in enumerate(SHIPPED_TIPS, start=1):
        rows.append({"category": category, "language": "en", "position": position, "text": english, "active": True})
        rows.append({"category": category, "language": "fr", "position": position, "text": french, "active": True})
    return rows

"""The shipped tips in Spanish, German and Italian, in the order of `SHIPPED_TIPS` (tips.py).

Lifestyle tips travel by SMS, so they keep to GSM-7: the Spanish ones avoid á í ó ú, any of which would cut a
segment to 70 characters. Aftercare tips are only listed in the aftercare email and use every accent.
"""

from __future__ import annotations

MORE_TIPS: dict[str, tuple[str, ...]] = {
    "es": (
        "Deje tranquila la zona tratada el resto del día: sin masajes, exfoliantes ni ropa ajustada.",
        "Evite la sauna, los baños calientes, la piscina y el deporte intenso durante 24 horas.",
        "Una compresa fría envuelta en un paño, 10 minutos cada vez, alivia la sensibilidad.",
        "Beba agua a lo largo del día y no se aplique maquillaje ni cremas en la zona hasta mañana.",
        "Llene la mitad de su plato de verduras en la comida y en la cena.",
        "Caminar a buen paso 30 minutos, cinco veces por semana, ayuda a que la sangre circule mejor.",
        "Tenga siempre a la vista una botella de agua: unos 1,5 litros diarios, y una cantidad mayor cuando hace calor.",
        "¿Pasa muchas horas sentado? Cada hora, haga una pausa de unos minutos para caminar.",
        "Modere la sal: hace que el cuerpo retenga agua. Pruebe la comida antes de salarla.",
        "Suba por las escaleras en lugar de tomar el ascensor siempre que pueda.",
        "Sustituya una bebida azucarada diaria por agua, una tisana o agua con gas.",
        "Por la noche, descanse con las piernas en alto durante 10 minutos.",
        "Prefiera alimentos frescos a los platos preparados, que suelen ser muy salados y muy dulces.",
        "Nadar o ir en bicicleta dos veces por semana trabaja las piernas con suavidad.",
        "Empiece cada mañana con un vaso de agua antes del café.",
        "Evite pasar mucho tiempo con las piernas cruzadas y elija ropa que no le apriete las piernas.",
    ),
    "de": (
        "Lassen Sie die behandelte Stelle den Rest des Tages in Ruhe: keine Massage, kein Peeling, keine enge Kleidung.",
        "Verzichten Sie 24 Stunden lang auf Sauna, heiße Bäder, Schwimmbad und intensiven Sport.",
        "Eine in ein Tuch gewickelte kalte Kompresse, jeweils 10 Minuten, lindert die Empfindlichkeit.",
        "Trinken Sie über den Tag verteilt Wasser und tragen Sie bis morgen weder Make-up noch Creme auf die Stelle auf.",
        "Füllen Sie mittags und abends die Hälfte Ihres Tellers mit Gemüse.",
        "Ein zügiger Spaziergang von 30 Minuten an fünf Tagen pro Woche bringt Ihren Kreislauf in Schwung.",
        "Halten Sie eine Flasche Wasser in Sichtweite: etwa 1,5 Liter am Tag, mehr, wenn es heiß ist.",
        "Sitzen Sie den ganzen Tag? Stehen Sie jede Stunde auf und gehen Sie ein paar Minuten.",
        "Gehen Sie sparsam mit Salz um: Es lässt den Körper Wasser einlagern. Probieren Sie, bevor Sie nachsalzen.",
        "Nehmen Sie die Treppe statt des Aufzugs, wann immer es geht.",
        "Ersetzen Sie täglich ein süßes Getränk durch Wasser, Kräutertee oder Mineralwasser.",
        "Legen Sie abends 10 Minuten lang die Beine hoch.",
        "Greifen Sie lieber zu frischen Lebensmitteln als zu Fertiggerichten, die oft viel Salz und Zucker enthalten.",
        "Schwimmen oder Radfahren zweimal pro Woche trainiert die Beine sanft.",
        "Beginnen Sie jeden Tag mit einem Glas Wasser vor dem Kaffee.",
        "Sitzen Sie nicht lange mit übereinandergeschlagenen Beinen und wählen Sie Kleidung, die die Beine nicht einengt.",
    ),
    "it": (
        "Lasci tranquilla la zona trattata per il resto della giornata: niente massaggi, scrub o indumenti stretti.",
        "Eviti sauna, bagni caldi, piscina e attività fisica intensa per 24 ore.",
        "Un impacco freddo avvolto in un panno, 10 minuti alla volta, allevia la sensibilità.",
        "Beva acqua durante la giornata e non applichi trucco né creme sulla zona fino a domani.",
        "Riempia metà del piatto di verdure a pranzo e a cena.",
        "Una camminata a passo svelto di 30 minuti, cinque giorni a settimana, attiva la circolazione.",
        "Tenga sempre in vista una bottiglia d'acqua: circa 1,5 litri al giorno, di più quando fa caldo.",
        "Molte ore seduti alla scrivania? Si alzi e cammini qualche minuto ogni ora.",
        "Non esageri con il sale: fa trattenere acqua al corpo. Assaggi prima di aggiungerne.",
        "Quando può, prenda le scale invece dell'ascensore.",
        "Sostituisca ogni giorno una bevanda zuccherata con acqua, una tisana o acqua frizzante.",
        "La sera, riposi 10 minuti con le gambe sollevate.",
        "Preferisca alimenti freschi ai piatti pronti, spesso ricchi di sale e zucchero.",
        "Nuotare o andare in bicicletta due volte a settimana fa lavorare le gambe con delicatezza.",
        "Inizi ogni giornata con un bicchiere d'acqua prima del caffè.",
        "Eviti di stare a lungo con le gambe accavallate e scelga abiti che non stringano le gambe.",
    ),
}

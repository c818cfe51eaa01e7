"""The shipped templates in Spanish (usted), keyed (kind, channel).

SMS keep to GSM-7: they say "cita" and avoid á í ó ú (é, ñ, ü and ¿ are in GSM-7), so a message with a long clinic
name and the patient's link still fits in two segments. Emails use every accent.
"""

from __future__ import annotations

_TIMES = "{{ session_date }} a las {{ session_times }}"
_STOP = " Responda STOP para darse de baja"
_MANAGE_SMS = (
    "{% if manage_url %} Cambiar o anular: {{ manage_url }} o llame al {{ clinic_phone }}."
    "{% else %} Para cambiarla llame al {{ clinic_phone }}.{% endif %}"
)
_REMINDER_MANAGE_SMS = (
    "{% if manage_url %} Confirmar, cambiar o anular: {{ manage_url }} o llame al {{ clinic_phone }}."
    "{% else %} Para cambiarla llame al {{ clinic_phone }}.{% endif %}"
)
_MANAGE_MAIL = (
    "{% if manage_url %}Para confirmarla, cambiarla o anularla, abra su página:\n{{ manage_url }}\n\nO llámenos al "
    "{{ clinic_phone }}.{% else %}Para cambiarla, llámenos al {{ clinic_phone }}.{% endif +%}"
)
_BOOK_SMS = (
    "{% if booking_url %}Reservar: {{ booking_url }} o llame al {{ clinic_phone }}."
    "{% else %}Reserve llamando al {{ clinic_phone }}.{% endif %}"
)
_BOOK_MAIL = (
    "{% if booking_url %}Para pedir cita: {{ booking_url }} o llámenos al {{ clinic_phone }}."
    "{% else %}Para pedir cita, llámenos al {{ clinic_phone }}.{% endif +%}"
)
_BOOK_AGAIN_MAIL = (
    "{% if booking_url %}Para pedir una nueva cita: {{ booking_url }} o llámenos al {{ clinic_phone }}."
    "{% else %}Para pedir una nueva cita, llámenos al {{ clinic_phone }}.{% endif +%}"
)


def _mail(middle: str) -> str:
    return "Hola {{ first_name }},\n\n" + middle + "\n\n{{ clinic_name }}"


TEMPLATES: dict[tuple[str, str], tuple[str | None, str]] = {
    ("confirmation", "sms"): (
        None,
        "{{ clinic_name }}: {{ 'sus citas quedan reservadas' if session_count > 1 else 'su cita queda reservada' }}"
        " para el {{ sessions_when }}." + _MANAGE_SMS + _STOP,
    ),
    ("change_notice", "sms"): (None, "{{ clinic_name }}: su cita se ha trasladado al " + _TIMES + "." + _MANAGE_SMS + _STOP),
    ("cancellation_notice", "sms"): (
        None,
        "{{ clinic_name }}: su cita del " + _TIMES + " queda anulada. Para pedir otra: "
        "{% if booking_url %}{{ booking_url }} o {% endif %}{{ clinic_phone }}." + _STOP,
    ),
    ("confirmation", "email"): (
        "Su cita en {{ clinic_name }} está reservada",
        _mail(
            "{% if session_count > 1 %}Sus citas en {{ clinic_name }} están reservadas{% else %}"
            "Su cita en {{ clinic_name }} está reservada{% endif %} para el {{ sessions_when }}.\n\n" + _MANAGE_MAIL
        ),
    ),
    ("change_notice", "email"): (
        "Su cita en {{ clinic_name }} ha cambiado",
        _mail("Su cita en {{ clinic_name }} es ahora el " + _TIMES + ".\n\n" + _MANAGE_MAIL),
    ),
    ("cancellation_notice", "email"): (
        "Su cita en {{ clinic_name }} está anulada",
        _mail("Su cita del " + _TIMES + " queda anulada.\n\n" + _BOOK_AGAIN_MAIL),
    ),
    ("session_reminder", "sms"): (
        None,
        "{{ clinic_name }}: le recordamos su cita del " + _TIMES + "." + _REMINDER_MANAGE_SMS + _STOP,
    ),
    ("session_reminder", "email"): (
        "Su cita en {{ clinic_name }} el {{ session_date }}",
        "Hola {{ first_name }},\n\n"
        "Le recordamos su cita{{ 's' if session_count > 1 }} en {{ clinic_name }} el "
        + _TIMES
        + ".{% if course_progress is defined %} Será la {{ course_progress }} de su tratamiento.{% endif +%}"
        "\n\nUna sesión dura unos 10 minutos. "
        + _MANAGE_MAIL
        + "\n\nLa invitación adjunta la añade a su calendario.\n\n{{ clinic_name }}",
    ),
    ("aftercare", "sms"): (
        None,
        "{{ clinic_name }}: tras su visita, es normal un leve hematoma o sensibilidad. Evite sauna, baños"
        " calientes y deporte intenso 24 h. Llame ya al {{ clinic_phone }} si la zona se hincha, pica, salen ronchas,"
        " tiene fiebre o una rojez caliente que se extiende." + _STOP,
    ),
    ("aftercare", "email"): (
        "Cuidados tras su sesión en {{ clinic_name }}",
        _mail(
            "Gracias por su visita de hoy. Unas indicaciones para los próximos días:\n\n"
            "Es normal: un leve hematoma, enrojecimiento, pequeños bultos o sensibilidad en los puntos de inyección. "
            "Desaparecen en pocos días.\n\n"
            "Lo que ayuda:\n{% for tip in aftercare_tips %}- {{ tip }}\n{% endfor %}\n"
            "Llámenos enseguida al {{ clinic_phone }} si nota una hinchazón que aumenta, picor, urticaria o ronchas "
            "(signos de una reacción alérgica), o calor, un dolor cada vez mayor, pus o fiebre (signos de una infección). "
            "Si le cuesta respirar, llame al 112."
        ),
    ),
    ("aftercare_checkin", "sms"): (
        None,
        "{{ clinic_name }}: ¿qué tal se encuentra 48 h después de su visita? Un hematoma debe ir desapareciendo."
        " Si nota la zona caliente, hinchada o dolorida, o tiene fiebre, llame al {{ clinic_phone }}." + _STOP,
    ),
    ("aftercare_checkin", "email"): (
        "¿Cómo se encuentra? {{ clinic_name }}",
        _mail(
            "Dos días después de su sesión, un hematoma o la sensibilidad deberían ir desapareciendo.\n\n"
            "Si la zona tratada está caliente, hinchada o más dolorida, si aparecen ronchas o tiene fiebre, "
            "llámenos al {{ clinic_phone }}."
        ),
    ),
    ("tip", "sms"): (None, "{{ clinic_name }}, el consejo de la semana: {{ tip }}" + _STOP),
    ("tip", "email"): (
        "Su consejo de la semana de {{ clinic_name }}",
        _mail("{{ tip }}\n\nPequeños hábitos entre sesiones ayudan a que sus resultados duren."),
    ),
    ("maintenance_early", "sms"): (
        None,
        "{{ clinic_name }}: pronto se cumple un año de su tratamiento anterior. Un mantenimiento de 4 a 6 semanas"
        " conserva sus resultados. " + _BOOK_SMS + _STOP,
    ),
    ("maintenance_early", "email"): (
        "Su mantenimiento anual en {{ clinic_name }}: a partir del {{ due_date }}",
        _mail(
            "Pronto se cumplirá un año de su último tratamiento. Para conservar sus resultados, se recomienda cada año "
            "un breve tratamiento de mantenimiento de 4 a 6 semanas; el suyo está previsto a partir del {{ due_date }}."
            "\n\n" + _BOOK_MAIL
        ),
    ),
    ("maintenance_due", "sms"): (
        None,
        "{{ clinic_name }}: es el momento de su mantenimiento de 4 a 6 semanas, para conservar sus resultados. "
        + _BOOK_SMS
        + _STOP,
    ),
    ("maintenance_due", "email"): (
        "Es el momento de su mantenimiento en {{ clinic_name }}",
        _mail(
            "Es el momento de su tratamiento de mantenimiento de 4 a 6 semanas, que prolonga los resultados de las "
            "sesiones del año pasado.\n\n" + _BOOK_MAIL
        ),
    ),
    ("maintenance_overdue", "sms"): (
        None,
        "{{ clinic_name }}: su mantenimiento anual sigue sin reservar, para conservar sus resultados. " + _BOOK_SMS + _STOP,
    ),
    ("maintenance_overdue", "email"): (
        "Su mantenimiento en {{ clinic_name }}",
        _mail(
            "Su mantenimiento anual estaba previsto a partir del {{ due_date }} y aún no está reservado. De cuatro a "
            "seis semanas de sesiones conservan sus resultados.\n\n" + _BOOK_MAIL + " Es nuestro último recordatorio "
            "sobre este tema."
        ),
    ),
    ("rebook", "sms"): (
        None,
        "{{ clinic_name }}: su tratamiento sigue con la {{ course_progress }}, sin reservar. Las sesiones regulares"
        " dan los mejores resultados. " + _BOOK_SMS + _STOP,
    ),
    ("rebook", "email"): (
        "Su próxima sesión en {{ clinic_name }}",
        _mail(
            "Su tratamiento sigue con la {{ course_progress }}, que aún no está reservada. Las sesiones a intervalos "
            "regulares dan los mejores resultados, así que le aconsejamos reservarla pronto.\n\n" + _BOOK_MAIL
        ),
    ),
    ("no_show_followup", "sms"): (
        None,
        "{{ clinic_name }}: le echamos de menos en su cita del {{ session_date }}. Esperamos que todo vaya bien. "
        + _BOOK_SMS
        + _STOP,
    ),
    ("no_show_followup", "email"): (
        "Le echamos de menos en {{ clinic_name }}",
        _mail(
            "Le echamos de menos en su cita del {{ session_date }}. Esperamos que todo vaya bien. Si desea otra fecha, "
            "estaremos encantados de recibirle.\n\n" + _BOOK_MAIL
        ),
    ),
    ("reply_help", "sms"): (
        None,
        "{{ clinic_name }}, recordatorios de citas. Preguntas o cambios: {{ clinic_phone }}."
        " Responda C para confirmar su cita, R para pedir cambiarla." + _STOP,
    ),
    ("reply_confirm", "sms"): (None, "{{ clinic_name }}: gracias, su cita del " + _TIMES + " queda confirmada."),
    ("reply_reschedule", "sms"): (
        None,
        "{{ clinic_name }}: anotado, le llamaremos para buscar otra hora. También puede llamarnos al {{ clinic_phone }}.",
    ),
    ("reply_no_session", "sms"): (
        None,
        "{{ clinic_name }}: no tiene ninguna cita pendiente que confirmar. Preguntas: {{ clinic_phone }}.",
    ),
}

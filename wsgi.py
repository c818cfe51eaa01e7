"""Entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

import sys

from service import create_app
from service.settings import ConfigError

try:
    app = create_app()
except ConfigError as exc:  # one clear line naming the setting, not a traceback
    sys.exit(f"recall: configuration error: {exc}")

"""gunicorn settings for the web process: `gunicorn wsgi:app` reads this file from the working directory.

Every value can be overridden on the command line or with GUNICORN_CMD_ARGS.
"""

import os
import shutil
import tempfile

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
graceful_timeout = 20
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The access log: method, path without its query string (a search box can hold a phone number), status, size, time.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms req=%({x-request-id}o)s'

# gunicorn's own lines, the access log and the application's in one format (LOG_FORMAT: json unless "text"),
# scrubbed of numbers and addresses, with the request id.
_formatter = (
    "service.logs.TextFormatter" if os.environ.get("LOG_FORMAT", "json").lower() == "text" else "service.logs.JsonFormatter"
)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"app": {"()": _formatter}},
    "filters": {"request_id": {"()": "service.logs.RequestIdFilter"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "app", "filters": ["request_id"], "stream": "ext://sys.stderr"}
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
}

# Prometheus counters are per process; with several workers each writes to this folder and /metrics sums them.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "recall-prometheus"))


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)  # counters start at zero with the server, as Prometheus expects
    os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

# Recall: one image, two processes.
#   web (default):  gunicorn wsgi:app        (settings in gunicorn.conf.py; HEALTHCHECK on /healthz)
#   scheduler:      flask --app wsgi scheduler
#   migrations:     flask --app wsgi db upgrade   (explicitly, once per release, before the new web and scheduler start)
# 3.11.14: CVE-2024-6923 (email header injection) and later email and tarfile fixes; a patch release, nothing to rebuild.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RECALL_ENV=production \
    FLASK_APP=wsgi

WORKDIR /app
RUN useradd --create-home --uid 10001 --user-group recall

# Dependencies first, from the lock with hashes, so a code change does not reinstall them.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

# The application runs from its source folder: nothing to build.
COPY wsgi.py gunicorn.conf.py pyproject.toml README.md ./
COPY service ./service
COPY admin ./admin
COPY migrations ./migrations
RUN mkdir -p /app/instance && chown 10001:10001 /app/instance

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["gunicorn", "wsgi:app"]

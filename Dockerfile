# Recall: one image, two processes. Web: the default CMD. Scheduler: `flask --app wsgi scheduler`.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 recall

COPY pyproject.toml README.md ./
COPY service ./service
COPY admin ./admin
COPY migrations ./migrations
COPY wsgi.py ./
RUN pip install --no-cache-dir . && mkdir -p /app/instance && chown recall:recall /app/instance

USER recall
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# Migrations are applied explicitly, once per release: `docker run IMAGE flask --app wsgi db upgrade`.
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--access-logfile", "-", "wsgi:app"]

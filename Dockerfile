# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBUG=false \
    BLCHECK_DATA_DIR=/data

# The nightly backup runs pg_dump, which must be at least the server's
# version: docker-compose.yml runs postgres:16, Debian bookworm ships 15, so
# the client comes from the PostgreSQL project's own Debian repository.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
    && curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc \
       | gpg --dearmor -o /usr/share/keyrings/pgdg.gpg \
    && echo "deb [signed-by=/usr/share/keyrings/pgdg.gpg] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
       > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-16 \
    && apt-get purge -y curl gnupg && apt-get autoremove -y \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# collectstatic needs settings that start; these values exist only in this step
# (REDIS_URL too, so no embedded-Redis password file is baked into the image).
RUN SECRET_KEY=collectstatic-only-not-a-real-key-0123456789abcdef \
    ALLOWED_HOSTS=localhost REDIS_URL=redis://build-only:6379/0 \
    python manage.py collectstatic --noinput -v 0 \
    && useradd --system --home /app blcheck \
    && mkdir -p /data && chown blcheck /data

USER blcheck
EXPOSE 8000
CMD ["gunicorn", "blcheck.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

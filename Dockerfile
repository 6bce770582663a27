# The one image behind web, worker and beat in docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY crm crm
COPY accounts accounts
COPY tiering tiering
COPY teams teams
COPY campaigns campaigns
COPY arrears arrears
COPY kpis kpis
COPY imports imports
COPY partners partners
COPY prospects prospects
COPY workbench workbench
COPY demo demo
RUN pip install .
# The chart library, pinned in crm/vendor.py, into /app/var/vendor/ for collectstatic below.
RUN python crm/vendor.py

COPY manage.py ./
COPY templates templates
COPY static static
COPY locale locale
# collectstatic needs settings that load; these values exist only for the build step.
RUN DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --no-input

# The imports and media volumes are mounted under /var/lib/crm; created here so that they belong to the app's user.
RUN useradd --system --uid 1000 crm && mkdir -p /var/lib/crm/imports /var/lib/crm/media && chown -R crm /app /var/lib/crm
USER crm
EXPOSE 8000
CMD ["gunicorn", "crm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]

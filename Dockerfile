# webcare: one image for `webcare serve` and `webcare worker`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    WEBCARE_HOST=0.0.0.0 WEBCARE_LOG_FORMAT=json
WORKDIR /app

RUN useradd --create-home --uid 10001 webcare
COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY responders ./responders
COPY alembic ./alembic
COPY guidelines ./guidelines
COPY faq ./faq
COPY demo ./demo
# editable install keeps alembic/ next to the package, where `webcare migrate` finds it
RUN pip install --no-cache-dir -e . && mkdir -p var && chown webcare:webcare var

USER webcare
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["sh", "-c", "webcare migrate && webcare serve"]

# syntax=docker/dockerfile:1
# webcare: one image for `webcare serve`, `webcare serve --no-jobs` and `webcare worker`.
#   docker build -t webcare .                                  the default install (requirements/base.txt)
#   docker build --build-arg EXTRAS=embeddings -t webcare .    with sentence embeddings (embeddings.txt)
# README.md "Running with Docker" says how to run it; docker-compose.yml runs web, worker and PostgreSQL.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: the locked dependencies and the webcare wheel, in a venv the final image copies whole
FROM ${PYTHON_IMAGE} AS build
# "" for requirements/base.txt, "embeddings" for requirements/embeddings.txt
ARG EXTRAS=""
# the embeddings lock pins torch's CPU build ("+cpu"), which PyTorch's CPU index serves and PyPI does
# not; pip only takes files whose hashes the lock lists, from whichever index has them
ARG PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements/ requirements/
RUN python -m venv /opt/webcare \
 && /opt/webcare/bin/pip install --require-hashes --only-binary=:all: -r "requirements/${EXTRAS:-base}.txt"
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY bot/ bot/
COPY responders/ responders/
COPY alembic/ alembic/
COPY guidelines/ guidelines/
COPY faq/ faq/
COPY demo/ demo/
# the wheel carries templates, static files, migrations and demo content (setup.py); its build
# backend stays in this stage
RUN pip wheel --no-deps --wheel-dir /tmp/dist . \
 && /opt/webcare/bin/pip install --no-deps /tmp/dist/webcare-*.whl

# ---- the image: the venv, the content to start from, a user of its own; no compiler, no sources
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/webcare/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    WEBCARE_HOST=0.0.0.0 \
    WEBCARE_PORT=8000 \
    WEBCARE_LOG_FORMAT=json \
    WEBCARE_DATABASE_URL=sqlite:////app/var/webcare.db \
    WEBCARE_MODEL_CACHE_DIR=/app/var/models \
    WEBCARE_GUIDELINES_DIR=/app/content/guidelines \
    WEBCARE_FAQ_DIR=/app/content/faq
# a user of its own, numeric in USER below so that a runtime can tell it is not root (runAsNonRoot);
# it owns the two folders that become volumes
RUN groupadd --gid 10001 webcare \
 && useradd --uid 10001 --gid webcare --create-home --shell /usr/sbin/nologin webcare \
 && install -d -o webcare -g webcare /app/var /app/var/models /app/content
WORKDIR /app
COPY --from=build /opt/webcare /opt/webcare
# The demo guidelines and FAQ, owned by webcare: a new content volume starts as a copy of them, and
# community managers edit them at /guidelines. Replace them by editing there or in the volume.
COPY --chown=webcare:webcare guidelines/ content/guidelines/
COPY --chown=webcare:webcare faq/ content/faq/
USER 10001:10001
# var: the SQLite database (when no PostgreSQL is set) and the model cache; content: guidelines, FAQ
VOLUME ["/app/var", "/app/content"]
EXPOSE 8000
# asks the port the settings give (WEBCARE_PORT, or /app/.env), not a fixed one
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; from bot.settings import Settings; urllib.request.urlopen(f'http://127.0.0.1:{Settings().port}/healthz', timeout=4)"]
CMD ["webcare", "serve"]

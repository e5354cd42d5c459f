# mockwcf as a CI service container: `docker build -t mockwcf .`
FROM python:3.11-slim

# MOCKWCF_MAKE_CERTS: when the served scenario's certificates are all absent (a fresh clone's git-ignored
# certs/, or nothing mounted at /certs), `serve` makes a throw-away test PKI there and says so.
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 \
    MOCKWCF_HOST=0.0.0.0 MOCKWCF_PORT=8080 MOCKWCF_MAKE_CERTS=1

# gssapi (Kerberos for transport Windows authentication) builds against MIT Kerberos
RUN apt-get update && apt-get install -y --no-install-recommends libkrb5-dev gcc \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 mockwcf
WORKDIR /opt/mockwcf
COPY setup.cfg setup.py pyproject.toml README.md ./
COPY mockwcf ./mockwcf
COPY scenarios ./scenarios
# /certs and /scenarios belong to the service user, so a named volume mounted there is writable (docs/ci.md)
RUN pip install '.[kerberos]' \
    && mockwcf certs /opt/mockwcf/certs \
    && mkdir -p /certs /scenarios \
    && chown -R mockwcf /opt/mockwcf /certs /scenarios

USER mockwcf
EXPOSE 8080
# Checked every 200 ms while starting (healthy well within 1 s of listening), then every 10 s.
# --start-interval needs Docker Engine 25+; older engines ignore it and check every 10 s.
HEALTHCHECK --interval=10s --start-period=60s --start-interval=200ms --timeout=3s --retries=3 \
    CMD ["mockwcf", "health"]
# MOCKWCF_SCENARIO selects the scenario: a packaged name (`mockwcf scenarios`) or a file, e.g. one mounted
# under /scenarios (the built-in default when unset); arguments are passed to `serve`.
ENTRYPOINT ["mockwcf", "serve"]

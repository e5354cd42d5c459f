# mockwcf as a CI service container: `docker build -t mockwcf .`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 \
    MOCKWCF_HOST=0.0.0.0 MOCKWCF_PORT=8080

# gssapi (Kerberos for transport Windows authentication) builds against MIT Kerberos
RUN apt-get update && apt-get install -y --no-install-recommends libkrb5-dev gcc \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 mockwcf
WORKDIR /opt/mockwcf
COPY setup.cfg setup.py pyproject.toml README.md ./
COPY mockwcf ./mockwcf
COPY scenarios ./scenarios
RUN pip install . \
    && mockwcf certs /opt/mockwcf/certs \
    && chown -R mockwcf /opt/mockwcf

USER mockwcf
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=5s --retries=10 CMD ["mockwcf", "health"]
# MOCKWCF_SCENARIO selects the scenario (the built-in default when unset); arguments are passed to `serve`.
ENTRYPOINT ["mockwcf", "serve"]

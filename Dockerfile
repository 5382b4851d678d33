# Kontor's container image. It builds without any registry: the static binary, the
# CA certificates, the time-zone data and the user database are prepared on the host
# by deploy/build-image.sh (what `task image` runs) in .image/, and copied into an
# empty (scratch) image. Build it with:
#   task image                       # or: bash deploy/build-image.sh kontor:local
# Run it with:
#   docker run -d -p 8080:8080 -v kontor-data:/data \
#     -e KONTOR_SECRET_KEY="$(openssl rand -hex 32)" -e KONTOR_BASE_URL=https://kontor.example.com kontor:local
FROM scratch

ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z

LABEL org.opencontainers.image.title="Kontor" \
      org.opencontainers.image.description="A self-hostable hub for a person's financial accounts" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/kontor-app/kontor" \
      org.opencontainers.image.licenses="MIT"

# /kontor, /etc/ssl/certs/ca-certificates.crt, /usr/share/zoneinfo, /etc/passwd and
# /etc/group (the unprivileged user kontor, uid and gid 10001).
COPY .image/rootfs/ /
# The data folder (SQLite database, development secret) and a temporary folder that
# SQLite may use, both owned by that user; a fresh named volume mounted on /data
# takes this ownership.
COPY --chown=10001:10001 .image/data/ /data/
COPY --chown=10001:10001 .image/tmp/ /tmp/

ENV KONTOR_ENV=production \
    KONTOR_ADDR=:8080 \
    KONTOR_DATA_DIR=/data \
    TMPDIR=/tmp \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

# No shell or curl in the image: the binary asks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["/kontor", "healthcheck"]

ENTRYPOINT ["/kontor"]
CMD ["serve"]

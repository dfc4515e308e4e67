# syntax=docker/dockerfile:1
# releasebot in a container: a static (musl) binary on an empty base, run as an unprivileged
# user. `docker build -t releasebot .`; deploy/compose.yaml runs two replicas behind a proxy.

# ---- build: the official Rust image on Alpine links statically against musl by default.
FROM rust:1.95-alpine AS build
# musl-dev: the C runtime that ring and the bundled SQLite link statically; ca-certificates:
# the bundle the final stage takes. An Alpine branch keeps only the newest build of a package,
# so a pinned version would stop building at its next security update; the branch itself is
# fixed by the image tag.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --no-default-features -p releasebot \
    && cp target/release/releasebot /releasebot
# What the empty base needs: the user's entry, its writable /data and a /tmp.
RUN mkdir -p /rootfs/etc /rootfs/data /rootfs/tmp \
    && chmod 1777 /rootfs/tmp \
    && echo "releasebot:x:10001:10001:releasebot:/data:/sbin/nologin" > /rootfs/etc/passwd \
    && echo "releasebot:x:10001:" > /rootfs/etc/group

# ---- run: nothing but the binary, CA certificates (GitHub's API is called over TLS with the
# system's roots) and the user.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /rootfs/etc/passwd /rootfs/etc/group /etc/
COPY --from=build /rootfs/tmp /tmp
COPY --from=build --chown=10001:10001 /rootfs/data /data
COPY --from=build /releasebot /usr/local/bin/releasebot
USER 10001:10001
# Proves the binary runs with no loader and no libraries (a dynamic one would fail here).
RUN ["/usr/local/bin/releasebot", "--version"]
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# The default queue, releasebot.sqlite in the working directory, is /data/releasebot.sqlite, on
# a volume the user owns. (Not set with ENV: the environment wins over a settings file, so an
# image default would override RELEASEBOT_DATABASE given in RELEASEBOT_CONFIG_FILE.)
WORKDIR /data
VOLUME /data
# 3000: the webhook (RELEASEBOT_LISTEN's default, 0.0.0.0:3000). /metrics is there too unless RELEASEBOT_METRICS_LISTEN
# moves it to a port of its own (deploy/compose.yaml uses 9090, not published).
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/releasebot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/releasebot"]
CMD ["serve"]

# syntax=docker/dockerfile:1
# Build: make image    (or: docker build --build-arg VERSION=… --build-arg REVISION=… -t dcsbot .)
# Run:   docker run --rm -v $PWD/config.yaml:/etc/dcsbot/config.yaml:ro -p 8080:8080 \
#          -e SLACK_APP_TOKEN -e SLACK_BOT_TOKEN -e CLOUD_SDK_AK -e CLOUD_SDK_SK dcsbot
#        with http.listen: 0.0.0.0:8080 in config.yaml (see the README, "Deploying").
#
# Base images are pinned by digest (multi-platform index digests); the tags
# say what they are. Source of both digests: public Dockerfiles pinning the
# same tags, e.g. github.com/kubeswift-io/kubeswift-spin's Dockerfile at
# commit 4fc611825eb3fafa2cc2acd5076ecee686d6e0c7, which pins both; several
# other projects pin the same two (one notes the distroless digest as the
# tag's on 2026-08-26). To check or move them:
#   docker buildx imagetools inspect docker.io/library/golang:1.26.8-bookworm

# golang:1.26.8 is the toolchain go.mod asks for (go 1.26.8).
FROM docker.io/library/golang:1.26.8-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d AS build
ENV GOTOOLCHAIN=local
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
ARG REVISION=unknown
# The build command is `make build`, the same that CI runs (.ci/run): a
# static, trimmed binary stamped with VERSION and REVISION.
RUN make build BIN=/out/bot VERSION="${VERSION}" REVISION="${REVISION}" \
 && mkdir -p /out/data

# distroless/static: CA certificates, tzdata, no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
ARG VERSION=devel
ARG REVISION=unknown
LABEL org.opencontainers.image.title="dcsbot" \
      org.opencontainers.image.description="Kill Redis client sessions on Huawei Cloud DCS from Slack, with two-person approval" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/bot /usr/local/bin/bot
# The SQLite file (store.dsn: /var/lib/dcsbot/dcsbot.db) lives here,
# writable by the bot's user; mount a volume here to keep it.
COPY --from=build --chown=65532:65532 /out/data /var/lib/dcsbot
WORKDIR /var/lib/dcsbot
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading the
# image's /etc/passwd (a named user makes the kubelet refuse the pod).
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/bot"]
CMD ["-config", "/etc/dcsbot/config.yaml"]

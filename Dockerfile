# syntax=docker/dockerfile:1
# Build: docker build -t dcsbot .
# Run:   docker run --rm -v $PWD/config.yaml:/etc/dcsbot/config.yaml:ro \
#          -e SLACK_APP_TOKEN -e SLACK_BOT_TOKEN -e CLOUD_SDK_AK -e CLOUD_SDK_SK dcsbot
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go (the SQLite driver needs no cgo): a static binary.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bot ./cmd/bot \
 && mkdir -p /out/data

# distroless/static: CA certificates, tzdata, a non-root user, no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bot /usr/local/bin/bot
# The SQLite file (store.dsn: dcsbot.db, relative) lives here, writable by
# the non-root user; mount a volume here to keep it across containers.
COPY --from=build --chown=65532:65532 /out/data /var/lib/dcsbot
WORKDIR /var/lib/dcsbot
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/bot"]
CMD ["-config", "/etc/dcsbot/config.yaml"]

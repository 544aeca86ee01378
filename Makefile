# dcsbot: the commands a developer and CI need. `make help` lists them.
GO      ?= go
CONFIG  ?= config.yaml
BIN     ?= bin/bot
# The PostgreSQL store tests read this DSN. CI's machine runs PostgreSQL here;
# elsewhere, without a database, those tests skip with one loud line.
DCSBOT_TEST_POSTGRES_DSN ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export DCSBOT_TEST_POSTGRES_DSN
FUZZTIME ?= 20s

# What `bot -version` says: stamped in by `make build` (and so by the
# Dockerfile, which runs it). Without git: devel and unknown.
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X dcsbot/internal/version.Version=$(VERSION) -X dcsbot/internal/version.Revision=$(REVISION)

IMAGE ?= dcsbot:$(VERSION)
# The first image builder that works here: a Docker engine that answers,
# else buildah, else podman. Empty when there is none.
IMAGE_BUILDER ?= $(shell if docker info >/dev/null 2>&1; then echo docker; \
  elif command -v buildah >/dev/null 2>&1; then echo buildah; \
  elif command -v podman >/dev/null 2>&1; then echo podman; fi)

# Tools built from their Go modules into bin/tools (ignored by git).
TOOLS        := $(CURDIR)/bin/tools
HELM_VERSION := v3.22.0
# The Kubernetes version the chart is rendered for: that of the API types
# deploy/check decodes into (k8s.io/api v0.37).
KUBE_VERSION := 1.37.0
HELM         := $(TOOLS)/helm-$(HELM_VERSION)
KCHECK       := $(TOOLS)/kcheck
CHART        := deploy/helm/dcsbot
CHART_OUT    := bin/chart

.PHONY: help run build test lint fuzz bench image image-builder chart-check

help:
	@echo "make run          build bin/bot and run it with $(CONFIG) (secrets from the environment)"
	@echo "make build        build $(BIN), stamped with VERSION ($(VERSION)) and REVISION"
	@echo "make test         lint, then go test -race ./... (PostgreSQL tests included)"
	@echo "make lint         go vet and the gofmt check"
	@echo "make fuzz         run each fuzz target for FUZZTIME ($(FUZZTIME))"
	@echo "make bench        run the load benchmarks"
	@echo "make image        build the container image $(IMAGE) with docker, buildah or podman"
	@echo "make image-builder  print the builder make image would use (nothing: there is none)"
	@echo "make chart-check  helm lint and template the chart, and check every manifest strictly"

# Ctrl-C stops the bot cleanly (it exits 0). With a terminal, the shell's
# job control (set -m) gives the bot its own process group in the
# foreground, so the interrupt reaches the bot alone and make exits with the
# bot's code rather than being interrupted itself.
run:
	@test -f $(CONFIG) || { echo "make run: $(CONFIG) not found: cp config.example.yaml $(CONFIG) and edit it"; exit 2; }
	@$(MAKE) --no-print-directory build
	@if [ -t 0 ]; then set -m; fi; $(BIN) -config $(CONFIG); rc=$$?; exit $$rc

# The one build command: CI runs it, and so does the Dockerfile's build stage.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="$(LDFLAGS)" -o $(BIN) ./cmd/bot

lint:
	$(GO) vet ./...
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# go test shows a passing package's skips only with -v, so the PostgreSQL
# tests' skip line is collected in a file and printed after the run.
SKIPLOG  := $(CURDIR)/bin/test-skips.txt
TESTPKGS ?= ./...
test: lint
	@mkdir -p bin && rm -f $(SKIPLOG)
	@echo "$(GO) test -race -count=1 $(TESTPKGS)"
	@DCSBOT_TEST_SKIP_LOG=$(SKIPLOG) $(GO) test -race -count=1 $(TESTPKGS); rc=$$?; \
	  if [ -s $(SKIPLOG) ]; then sort -u $(SKIPLOG) >&2; fi; exit $$rc

fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=5s ./internal/commands/
	$(GO) test -run='^$$' -fuzz='^FuzzLoad$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=5s ./internal/config/

bench:
	$(GO) test -run='^$$' -bench=. -benchtime=1x -count=1 ./internal/bench/

image-builder:
	@echo $(IMAGE_BUILDER)

image:
	@test -n "$(IMAGE_BUILDER)" || { echo "make image: no image builder here (no Docker engine answering, no buildah, no podman)"; exit 2; }
	$(IMAGE_BUILDER) build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(IMAGE) .

$(HELM):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	mv $(TOOLS)/helm $@

# The strict manifest checker: its own module, so the bot's go.mod stays lean.
$(KCHECK): $(wildcard deploy/check/*.go deploy/check/go.mod deploy/check/go.sum)
	cd deploy/check && $(GO) vet ./... && $(GO) test -count=1 ./... && $(GO) build -o $@ .

# Renders the chart with each of its ci/*-values.yaml, decodes every object
# strictly into the Kubernetes API types (and the plain deploy/kubernetes.yaml
# too), checks the security settings, shows that more than one replica on
# SQLite is refused, and runs `bot -check-config` on each rendered config.
chart-check: $(HELM) $(KCHECK) build
	@rm -rf $(CHART_OUT) && mkdir -p $(CHART_OUT)
	@set -e; for v in $(CHART)/ci/*-values.yaml; do \
	  name=$$(basename $$v -values.yaml); \
	  echo "chart-check: $$name"; \
	  $(HELM) lint --strict --quiet --kube-version $(KUBE_VERSION) $(CHART) -f $$v; \
	  $(HELM) template dcsbot $(CHART) --kube-version $(KUBE_VERSION) -f $$v > $(CHART_OUT)/$$name.yaml; \
	  $(KCHECK) -configs $(CHART_OUT)/$$name $(CHART_OUT)/$$name.yaml; \
	  for cfg in $(CHART_OUT)/$$name/*/config.yaml; do \
	    env -i PATH="$$PATH" SLACK_APP_TOKEN=xapp-1-A0CI-ci-app-token SLACK_BOT_TOKEN=xoxb-ci-bot-token \
	      CLOUD_SDK_AK=CIACCESSKEY0001 CLOUD_SDK_SK=ci-secret-key $(BIN) -check-config -config $$cfg; \
	  done; \
	done
	@if $(HELM) template dcsbot $(CHART) --kube-version $(KUBE_VERSION) -f $(CHART)/ci/sqlite-values.yaml --set replicas=2 >/dev/null 2>$(CHART_OUT)/refused.txt; then \
	  echo "chart-check: replicas=2 on SQLite rendered, but it must be refused"; exit 1; fi; \
	  grep -q "store.driver: postgres" $(CHART_OUT)/refused.txt || { cat $(CHART_OUT)/refused.txt; exit 1; }; \
	  echo "chart-check: replicas=2 on SQLite refused: $$(grep -o 'replicas.*' $(CHART_OUT)/refused.txt | head -1)"
	$(KCHECK) deploy/kubernetes.yaml

# dcsbot: the commands a developer and CI need. `make help` lists them.
GO      ?= go
CONFIG  ?= config.yaml
# The PostgreSQL store tests read this DSN. CI's machine runs PostgreSQL here;
# elsewhere, without a database, those tests skip with one loud line.
DCSBOT_TEST_POSTGRES_DSN ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export DCSBOT_TEST_POSTGRES_DSN
FUZZTIME ?= 20s

.PHONY: help run build test test-short fuzz bench lint

help:
	@echo "make run      run the bot with $(CONFIG) (secrets from the environment)"
	@echo "make test     go vet, gofmt check, go test -race ./... (PostgreSQL tests included)"
	@echo "make fuzz     run each fuzz target for FUZZTIME ($(FUZZTIME))"
	@echo "make bench    run the load benchmarks"
	@echo "make build    build bin/bot"

run:
	@test -f $(CONFIG) || { echo "make run: $(CONFIG) not found: cp config.example.yaml $(CONFIG) and edit it"; exit 2; }
	$(GO) run ./cmd/bot -config $(CONFIG)

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/bot ./cmd/bot

lint:
	$(GO) vet ./...
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: lint
	$(GO) test -race -count=1 ./...

fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=5s ./internal/commands/
	$(GO) test -run='^$$' -fuzz='^FuzzLoad$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=5s ./internal/config/

bench:
	$(GO) test -run='^$$' -bench=. -benchtime=1x -count=1 ./internal/bench/

# The two commands the README promises: `make demo` and `make test`.
# System packages (libxml2 tools, xmlsec1, the OpenSSL GOST engine) are installed by
# scripts/install-test-deps.sh, never by hand.
CARGO ?= cargo
SAMPLE := crates/c14n/tests/data/samples/smev3-1.1-SendRequestRequest-mr-sample.xml

.PHONY: demo test deps build bench lint peers

deps:
	./scripts/install-test-deps.sh

build:
	$(CARGO) build --release -p rsmev

# What the product does today (issue 2): canonicalize the signed part of a real SMEV 3
# message the way its signature declares it, then measure the speed on this machine.
demo: build
	@echo "== Exclusive C14N + SMEV transform of #SIGNED_BY_CONSUMER in $(SAMPLE)"
	./target/release/rsmev c14n --smev-transform --id SIGNED_BY_CONSUMER $(SAMPLE)
	@echo
	@echo "== the same, in a loop on one thread"
	./target/release/rsmev bench c14n --smev-transform --id SIGNED_BY_CONSUMER --seconds 2 $(SAMPLE)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The whole suite: unit, integration, peer-conformance, property, hostile-input and
# fuzz-regression tests, doc tests, and each benchmark run once (no timing).
test: deps lint
	RSMEV_REQUIRE_PEERS=1 $(CARGO) test --workspace
	$(CARGO) test --workspace --benches

bench: deps
	$(CARGO) bench -p rsmev-benches

peers: deps
	./benches/peers/run-c14n-peers.sh

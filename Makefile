# The two commands the README promises: `make demo` and `make test`.
# System packages (libxml2 tools, xmlsec1, the OpenSSL GOST engine) are installed by
# scripts/install-test-deps.sh, never by hand.
CARGO ?= cargo

.PHONY: demo serve test deps build bench lint peers

deps:
	./scripts/install-test-deps.sh

build: deps
	$(CARGO) build --release -p rsmev

RSMEV := ./target/release/rsmev
UNSIGNED := crates/signature/tests/data/smev3-send-request-unsigned.xml
GOST2012_SAMPLE := crates/c14n/tests/data/samples/smev3-1.2-SendRequestRequest-gost2012-256.xml

# The example deployment (deploy/examples): the demo provider and the gateway on loopback, a
# participant's signed SMEV 3 request through the bus and the provider's signed answer back, a
# refused request, and what the operator sees. Then the signature path on its own.
demo: build
	./deploy/examples/demo.sh
	@echo
	@echo "== rsmev verify refuses a tampered copy of the request"
	sed 's/А123ВС77/А123ВС78/' target/demo/request.xml > target/demo/tampered.xml
	! $(RSMEV) verify --profile smev3 --trust certs-test/trust-gost target/demo/tampered.xml
	@echo
	@echo "== a real SMEV 3 message (2019, GOST 2012, certificate long expired): cryptography only"
	$(RSMEV) verify --profile smev3 --no-path-validation $(GOST2012_SAMPLE)
	@echo
	@echo "== parse + verify in a loop on one thread"
	$(RSMEV) bench verify --profile smev3 --trust certs-test/trust-gost --seconds 2 target/demo/request.xml

# The gateway on the example configuration, in the foreground (Ctrl-C stops it); start
# `rsmev demo-provider` beside it as deploy/examples/demo.sh does.
serve: build
	$(RSMEV) serve --config deploy/examples/rsmev.toml

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The whole suite: unit, integration, peer-conformance, property, hostile-input and
# fuzz-regression tests, doc tests, and each benchmark run once (no timing).
test: deps lint
	RSMEV_REQUIRE_PEERS=1 $(CARGO) test --workspace
	# The second GOST backend (OpenSSL generic EC) against the same vectors.
	RSMEV_REQUIRE_PEERS=1 $(CARGO) test -p rsmev-gost --features openssl-backend
	$(CARGO) test --workspace --benches

bench: deps
	$(CARGO) bench -p rsmev-benches

peers: deps
	./benches/peers/run-c14n-peers.sh
	./benches/peers/run-verify-peers.sh

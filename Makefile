# The two commands the README promises: `make demo` and `make test`.
# System packages (libxml2 tools, xmlsec1, the OpenSSL GOST engine) are installed by
# scripts/install-test-deps.sh, never by hand.
CARGO ?= cargo

.PHONY: demo test deps build bench lint peers

deps:
	./scripts/install-test-deps.sh

build: deps
	$(CARGO) build --release -p rsmev

RSMEV := ./target/release/rsmev
UNSIGNED := crates/signature/tests/data/smev3-send-request-unsigned.xml
GOST2012_SAMPLE := crates/c14n/tests/data/samples/smev3-1.2-SendRequestRequest-gost2012-256.xml

# What the product does today (issues 2 and 3); issue 4 turns this into `rsmev serve` on the
# example deployment. Signs an SMEV 3 request as a participant's information system would,
# verifies it as the bus will, shows a tampered copy refused, and measures the verification.
demo: build
	@mkdir -p target/demo
	@echo "== rsmev sign: SMEV 3 SendRequest, ЭП-ОВ with the test participant's GOST R 34.10-2012-256 key"
	$(RSMEV) sign --profile smev3 --key certs-test/participant-gost256.key.pem \
	  --cert certs-test/participant-gost256.cert.pem $(UNSIGNED) > target/demo/signed.xml
	@echo
	@echo "== rsmev verify: placement, digest, signature, chain to the test GOST CA and its CRL"
	$(RSMEV) verify --profile smev3 --trust certs-test/trust-gost target/demo/signed.xml
	@echo
	@echo "== one changed character in the signed content is refused"
	sed 's/А123ВС77/А123ВС78/' target/demo/signed.xml > target/demo/tampered.xml
	! $(RSMEV) verify --profile smev3 --trust certs-test/trust-gost target/demo/tampered.xml
	@echo
	@echo "== a real SMEV 3 message (2019, GOST 2012, certificate long expired): cryptography only"
	$(RSMEV) verify --profile smev3 --no-path-validation $(GOST2012_SAMPLE)
	@echo
	@echo "== parse + verify in a loop on one thread"
	$(RSMEV) bench verify --profile smev3 --trust certs-test/trust-gost --seconds 2 target/demo/signed.xml

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

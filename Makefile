# Rampart: `make run` starts a development server, `make test` runs every test suite.
JOBS ?= 2
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
DATA_DIR ?= var
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: all deps build run test unit-test asan-test integration-test fuzz bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@scripts/build-web.sh

run: build
	@mkdir -p $(DATA_DIR)
	@echo "Starting rampartd on 127.0.0.1 (c2s 5222 STARTTLS, 5223 direct TLS, https 5281, admin 5282)."
	exec $(BUILD)/rampartd --dev --data-dir $(DATA_DIR)

test:
	@scripts/install-deps.sh --test
	@scripts/run-tests.sh

fuzz:
	@scripts/install-deps.sh --fuzz
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DRAMPART_FUZZ=ON -DRAMPART_TESTS=OFF \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target jid_fuzz scram_fuzz stream_parser_fuzz payload_fuzz cidr_fuzz admin_request_fuzz audit_proof_fuzz webauthn_fuzz sasl2_fuzz dlp_fuzz url_fuzz
	@mkdir -p tests/fuzz/artifacts
	@for f in jid scram stream_parser payload cidr admin_request audit_proof webauthn sasl2 dlp url; do \
	  echo "== $${f}_fuzz for $(FUZZ_SECONDS)s"; \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$f; \
	  $(FUZZ_BUILD)/$${f}_fuzz -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=tests/fuzz/artifacts/ \
	    $(FUZZ_BUILD)/corpus/$$f tests/fuzz/corpus/$$f || exit 1; \
	done

bench:
	@bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

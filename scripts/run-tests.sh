#!/usr/bin/env bash
# Builds and runs every test suite: unit tests (release and ASan+UBSan builds), the
# integration suite against a real rampartd (release and ASan+UBSan servers) and the browser
# tests of the web client. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
# Integration tests mostly wait on servers and sockets: pytest-xdist workers run test files side
# by side (each file's servers start once, in its worker).
PYTEST_WORKERS=${PYTEST_WORKERS:-3}
passed=0
failed=0
status=0

count_gtest() {  # log file -> adds to totals
  local log=$1 p f
  p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | head -1)
  f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | head -1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
}

die() {  # a build step failed: nothing further can run
  echo "build failed: $1"
  echo "$passed passed, $((failed + 1)) failed"
  exit 1
}

werror=OFF
if [[ "${CI:-}" == "true" ]]; then werror=ON; fi

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAMPART_WERROR=$werror >/dev/null || die configure
cmake --build build -j "$JOBS" || die release

echo "== unit tests"
build/rampart_unit_tests --gtest_brief=1 2>&1 | tee /tmp/rampart-unit.log | tail -5
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
count_gtest /tmp/rampart-unit.log

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRAMPART_SANITIZE=ON -DRAMPART_WERROR=$werror \
  >/dev/null || die configure-asan
cmake --build build-asan -j "$JOBS" --target rampart_unit_tests || die asan
build-asan/rampart_unit_tests --gtest_brief=1 2>&1 | tee /tmp/rampart-asan.log | tail -5
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
count_gtest /tmp/rampart-asan.log

run_pytest() {  # label, then env assignments for the binaries
  local label=$1 log=/tmp/rampart-it-$1.log line p f e
  shift
  echo "== integration tests ($label): slixmpp and raw TLS clients against rampartd"
  env "$@" /usr/bin/python3 -m pytest -q -p no:cacheprovider -n "$PYTEST_WORKERS" \
    --dist loadfile tests/integration 2>&1 \
    | tee "$log" | tail -15
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
  line=$(grep -E '[0-9]+ (passed|failed)' "$log" | tail -1)
  p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
  f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
  e=$(echo "$line" | grep -oE '[0-9]+ errors?' | grep -oE '[0-9]+')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
  if [[ -z "$line" ]]; then failed=$((failed + 1)); fi
}

run_browser() {  # a web UI in headless Chromium (playwright-core): name, test file
  local name=$1 test=$2 log=/tmp/rampart-browser-${1// /-}.log line p f
  echo "== browser tests: the $name in headless Chromium against rampartd"
  RAMPARTD=build/rampartd RAMPARTCTL=build/rampartctl timeout 900 node "$test" \
    2>&1 | tee "$log" | grep -v '^\s*at ' | tail -12
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
  p=$(echo "$line" | grep -oE '^[0-9]+')
  f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [[ -z "$line" ]]; then failed=$((failed + 1)); fi
}

run_pytest release RAMPARTD=build/rampartd RAMPARTCTL=build/rampartctl
scripts/build-web.sh || die web-ui
run_browser "web client" tests/browser/chat.test.mjs
run_browser "admin console" tests/browser/admin.test.mjs
run_browser "account center" tests/browser/account.test.mjs
run_browser "review queue" tests/browser/review.test.mjs
run_browser "privacy notice and rights" tests/browser/privacy.test.mjs
cmake --build build-asan -j "$JOBS" --target rampartd rampartctl || die asan-server
run_pytest asan RAMPARTD=build-asan/rampartd RAMPARTCTL=build-asan/rampartctl

echo "$passed passed, $failed failed"
if [[ $failed -gt 0 ]]; then status=1; fi
exit $status

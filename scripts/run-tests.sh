#!/usr/bin/env bash
# Builds and runs every test suite: unit tests (release and ASan+UBSan builds) and the
# integration suite against a real rampartd. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
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

werror=OFF
if [[ "${CI:-}" == "true" ]]; then werror=ON; fi

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAMPART_WERROR=$werror >/dev/null || exit 1
cmake --build build -j "$JOBS" || exit 1

echo "== unit tests"
build/rampart_unit_tests --gtest_brief=1 2>&1 | tee /tmp/rampart-unit.log | tail -5
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
count_gtest /tmp/rampart-unit.log

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRAMPART_SANITIZE=ON -DRAMPART_WERROR=$werror >/dev/null || exit 1
cmake --build build-asan -j "$JOBS" --target rampart_unit_tests || exit 1
build-asan/rampart_unit_tests --gtest_brief=1 2>&1 | tee /tmp/rampart-asan.log | tail -5
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
count_gtest /tmp/rampart-asan.log

echo "== integration tests (slixmpp over TLS against rampartd)"
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration 2>&1 | tee /tmp/rampart-it.log | tail -15
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
line=$(grep -E '^(=+ )?[0-9]+ (passed|failed)|^=+ .*(passed|failed)' /tmp/rampart-it.log | tail -1)
p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
e=$(echo "$line" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+')
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0} + ${e:-0}))

echo "$passed passed, $failed failed"
if [[ $failed -gt 0 ]]; then status=1; fi
exit $status

#!/usr/bin/env bash
# test-all.sh (= npm test): setup, typecheck, unit tests (test/), integration suites (integration/),
# the tape suites on the S3 store.
# Every phase runs even when an earlier one failed; the last line is "N passed, N failed",
# summed from ava's TAP counts (a failed typecheck or a crashed ava run counts as 1 failed).
# Exit status non-zero on any failure. TAP logs: .work/test-logs/.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
LOGS=.work/test-logs
PASS=0 FAIL=0
secs() { echo "$(date +%s.%N) - $1" | bc; }

if ! bash scripts/setup.sh; then
  echo "setup failed: no test was run"; echo "0 passed, 1 failed"; exit 1
fi
mkdir -p "$LOGS"

t0=$(date +%s.%N)
if npm run -s typecheck; then echo "typecheck: ok"; else echo "typecheck: FAILED"; FAIL=$((FAIL + 1)); fi
printf 'phase typecheck: %.1f s\n' "$(secs "$t0")"

# ava_phase NAME [ava args...]: run ava with --tap, add its "# pass N" / "# fail N" to the totals
ava_phase() {
  local name=$1 t0 rc p f; shift
  t0=$(date +%s.%N)
  npx ava --tap "$@" 2>&1 | tee "$LOGS/$name.tap"
  rc=${PIPESTATUS[0]}
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$LOGS/$name.tap" | tail -n 1)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$LOGS/$name.tap" | tail -n 1)
  p=${p:-0} f=${f:-0}
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1   # ava failed without counting a failed test
  PASS=$((PASS + p)) FAIL=$((FAIL + f))
  printf 'phase %s: pass %d, fail %d, ava exit %d, %.1f s\n' "$name" "$p" "$f" "$rc" "$(secs "$t0")"
}

if compgen -G 'test/**/*.test.ts' >/dev/null || [ -n "$(find test -name '*.test.ts' 2>/dev/null | head -n 1)" ]; then
  ava_phase unit
else
  echo "phase unit: no test files under test/"
fi
# The tape suites driven by real clients run on the S3 store (a Ceph RGW per suite): the
# directory store under them is the same tapes/ code, covered by the store contract suite,
# recovery (3100), Amanda's small amdump (2400) and the crash suite (on both stores). The
# Amanda and Bacula cycles and the drills (4000-4200) start their own RGW in the first phase.
S3_SUITES="2000-changer-mtx 2100-tape-mt-tar 2200-tape-restart 2300-bacula-btape 2500-ssc-smc-conformance 3200-crash-safety"
BOTH_STORES="3200-crash-safety"
DIR_FILES=()
for f in integration/*.test.ts; do
  s="$(basename "$f" .test.ts)"
  case " $S3_SUITES " in *" $s "*) case " $BOTH_STORES " in *" $s "*) DIR_FILES+=("$f") ;; esac ;; *) DIR_FILES+=("$f") ;; esac
done
S3_FILES=()
for s in $S3_SUITES; do S3_FILES+=("integration/$s.test.ts"); done
ava_phase integration --config integration/ava.config.js "${DIR_FILES[@]}"
export S3VTL_IT_STORE=s3
ava_phase integration-s3 --config integration/ava.config.js "${S3_FILES[@]}"
unset S3VTL_IT_STORE

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]

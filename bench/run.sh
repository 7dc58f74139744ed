#!/usr/bin/env bash
# bench/run.sh (npm run bench -- disk|tape|s3|hostile|cdp [--reps N] [--size 1G] [--only tgt|ours]):
# Debian tgt and s3vtl side by side with iscsi-tape-bench (disk, tape), or tape writes to the
# S3 store beside the RGW's PUT ceiling (s3); see bench/run.ts and bench/s3.ts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ -x .work/tools/iscsi-tape-bench ] || bash "${S3VTL_SHARED:-$ROOT/../shared}/tools/build" "$ROOT/.work/tools" >/dev/null
exec node --import=tsx bench/run.ts "$@"

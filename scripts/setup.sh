#!/usr/bin/env bash
# setup.sh - install everything the tests need on a Debian 12 machine (as root), idempotently:
#   apt packages, node_modules (npm ci from package-lock.json), the C tools (.work/tools),
#   the QEMU guest image (cached in ~/.cache/vtl-guest, see ../shared/guest/README.md) and the
#   database guest image the disaster drills boot (the same plus mariadb-server, in its own cache
#   ~/.cache/vtl-guest-db so the default image stays as every other suite expects it).
# A second run only checks and takes a few seconds. Prints the time of each step.
# Env: S3VTL_SHARED (default ../shared), S3VTL_SKIP_GUEST=1 skips the guest images,
# S3VTL_GUEST_DB_CACHE (default ~/.cache/vtl-guest-db) the database image's cache.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${S3VTL_SHARED:-$ROOT/../shared}
cd "$ROOT"

die() { printf '\nsetup: ERROR: %s\n' "$*" >&2; exit 1; }
step() {   # step NAME CMD...: run CMD, print its wall time, die with its name on failure
  local name=$1 t0 rc=0; shift
  t0=$(date +%s.%N)
  "$@" || rc=$?
  printf 'setup: %-12s %6.1f s\n' "$name" "$(echo "$(date +%s.%N) - $t0" | bc)"
  [ "$rc" -eq 0 ] || die "step '$name' failed (exit $rc)"
}

[ -d "$SHARED/tools" ] && [ -d "$SHARED/guest" ] || die "shared dir not found at $SHARED (set S3VTL_SHARED)"

APT_PKGS="libiscsi-bin libiscsi-dev tgt qemu-system-x86 qemu-block-extra mmdebstrap kmod cpio zstd
          iproute2 bc sg3-utils procps e2fsprogs"
apt_lists_present() { compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; }  # may be kept compressed (.lz4)
apt_step() {
  local missing=() p
  local have=" $(dpkg-query -W -f='${Package}:${Status}\n' $APT_PKGS 2>/dev/null | sed -n 's/:install ok installed$//p' | tr '\n' ' ')"
  for p in $APT_PKGS; do [[ "$have" == *" $p "* ]] || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && apt_lists_present && return 0
  [ "$(id -u)" -eq 0 ] || die "not root: cannot apt-get install ${missing[*]:-(apt lists)}"
  # update only when something is to be installed, or when the lists are absent
  # (build-image's mmdebstrap also needs them)
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  [ ${#missing[@]} -eq 0 ] || { echo "setup: apt-get install ${missing[*]}";
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
}

npm_step() {
  # npm ci (exactly package-lock.json) unless node_modules was installed from this very lock file
  local stamp=.work/npm-ci.stamp want
  [ -f package-lock.json ] || die "package-lock.json missing"
  want="$(node -v) $(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ -f node_modules/.package-lock.json ]; then
    [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
    # no stamp (a tree installed by hand): keep node_modules when npm's hidden lock file has every
    # package of package-lock.json at its version (optional ones, e.g. other platforms', may lack)
    if node -e 'const fs = require("fs"); const r = (f) => JSON.parse(fs.readFileSync(f)).packages;
        const want = r("package-lock.json"), have = r("node_modules/.package-lock.json");
        const ok = Object.entries(want).every(([k, v]) => !k || (have[k] ? have[k].version === v.version : v.optional))
          && Object.keys(have).every((k) => want[k]);
        process.exit(ok ? 0 : 1)'; then
      mkdir -p .work && echo "$want" >"$stamp"; return 0
    fi
  fi
  npm ci --no-audit --no-fund --loglevel=error
  mkdir -p .work && echo "$want" >"$stamp"
}

tools_step() {
  local out=.work/tools/iscsi-tape-bench
  [ -x "$out" ] && [ "$out" -nt "$SHARED/tools/iscsi-tape-bench.c" ] && return 0
  bash "$SHARED/tools/build" "$ROOT/.work/tools" >/dev/null
}

guest_step() {
  [ "${S3VTL_SKIP_GUEST:-}" = 1 ] && { echo "setup: guest image skipped (S3VTL_SKIP_GUEST=1)"; return 0; }
  bash "$SHARED/guest/build-image" --check >/dev/null 2>&1 && return 0
  bash "$SHARED/guest/build-image" 2>&1 | tail -n 3
}

# The drills' image: VTL_GUEST_CACHE/VTL_GUEST_EXTRA_PACKAGES as integration/4200 boots it.
guest_db_step() {
  [ "${S3VTL_SKIP_GUEST:-}" = 1 ] && { echo "setup: database guest image skipped (S3VTL_SKIP_GUEST=1)"; return 0; }
  local env=(VTL_GUEST_CACHE="${S3VTL_GUEST_DB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtl-guest-db}" VTL_GUEST_EXTRA_PACKAGES=mariadb-server)
  env "${env[@]}" bash "$SHARED/guest/build-image" --check >/dev/null 2>&1 && return 0
  env "${env[@]}" bash "$SHARED/guest/build-image" 2>&1 | tail -n 3
}

T0=$(date +%s.%N)
step apt apt_step
step npm-ci npm_step
step c-tools tools_step
step guest-image guest_step
step guest-db guest_db_step
printf 'setup: %-12s %6.1f s\n' total "$(echo "$(date +%s.%N) - $T0" | bc)"

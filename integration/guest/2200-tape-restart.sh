#!/bin/bash
# 2200-tape-restart guest job, run in three boots around target restarts (PHASE=write|verify|verify-kill).
# Payload comes from the host share (/mnt/host: src/ tree, dd.bin, kill.bin) so every phase can compare.
#  write:       drive 0 <- slot 5: tar of src/ + dd.bin (256 KiB blocks); drive 1 <- slot 6; slot 7 -> slot 18
#  verify:      (after SIGTERM + restart) library state, tar + dd read back; then drive 1: kill.bin + weof (sync point)
#  verify-kill: (after kill -9 + restart) library state, drive 1 data before the filemark read back
set -u
CH=$VTL_CHANGER_SG
T0=$VTL_TAPE0_NST
T1=$VTL_TAPE1_NST
H=${VTL_SHARE:-/mnt/host}
step() { local name=$1 out rc; shift; out=$("$@" 2>&1); rc=$?; echo "=== $name rc=$rc"; echo "$out"; }
waitready() { for i in $(seq 30); do mt -f "$1" status 2>/dev/null | grep -q ONLINE && return 0; sleep 1; done; return 1; }
step mtx-status-start mtx -f "$CH" status
case ${PHASE:?} in
write)
	for d in 0 1; do mtx -f "$CH" unload "" $d >/dev/null 2>&1; done
	step load-5-0 mtx -f "$CH" load 5 0
	step load-6-1 mtx -f "$CH" load 6 1
	step transfer-7-18 mtx -f "$CH" transfer 7 18
	waitready "$T0"
	step rewind mt -f "$T0" rewind
	step setblk0 mt -f "$T0" setblk 0
	step tar-write tar -cf "$T0" -b 128 -C "$H/src" .
	step dd-write dd if="$H/dd.bin" of="$T0" bs=256k status=none
	step status-t0 mt -f "$T0" status
	;;
verify)
	waitready "$T0"
	step status-t0 mt -f "$T0" status
	step rewind mt -f "$T0" rewind
	mkdir -p /tmp/dst
	step tar-read sh -c "tar -xf $T0 -b 128 -C /tmp/dst && cd $H/src && find . -type f -print0 | sort -z | xargs -0 sha256sum >/tmp/src.sha && cd /tmp/dst && sha256sum --quiet -c /tmp/src.sha && echo identical"
	step dd-read sh -c "mt -f $T0 rewind && mt -f $T0 fsf 1 && dd if=$T0 of=/tmp/dd.bin bs=256k status=none && cmp $H/dd.bin /tmp/dd.bin && echo identical"
	step eod-t0 sh -c "mt -f $T0 eod && mt -f $T0 status"
	waitready "$T1"
	step rewind-t1 mt -f "$T1" rewind
	step setblk0-t1 mt -f "$T1" setblk 0
	step kill-write dd if="$H/kill.bin" of="$T1" bs=64k status=none
	step kill-weof mt -f "$T1" weof 1
	step kill-tell mt -f "$T1" tell
	;;
verify-kill)
	waitready "$T1"
	step rewind-t1 mt -f "$T1" rewind
	step kill-read sh -c "dd if=$T1 of=/tmp/kill.bin bs=64k status=none && cmp $H/kill.bin /tmp/kill.bin && echo identical"
	step kill-status sh -c "mt -f $T1 status; mt -f $T1 tell"
	waitready "$T0"
	# the tar on drive 0 once more, after the kill -9: its names (for the host to compare) and its bytes
	step tar-list-again bash -c "set -o pipefail; mt -f $T0 rewind && tar -tf $T0 -b 128 | grep -v '/\$' | sort"
	mkdir -p /tmp/dst2
	step tar-read-again bash -c "set -o pipefail; mt -f $T0 rewind && tar -xf $T0 -b 128 -C /tmp/dst2 && cd $H/src && find . -type f -print0 | sort -z | xargs -0 sha256sum >/tmp/src2.sha && test -s /tmp/src2.sha && cd /tmp/dst2 && sha256sum --quiet -c /tmp/src2.sha && echo identical"
	;;
esac
step mtx-status-end mtx -f "$CH" status
echo "=== end rc=0"

#!/bin/bash
# 2000-changer-mtx guest job: mtx against the changer's sg node, drive serials via sg_inq and
# READ ELEMENT STATUS (DVCID). LUNs: changer, tape0, tape1. Env: NSLOTS (storage slots),
# NMAIL (import/export slots). Every step prints "=== NAME rc=N" and its output; the host asserts.
set -u
CH=$VTL_CHANGER_SG
NSLOTS=${NSLOTS:-20}
NMAIL=${NMAIL:-4}
IE1=$((NSLOTS + 1))
step() { # name command...
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	echo "=== $name rc=$rc"
	echo "$out"
}
hexout() { od -An -tx1 -v "$1" | tr -d '\n'; echo; }
status() { step "status-$1" mtx -f "$CH" status; }

step inquiry mtx -f "$CH" inquiry
for t in tape0 tape1; do
	v=VTL_${t^^}_SG
	step "vpd80-$t" sg_inq -p 0x80 "${!v}"
	step "inq-$t" sg_inq "${!v}"
done
# READ ELEMENT STATUS, data transfer elements, VOLTAG=1 DVCID=1, 4 KiB
step res-dvcid sh -c "sg_raw -o /tmp/res.bin -r 4096 $CH b8 14 00 00 ff ff 01 00 10 00 00 00 >/dev/null 2>&1; rc=\$?; head -c 1024 /tmp/res.bin | od -An -tx1 -v | tr -d '\n'; echo; exit \$rc"
status initial
# leftovers from an earlier job go home first (drive N -> its source slot)
for d in 0 1; do mtx -f "$CH" unload "" $d >/dev/null 2>&1; done
status clean
step load-1-0 mtx -f "$CH" load 1 0
status after-load-1-0
step load-2-1 mtx -f "$CH" load 2 1
status after-load-2-1
step load-3-0-full mtx -f "$CH" load 3 0
step unload-2-1 mtx -f "$CH" unload 2 1
step load-empty-1-1 mtx -f "$CH" load 1 1
status after-errors
step unload-1-0 mtx -f "$CH" unload 1 0
status after-unload
step transfer-3-15 mtx -f "$CH" transfer 3 15
status after-transfer
step transfer-4-5-full mtx -f "$CH" transfer 4 5
step transfer-16-17-empty mtx -f "$CH" transfer 16 17
step export-15-ie mtx -f "$CH" transfer 15 $IE1
status after-export
step import-ie-3 mtx -f "$CH" transfer $IE1 3
status after-import
step load-ie-empty mtx -f "$CH" load $IE1 0
status final
echo "=== end rc=0"

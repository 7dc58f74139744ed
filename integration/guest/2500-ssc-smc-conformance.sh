#!/bin/bash
# 2500-ssc-smc-conformance guest job: raw CDBs with sg_raw on the changer's and the drives' sg
# nodes. Every command prints one line
#   X <case> rc=<sg_raw rc> status=<SCSI status> n=<bytes in> sense=[<raw sense hex>] rp=[<READ POSITION short hex>] data=[<hex, when asked>]
# and the host (2500-ssc-smc-conformance.test.ts) decodes and asserts each case.
# LUNs: changer, tape0, tape1. Cartridges expected: slot 1 a data cartridge, slot EWSLOT one with a
# tiny capacity (early warning), slot WORMSLOT a WORM cartridge, slot WPSLOT (when set) an empty
# write-protected one. Env: EWSLOT, WORMSLOT, WPSLOT.
set -u
CH=$VTL_CHANGER_SG
T0=$VTL_TAPE0_SG
T1=$VTL_TAPE1_SG
EWSLOT=${EWSLOT:-11}
WORMSLOT=${WORMSLOT:-12}
head -c 1048576 /dev/urandom >/tmp/wbuf
hex() { od -An -tx1 -v "$@" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }

# x CASE DEV DIR LEN [rp|norp] [data|sum|-] CDB...   DIR: n none, r read LEN bytes, w write LEN bytes of /tmp/wbuf (or $WFILE)
# Parses sg_raw's output with bash builtins only (every fork costs under TCG).
x() {
	local name=$1 dev=$2 dir=$3 len=$4 wantrp=$5 wantdata=$6
	shift 6
	local args=() out rc status="" sense="" n="" rp="" data="" line insense=0
	case $dir in
	r) args=(-r "$len" -o /tmp/x.dat) ;;
	w) args=(-s "$len" -i "${WFILE:-/tmp/wbuf}") ;;
	esac
	out=$(sg_raw -vv -t 300 "${args[@]}" "$dev" "$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		if [[ $line =~ ^SCSI\ Status:\ ([A-Za-z]+)\ ?([A-Za-z]*) ]]; then
			status=${BASH_REMATCH[1]}${BASH_REMATCH[2]:+_${BASH_REMATCH[2]}}
		elif [[ $line == *"Raw sense data"* ]]; then
			insense=1
		elif [ $insense = 1 ] && [[ $line =~ ^\ +([0-9a-f]{2}(\ +[0-9a-f]{2})*)\ *$ ]]; then
			sense="$sense ${BASH_REMATCH[1]}"
		elif [ $insense = 1 ]; then
			insense=2
		fi
		if [[ $line =~ ^Received\ ([0-9]+)\ bytes ]]; then n=${BASH_REMATCH[1]}; fi
	done <<<"$out"
	[ -z "$n" ] && [ "$dir" = r ] && [ -f /tmp/x.dat ] && n=$(stat -c %s /tmp/x.dat)
	[ -z "$n" ] && n=0
	if [ "$wantdata" = data ]; then data=$(od -An -tx1 -v -N "$n" /tmp/x.dat | tr -s ' \n' ' '); fi
	# QEMU's iSCSI SG_IO path reports resid 0 (block/iscsi.c), so n is always the allocation
	# length: a checksum covers the first LEN bytes the case expects (sum:LEN)
	if [[ $wantdata == sum:* ]]; then data=$(head -c "${wantdata#sum:}" /tmp/x.dat | sha256sum); data=${data:0:16}; fi
	if [ "$wantrp" = rp ]; then
		sg_raw -t 60 -r 20 -o /tmp/rp.dat "$dev" 34 00 00 00 00 00 00 00 00 00 >/dev/null 2>&1 && rp=$(od -An -tx1 -v /tmp/rp.dat)
		rp=${rp//$'\n'/ }
	fi
	sense=${sense# }
	echo "X $name rc=$rc status=${status:-?} n=$n sense=[$sense] rp=[$rp] data=[$data]"
	rm -f /tmp/x.dat
}
# ready DEV: TEST UNIT READY until it stops reporting UNIT ATTENTION (max 10)
ready() {
	local i line
	for i in 1 2 3 4 5 6 7 8 9 10; do
		line=$(x "ready-$1" "$2" n 0 norp - 00 00 00 00 00 00)
		echo "$line" | grep -qE 'sense=\[7[0-3] 00 06|sense=\[7[2-3] 06' || break
		echo "$line" | sed 's/^X /UA /'
	done
	echo "$line"
}
sum() { head -c "$1" /tmp/wbuf | sha256sum | cut -c1-16; }
h16() { printf '%02x %02x' $(($1 >> 8 & 255)) $(($1 & 255)); }
h24() { printf '%02x %02x %02x' $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
h32() { printf '%02x %02x %02x %02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
# setblk CASE LEN [DEV]: MODE SELECT(6) block descriptor with block length LEN (0 = variable)
setblk() {
	printf "\\x00\\x00\\x10\\x08\\x00\\x00\\x00\\x00\\x00\\x$(printf %02x $(($2 >> 16 & 255)))\\x$(printf %02x $(($2 >> 8 & 255)))\\x$(printf %02x $(($2 & 255)))" >/tmp/ms.bin
	WFILE=/tmp/ms.bin x "$1" "${3:-$T0}" w 12 norp - 15 10 00 00 0c 00
}

# ---------- changer: element addresses from MODE SENSE page 1Dh
ready ch "$CH"
rm -f /tmp/p1d
sg_raw -r 255 -o /tmp/p1d "$CH" 1a 08 1d 00 ff 00 >/dev/null 2>&1
P=($(od -An -tu1 -v /tmp/p1d))
a() { echo $((P[4 + $1] * 256 + P[5 + $1])); }
MTEA=$(a 2) FSE=$(a 6) NSE=$(a 8) FIE=$(a 10) NIE=$(a 12) FDT=$(a 14) NDT=$(a 16)
echo "ADDR mtea=$MTEA storage=$FSE+$NSE ie=$FIE+$NIE dt=$FDT+$NDT"
S() { echo $((FSE + $1 - 1)); } # storage slot N (1-based) -> element address
x res-voltag "$CH" r 8192 norp data b8 10 00 00 ff ff 00 00 20 00 00 00
x res-dt-dvcid "$CH" r 4096 norp data b8 14 $(h16 "$FDT") $(h16 "$NDT") 01 00 10 00 00 00

# ---------- medium not present (tape1 never gets a cartridge; tape0 is empty at start)
for d in 0 1; do mtx -f "$CH" unload "" $d >/dev/null 2>&1; done
ready t1 "$T1"
x nomedium-tur "$T1" n 0 norp - 00 00 00 00 00 00
x nomedium-read "$T1" r 1000 norp - 08 00 00 03 e8 00
x nomedium-rp "$T1" r 20 norp - 34 00 00 00 00 00 00 00 00 00

# ---------- MOVE MEDIUM slot 1 -> drive 0, and its errors
x move-load "$CH" n 0 norp - a5 00 $(h16 "$MTEA") $(h16 "$(S 1)") $(h16 "$FDT") 00 00 00 00
x move-dest-full "$CH" n 0 norp - a5 00 $(h16 "$MTEA") $(h16 "$(S 2)") $(h16 "$FDT") 00 00 00 00
x move-src-empty "$CH" n 0 norp - a5 00 $(h16 "$MTEA") $(h16 "$(S 1)") $(h16 "$(S $((NSE)))") 00 00 00 00
x move-invalid-element "$CH" n 0 norp - a5 00 $(h16 "$MTEA") $(h16 "$(S 2)") ff f0 00 00 00 00
x move-slot-to-full-slot "$CH" n 0 norp - a5 00 $(h16 "$MTEA") $(h16 "$(S 2)") $(h16 "$(S 3)") 00 00 00 00
x res-after-load "$CH" r 8192 norp data b8 10 00 00 ff ff 00 00 20 00 00 00

# ---------- drive 0: S3V... data cartridge, build a known layout
ready t0 "$T0"
x rewind "$T0" n 0 rp - 01 00 00 00 00 00
setblk setblk-variable 0
# layout: 0:A(1000) 1:B(2000) 2:C(3000) 3:FM 4:D(4000) 5:FM 6..9: 4 x 512 fixed 10:FM 11:EOD
x write-A "$T0" w 1000 rp - 0a 00 00 03 e8 00
x write-B "$T0" w 2000 rp - 0a 00 00 07 d0 00
x write-C "$T0" w 3000 rp - 0a 00 00 0b b8 00
x weof-1 "$T0" n 0 rp - 10 00 00 00 01 00
x write-D "$T0" w 4000 rp - 0a 00 00 0f a0 00
x weof-2 "$T0" n 0 rp - 10 00 00 00 01 00
setblk setblk-512 512
x write-fixed-4 "$T0" w 2048 rp - 0a 01 00 00 04 00
x weof-3 "$T0" n 0 rp - 10 00 00 00 01 00
setblk setblk-variable-2 0
echo "SUM A=$(sum 1000) B1500=$(sum 1500) C=$(sum 3000) D=$(sum 4000) F1024=$(sum 1024)"

# ---------- reads, variable mode
x rewind-2 "$T0" n 0 rp - 01 00 00 00 00 00
x read-exact-A "$T0" r 1000 rp sum:1000 08 00 00 03 e8 00
x read-long-B "$T0" r 1500 rp sum:1500 08 00 00 05 dc 00
x read-short-C "$T0" r 4000 rp sum:3000 08 00 00 0f a0 00
x read-fm-variable "$T0" r 1000 rp - 08 00 00 03 e8 00
x read-sili-short-D "$T0" r 8000 rp sum:4000 08 02 00 1f 40 00
x read-fm-2 "$T0" r 1000 rp - 08 00 00 03 e8 00
# ---------- reads, fixed mode (512)
setblk setblk-512-read 512
x read-fixed-2 "$T0" r 1024 rp sum:1024 08 01 00 00 02 00
x read-fixed-fm "$T0" r 2048 rp - 08 01 00 00 04 00
x read-fixed-eod "$T0" r 1024 rp - 08 01 00 00 02 00
x locate-0 "$T0" n 0 rp - 2b 00 00 00 00 00 00 00 00 00
x read-fixed-ili "$T0" r 512 rp - 08 01 00 00 01 00
x read-fixed-sili-ili "$T0" r 512 rp - 08 03 00 00 01 00
setblk setblk-variable-3 0
x space-eod-0 "$T0" n 0 rp - 11 03 00 00 00 00
x read-variable-eod "$T0" r 1000 rp - 08 00 00 03 e8 00

# ---------- LOCATE(10) (bytes 3-6 = logical object identifier) / SPACE(6) (bytes 2-4 = signed count)
x locate-4 "$T0" n 0 rp - 2b 00 00 00 00 00 04 00 00 00
x read-after-locate "$T0" r 4000 rp sum:4000 08 00 00 0f a0 00
x locate-past-eod "$T0" n 0 rp - 2b 00 00 00 00 00 64 00 00 00
x rewind-3 "$T0" n 0 rp - 01 00 00 00 00 00
x space-eod "$T0" n 0 rp - 11 03 00 00 00 00
x space-fm-back-from-eod "$T0" n 0 rp - 11 01 ff ff ff 00
x read-after-bsf-eod "$T0" r 1000 rp - 08 00 00 03 e8 00
x rewind-4 "$T0" n 0 rp - 01 00 00 00 00 00
x space-blocks-over-fm "$T0" n 0 rp - 11 00 00 00 05 00
x space-fm-past-eod "$T0" n 0 rp - 11 01 00 00 05 00
x locate-3 "$T0" n 0 rp - 2b 00 00 00 00 00 03 00 00 00
x space-blocks-back-2 "$T0" n 0 rp - 11 00 ff ff fe 00
x space-blocks-back-bop "$T0" n 0 rp - 11 00 ff ff fe 00
x locate-6 "$T0" n 0 rp - 2b 00 00 00 00 00 06 00 00 00
x space-fm-back-1 "$T0" n 0 rp - 11 01 ff ff ff 00
x read-long-rp "$T0" r 32 norp data 34 06 00 00 00 00 00 00 00 00
x space-blocks-back-over-fm "$T0" n 0 rp - 11 00 ff ff fe 00

# ---------- unload, early warning cartridge
x unload-t0 "$T0" n 0 norp - 1b 00 00 00 00 00
x move-unload "$CH" n 0 norp - a5 00 $(h16 "$MTEA") $(h16 "$FDT") $(h16 "$(S 1)") 00 00 00 00
x move-load-ew "$CH" n 0 norp - a5 00 $(h16 "$MTEA") $(h16 "$(S "$EWSLOT")") $(h16 "$FDT") 00 00 00 00
ready t0-ew "$T0"
x ew-rewind "$T0" n 0 rp - 01 00 00 00 00 00
setblk ew-setblk-variable 0
good=0
for i in $(seq 1 64); do
	line=$(x "ew-write-$i" "$T0" w 262144 rp - 0a 00 04 00 00 00)
	if echo "$line" | grep -q 'status=Good'; then good=$((good + 1)); else echo "$line"; fi
	echo "$line" | grep -qE 'sense=\[[7f][0-3] 00 [0-9a-f]d|sense=\[7[23] 0d' && break
done
echo "X ew-summary rc=0 status=Good n=$good sense=[] rp=[] data=[]"
x ew-weof-after-overflow "$T0" n 0 rp - 10 00 00 00 01 00
x ew-rewind-2 "$T0" n 0 rp - 01 00 00 00 00 00
x unload-t0-ew "$T0" n 0 norp - 1b 00 00 00 00 00
x move-unload-ew "$CH" n 0 norp - a5 00 $(h16 "$MTEA") $(h16 "$FDT") $(h16 "$(S "$EWSLOT")") 00 00 00 00

# ---------- WORM (drive 1, so an early-warning failure on drive 0 does not cascade)
x move-load-worm "$CH" n 0 norp - a5 00 $(h16 "$MTEA") $(h16 "$(S "$WORMSLOT")") $(h16 $((FDT + 1))) 00 00 00 00
ready t1-worm "$T1"
x worm-rewind "$T1" n 0 rp - 01 00 00 00 00 00
setblk worm-setblk-variable 0 "$T1"
x worm-mode-sense "$T1" r 64 norp data 1a 00 1d 00 40 00
x worm-write-1 "$T1" w 1000 rp - 0a 00 00 03 e8 00
x worm-weof-1 "$T1" n 0 rp - 10 00 00 00 01 00
x worm-write-2 "$T1" w 1000 rp - 0a 00 00 03 e8 00
x worm-rewind-2 "$T1" n 0 rp - 01 00 00 00 00 00
x worm-overwrite "$T1" w 1000 rp - 0a 00 00 03 e8 00
x worm-weof-overwrite "$T1" n 0 rp - 10 00 00 00 01 00
x worm-space-eod "$T1" n 0 rp - 11 03 00 00 00 00
x worm-append "$T1" w 1000 rp - 0a 00 00 03 e8 00
x worm-locate-3 "$T1" n 0 rp - 2b 00 00 00 00 00 03 00 00 00
x worm-read-back "$T1" r 1000 rp sum:1000 08 00 00 03 e8 00
x unload-t1-worm "$T1" n 0 norp - 1b 00 00 00 00 00
x move-unload-worm "$CH" n 0 norp - a5 00 $(h16 "$MTEA") $(h16 $((FDT + 1))) $(h16 "$(S "$WORMSLOT")") 00 00 00 00
# ---------- write protect (drive 1): the switch was set before the run (s3vtl tape protect)
if [ -n "${WPSLOT:-}" ]; then
	x move-load-wp "$CH" n 0 norp - a5 00 $(h16 "$MTEA") $(h16 "$(S "$WPSLOT")") $(h16 $((FDT + 1))) 00 00 00 00
	ready t1-wp "$T1"
	x wp-mode-sense "$T1" r 12 norp data 1a 00 00 00 0c 00
	x wp-rewind "$T1" n 0 rp - 01 00 00 00 00 00
	x wp-write "$T1" w 1000 rp - 0a 00 00 03 e8 00
	x wp-weof "$T1" n 0 rp - 10 00 00 00 01 00
	x wp-erase "$T1" n 0 rp - 19 01 00 00 00 00
	x wp-read "$T1" r 1000 rp - 08 00 00 03 e8 00
	x unload-t1-wp "$T1" n 0 norp - 1b 00 00 00 00 00
	x move-unload-wp "$CH" n 0 norp - a5 00 $(h16 "$MTEA") $(h16 $((FDT + 1))) $(h16 "$(S "$WPSLOT")") 00 00 00 00
fi
x res-final "$CH" r 8192 norp data b8 10 00 00 ff ff 00 00 20 00 00 00
echo "X end rc=0 status=Good n=0 sense=[] rp=[] data=[]"

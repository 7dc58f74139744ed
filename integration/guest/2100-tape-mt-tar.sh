#!/bin/bash
# 2100-tape-mt-tar guest job: mt-st positioning with the status after every step, a 3-archive
# tar tape and dd at 32 KiB..1 MiB variable blocks plus 512 and 64 KiB fixed blocks, all read back
# and compared with sha256. LUNs: changer, tape0 (+ tape1). Env: SLOT (default 4).
# Output: "=== NAME rc=N" sections; "pos-*" sections hold `mt status` + `mt tell`.
set -u
CH=$VTL_CHANGER_SG
T=$VTL_TAPE0_NST
SLOT=${SLOT:-4}
step() { local name=$1 out rc; shift; out=$("$@" 2>&1); rc=$?; echo "=== $name rc=$rc"; echo "$out"; }
pos() {
	local out
	out=$( { mt -f "$T" status; mt -f "$T" tell; } 2>&1)
	echo "=== pos-$1 rc=0"
	echo "$out"
	echo "$out" | sed -n 's/^At block \([0-9]*\)\./\1/p' >/tmp/$1.tell
}
sum() { sha256sum "$1" | cut -c1-64; }

for d in 0 1; do mtx -f "$CH" unload "" $d >/dev/null 2>&1; done
step load mtx -f "$CH" load "$SLOT" 0
for i in $(seq 30); do mt -f "$T" status 2>/dev/null | grep -q ONLINE && break; sleep 1; done
step rewind0 mt -f "$T" rewind
step setblk0 mt -f "$T" setblk 0
pos bot

# ---- three tar archives (64 KiB records), each closed by st's filemark
mkdir -p /tmp/src
for a in A B C; do
	mkdir -p /tmp/src/$a
	head -c $((1 + RANDOM % 3))000000 /dev/urandom >/tmp/src/$a/rand.bin
	head -c 1500000 /dev/urandom >/tmp/src/$a/second.bin
	cp -a /etc/apt /tmp/src/$a/ 2>/dev/null
	(cd /tmp/src/$a && find . -type f -print0 | sort -z | xargs -0 sha256sum) >/tmp/src/$a.sha
done
for i in 0 1 2; do
	a=$(echo A B C | cut -d' ' -f$((i + 1)))
	pos start-file$i
	step tar-write-$a tar -cf "$T" -b 128 -C /tmp/src/$a .
done
pos after-tars
# ---- dd files at variable block sizes: file 3 32k, 4 64k, 5 256k, 6 1M
i=3
for spec in 32k:32768:64 64k:65536:32 256k:262144:16 1M:1048576:8; do
	IFS=: read -r bs bytes n <<<"$spec"
	head -c $((bytes * n)) /dev/urandom >/tmp/dd$i.bin
	echo "=== sum-dd$i rc=0"; sum /tmp/dd$i.bin
	pos start-file$i
	step dd-write-$bs dd if=/tmp/dd$i.bin of="$T" bs=$bs status=none
	i=$((i + 1))
done
pos after-dd
# ---- file 7: fixed 512-byte blocks; file 8: fixed 64 KiB blocks; then an empty file (weof)
head -c $((512 * 100)) /dev/urandom >/tmp/fix512.bin
head -c $((65536 * 10)) /dev/urandom >/tmp/fix64k.bin
pos start-file7
step setblk512 mt -f "$T" setblk 512
step dd-write-fixed512 dd if=/tmp/fix512.bin of="$T" bs=512 status=none
pos after-fixed512-file7
step setblk64k mt -f "$T" setblk 65536
pos start-file8
step dd-write-fixed64k dd if=/tmp/fix64k.bin of="$T" bs=64k status=none
step setblk0b mt -f "$T" setblk 0
pos after-fixed64k
step weof mt -f "$T" weof 1
pos after-weof
# tape: [A]fm[B]fm[C]fm[32k]fm[64k]fm[256k]fm[1M]fm[512f]fm[64kf]fm fm EOD  (10 filemarks)

# ---- positioning, status after each step
step rewind mt -f "$T" rewind
pos rewind
step fsf2 mt -f "$T" fsf 2
pos fsf2
step fsr3 mt -f "$T" fsr 3
pos fsr3
step bsr2 mt -f "$T" bsr 2
pos bsr2
step bsf1 mt -f "$T" bsf 1
pos bsf1
step fsf1 mt -f "$T" fsf 1
pos fsf1-after-bsf
step eod mt -f "$T" eod
pos eod
step bsf1-eod mt -f "$T" bsf 1
pos bsf1-eod
step read-at-fm sh -c "dd if=$T bs=64k count=1 status=none | wc -c"
step eod2 mt -f "$T" eod
step bsf3-eod mt -f "$T" bsf 3
pos bsf3-eod
step fsf1-eod mt -f "$T" fsf 1
pos bsf3-fsf1-eod
step read-after-bsf3 sh -c "dd if=$T bs=64k count=1 status=none | sha256sum | cut -c1-64; head -c 65536 /tmp/fix64k.bin | sha256sum | cut -c1-64"
# seek into file 4 (64 KiB blocks): start of file 4 + 5 blocks
step seek-file4 sh -c "b=\$(cat /tmp/start-file4.tell); mt -f $T seek \$((b + 5))"
pos seek-file4
step read-after-seek sh -c "dd if=$T bs=64k count=1 status=none | sha256sum | cut -c1-64; dd if=/tmp/dd4.bin bs=64k skip=5 count=1 status=none | sha256sum | cut -c1-64"
step seek0 mt -f "$T" seek 0
pos seek0

# ---- read everything back
for i in 0 1 2; do
	a=$(echo A B C | cut -d' ' -f$((i + 1)))
	mkdir -p /tmp/dst/$a
	step tar-read-$a sh -c "mt -f $T rewind && mt -f $T fsf $i && tar -xf $T -b 128 -C /tmp/dst/$a && cd /tmp/dst/$a && sha256sum --quiet -c /tmp/src/$a.sha"
done
i=3
for bs in 32k 64k 256k 1M; do
	step dd-read-$bs sh -c "mt -f $T rewind && mt -f $T fsf $i && dd if=$T of=/tmp/rd$i.bin bs=$bs status=none && cmp /tmp/dd$i.bin /tmp/rd$i.bin && echo identical"
	pos after-read-file$i
	i=$((i + 1))
done
step dd-read-fixed512 sh -c "mt -f $T rewind && mt -f $T fsf 7 && mt -f $T setblk 512 && dd if=$T of=/tmp/rf512.bin bs=512 status=none && cmp /tmp/fix512.bin /tmp/rf512.bin && echo identical"
pos after-read-fixed512
step dd-read-fixed64k sh -c "mt -f $T setblk 65536 && mt -f $T fsf 0; dd if=$T of=/tmp/rf64k.bin bs=64k status=none && cmp /tmp/fix64k.bin /tmp/rf64k.bin && echo identical"
step setblk0c mt -f "$T" setblk 0
step rewind-end mt -f "$T" rewind
step offline mt -f "$T" offline
step unload mtx -f "$CH" unload "$SLOT" 0
echo "=== end rc=0"

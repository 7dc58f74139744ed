#!/bin/bash
# amanda-cycle.sh — guest job (../shared/guest/run) for integration/4100-amanda-cycle: an Amanda
# dumpcycle through the library in one boot. LUNs: changer, tape0, tape1. Share (--share):
#   amanda.conf   config/examples/amanda.conf, run as it is with this guest's devices and the
#                 suite's small cartridges appended
#   fault-request written here ("sigterm" / "kill9") when the host must restart the target;
#   fault-done    the host's answer once the target is back
# Steps (each "==== name" ... "PASS name (N s)" / "FAIL name ..."):
#   label        the trees and the disklist; amlabel the first cartridge (tagged TAG) with its
#                barcode (the taper autolabels the next ones when it needs them); amcheck
#   run1         amdump: level 0 of /srv/a (bigger than one cartridge: spans two) and /srv/b
#   run2         files added, changed (contents, sizes, modes) and deleted; amdump: level 1 of both
#   find         amadmin find: both levels of both disks
#   restore      amfetchdump of level 0 then level 1 of each disk, extracted with GNU tar
#                --incremental (deleted files go), compared file by file with the sources
#   reuse        /srv/c added (run 3, the 4th volume); run 4 must overwrite the oldest volume
#                (tapecycle 4: Amanda keeps the newest 3)
#   fault-KIND   the target restarted (KIND sigterm | kill9) while amdump tapes /srv/dN (after
#                its first part is on tape): amdump ends, amflush writes what stayed in holding,
#                the dump restores and compares; after the last, /srv/c (taped before the
#                faults) still restores
# Prints "N passed, N failed"; exits non-zero when a step failed.
set -u
CH_SG=${VTL_CHANGER_SG:?}
T0=${VTL_TAPE0_NST:?}
T1=${VTL_TAPE1_NST:-/dev/nst1}
H=${VTL_SHARE:-/mnt/host}
TAG=${CYCLE_TAG:-CYC}
STEPS=${CYCLE_STEPS:-label,run1,run2,find,restore,reuse,fault-sigterm,fault-kill9}
CONF=daily
ETC=/etc/amanda/$CONF
VAR=/var/lib/amanda/$CONF
pass=0 fail=0
as_backup() { runuser -u backup -- "$@"; }
slots_of() { mtx -f "$CH_SG" status | sed -n "s/^ *Storage Element \([0-9]*\):Full :VolumeTag=$TAG.*/\1/p"; }
tag_of() { mtx -f "$CH_SG" status | sed -n "s/^ *Storage Element $1:Full :VolumeTag=\([A-Z0-9]*\).*/\1/p"; }
step() { # name command...
	local name=$1 t0 rc log
	shift
	echo "==== $name"
	t0=$(date +%s)
	"$@"
	rc=$?
	if [ $rc = 0 ]; then echo "PASS $name ($(($(date +%s) - t0)) s)"; pass=$((pass + 1))
	else
		echo "FAIL $name (status $rc, $(($(date +%s) - t0)) s)"; fail=$((fail + 1))
		log=$(ls -t $(find /var/log/amanda -name '*.debug' 2>/dev/null) 2>/dev/null | head -n 1)
		[ -n "$log" ] && { echo "---- tail of $log"; tail -n 40 "$log"; }
	fi
	return $rc
}

# Type, mode, size and SHA-256 of every entry under DIR (not DIR itself), sorted by path.
manifest() {
	perl -MDigest::SHA -MFile::Find -e '
		my $root = shift; my @out;
		find({ no_chdir => 1, wanted => sub {
			return if $_ eq $root; my $p = substr($_, length($root) + 1); my @s = lstat($_);
			my $type = -l _ ? "l" : -d _ ? "d" : "f";
			my $sum = $type eq "f" ? Digest::SHA->new(256)->addfile($_)->hexdigest : "-";
			push @out, sprintf("%s %04o %d %s %s\n", $type, $s[2] & 07777, $type eq "f" ? $s[7] : 0, $sum, $p);
		} }, $root);
		print sort @out;' "$1"
}

# A tree of N small files (sizes 100..9000 bytes, some modes) under DIR/SUB; seeded.
small_files() { # dir sub n seed
	perl -e '
		my ($dir, $sub, $n, $seed) = @ARGV; srand($seed);
		for my $i (1 .. $n) {
			my $d = sprintf("%s/%s/d%02d", $dir, $sub, $i % 12); system("mkdir", "-p", $d) unless -d $d;
			my $f = sprintf("%s/f%04d.dat", $d, $i);
			open(my $fh, ">", $f) or die "$f: $!"; print $fh pack("N*", map { int(rand(2**32)) } 1 .. (25 + int(rand(2250)))); close $fh;
			chmod(($i % 7 == 0) ? 0600 : ($i % 11 == 0) ? 0755 : 0644, $f);
		}' "$@"
}

configure() {
	mkdir -p $ETC $VAR/log $VAR/index $VAR/curinfo /var/lib/amanda/holding
	# The example as it is, with this guest's device nodes and the slots of the cycle; then the
	# suite's small cartridges and short cycle appended (later lines override earlier ones).
	sed -e "s#chg-robot:/dev/sg0#chg-robot:$CH_SG#" -e "s#tape:/dev/nst0#tape:$T0#" -e "s#tape:/dev/nst1#tape:$T1#" \
		-e "s#\"use-slots\" \"1-20\"#\"use-slots\" \"$CYCLE_SLOTS\"#" -e "s#use -1 gbytes#use 250 mbytes#" \
		"$H/amanda.conf" >$ETC/amanda.conf || return 1
	cat >>$ETC/amanda.conf <<-CONF

	# ---- integration/4100-amanda-cycle: small cartridges, a short cycle, local auth
	dumpcycle 4 days
	runspercycle 4
	tapecycle 4 tapes         # Amanda keeps the newest tapecycle-1 volumes (retention-tapes), which must exceed runtapes
	runtapes 2
	define tapetype VTL-SMALL {
	    LTO6-VTL
	    comment "suite cartridge: ${CART_MB} MiB"
	    length $((CART_MB - 2)) mbytes
	    part-size 8 mbytes
	    part-cache-max-size 8 mbytes
	}
	tapetype "VTL-SMALL"
	labelstr "^$TAG[0-9]{3}L6\$"
	define dumptype cycle-tar {
	    vtl-gnutar
	    auth "local"
	    estimate calcsize         # sizes from stat(), not a tar pass over the data
	}
	CONF
	: >$ETC/disklist
	chown -R backup:backup $ETC $VAR /var/lib/amanda/holding
	echo "---- $ETC/amanda.conf (tail)"; tail -n 20 $ETC/amanda.conf
}
add_disk() { echo "vtl-guest $1 cycle-tar" >>$ETC/disklist; }

label() {
	local slot
	make_trees || return 1
	# amlabel by barcode for the first; the taper labels the others with their barcodes when it
	# first needs them (the example's autolabel "$b" empty)
	slot=$(slots_of | head -n 1)
	as_backup amlabel $CONF "$(tag_of "$slot")" slot "$slot" || return 1
	as_backup amcheck $CONF
}

report() { # the newest run's report; prints it and its tape write rate
	as_backup amreport $CONF --text /tmp/amreport.txt
	cat /tmp/amreport.txt
	sed -n 's/^Avg Tp Write Rate (k\/s) *\([0-9.-]*\).*/RATE tp-write-kps \1/p' /tmp/amreport.txt | head -n 1
}

amdump_run() { # name [host disk]: amdump, its report; fails on a non-zero exit
	local rc
	as_backup amdump $CONF "$@"
	rc=$?
	echo "amdump exit $rc"
	report
	return $rc
}

make_trees() {
	mkdir -p /srv/a /srv/b
	head -c $((44 * 1024 * 1024)) /dev/urandom >/srv/a/big.bin
	small_files /srv/a tree 40 1
	small_files /srv/b tree 300 2
	ln -s tree/d01 /srv/b/link-to-d01
	add_disk /srv/a
	add_disk /srv/b
	chown -R backup:backup $ETC/disklist
	manifest /srv/a >/tmp/m-a.0; manifest /srv/b >/tmp/m-b.0
	echo "level 0 sources: $(grep -c '^f' /tmp/m-a.0) + $(grep -c '^f' /tmp/m-b.0) files, $(du -sb /srv/a /srv/b | awk '{s+=$1} END {print s}') bytes"
}

run1() { amdump_run; }

run2() {
	# changes of every kind: added, changed (contents, size, mode), deleted (files and a directory)
	small_files /srv/a new 10 3
	head -c 300000 /dev/urandom >>/srv/a/tree/d01/f0001.dat
	printf 'rewritten\n' >/srv/a/tree/d02/f0002.dat
	chmod 0640 /srv/a/tree/d03/f0003.dat
	rm -f /srv/a/tree/d05/f0005.dat /srv/a/tree/d06/f0006.dat
	small_files /srv/b added 25 4
	for i in 0010 0020 0030 0040; do f=$(ls /srv/b/tree/d*/f$i.dat); head -c 5000 /dev/urandom >"$f"; done
	chmod 0700 /srv/b/tree/d01
	rm -rf /srv/b/tree/d07
	rm -f /srv/b/tree/d08/f0008.dat
	manifest /srv/a >/tmp/m-a.1; manifest /srv/b >/tmp/m-b.1
	echo "changes a: $(diff /tmp/m-a.0 /tmp/m-a.1 | grep -c '^[<>]') lines; b: $(diff /tmp/m-b.0 /tmp/m-b.1 | grep -c '^[<>]') lines of manifest differ"
	as_backup amadmin $CONF force-level-1 vtl-guest || echo "(no force-level-1)"
	amdump_run
}

find_dumps() {
	as_backup amadmin $CONF find vtl-guest | tee /tmp/find.txt
	echo "---- tapelist"; cat $ETC/tapelist
	local d l
	for d in /srv/a /srv/b; do for l in 0 1; do
		awk -v d="$d" -v l="$l" '$4 == d && $5 == l && $NF == "OK"' /tmp/find.txt | grep -q . || { echo "no OK level $l of $d"; return 1; }
	done; done
}

stamp_of() { # disk level: the dump's timestamp (YYYYMMDDhhmmss) from amadmin find
	awk -v d="$1" -v l="$2" '$4 == d && $5 == l { gsub(/[-:]/, "", $1); gsub(/[-:]/, "", $2); print $1 $2; exit }' /tmp/find.txt
}

fetch() { # disk stamp level out
	as_backup sh -c "cd /tmp && amfetchdump -p $CONF vtl-guest '^$1\$' $2 $3 >$4 2>/tmp/amfetchdump.err"
	local rc=$?
	cat /tmp/amfetchdump.err
	if [ $rc != 0 ] && grep -qE 'xfer-source-recovery\.c:[0-9]+:start_part_impl: assertion failed' /tmp/amfetchdump.err; then
		echo "RETRY amfetchdump: Amanda's start_part_impl assertion; restoring again"
		as_backup sh -c "cd /tmp && amfetchdump -p $CONF vtl-guest '^$1\$' $2 $3 >$4"
		rc=$?
	fi
	return $rc
}

compare() { # name source-manifest restored-dir
	manifest "$3" >/tmp/m-restored.$1
	if ! diff "$2" /tmp/m-restored.$1 >/tmp/diff.$1; then
		echo "restored $1 DIFFERS from the source:"; head -n 40 /tmp/diff.$1; return 1
	fi
	echo "COMPARED $1 files=$(grep -c '^f' "$2") bytes=$(awk '$1 == "f" {s += $3} END {print s + 0}' "$2") identical"
}

restore() {
	local d n l stamp
	for d in a b; do
		rm -rf /tmp/r-$d && mkdir -p /tmp/r-$d
		for l in 0 1; do
			stamp=$(stamp_of /srv/$d $l)
			[ -n "$stamp" ] || { echo "no level $l of /srv/$d"; return 1; }
			fetch /srv/$d "$stamp" $l /tmp/dump-$d-$l.tar || return 1
			echo "level $l of /srv/$d ($stamp): $(stat -c %s /tmp/dump-$d-$l.tar) bytes"
			tar -xpf /tmp/dump-$d-$l.tar --incremental -C /tmp/r-$d || return 1
			rm -f /tmp/dump-$d-$l.tar
		done
		compare $d /tmp/m-$d.1 /tmp/r-$d || return 1
		if [ $d = b ]; then # the comparison itself must see a file that grew by two bytes
			echo x >>"$(find /tmp/r-b -type f -name '*.dat' | head -n 1)"
			compare b-changed /tmp/m-b.1 /tmp/r-b >/dev/null && { echo "compare missed a changed file"; return 1; }
			echo "SELFCHECK compare sees a changed file"
		fi
		rm -rf /tmp/r-$d
	done
}

reuse() {
	local oldest
	# run 3: a new disk, on the last new volume; run 4 must then overwrite the oldest one
	mkdir -p /srv/c
	small_files /srv/c tree 60 5
	manifest /srv/c >/tmp/m-c
	add_disk /srv/c
	amdump_run vtl-guest /srv/c || return 1
	as_backup amadmin $CONF find vtl-guest /srv/c | tee /tmp/find-c.txt
	echo "---- tapelist"; cat $ETC/tapelist
	oldest=$(tail -n 1 $ETC/tapelist | awk '{print $2}')
	echo "oldest volume: $oldest"
	printf 'run 4\n' >/srv/b/run4.txt
	amdump_run vtl-guest /srv/b || return 1
	echo "---- tapelist"; cat $ETC/tapelist
	head -n 1 $ETC/tapelist | grep -q " $oldest " && echo "REUSED $oldest" || { echo "run 4 did not write to the oldest volume $oldest"; return 1; }
	# /srv/c's volume holds the dump written before the faults: keep it out of the rotation
	as_backup amadmin $CONF no-reuse "$(awk '$4 == "/srv/c" && $NF == "OK" {print $8; exit}' /tmp/find-c.txt)"
}

fault() { # kind disk
	local kind=$1 d=$2 pid i rc got=0
	# the rest of the library for these runs; blank cartridges are labelled with their barcode (autolabel)
	sed -i "s#\"use-slots\" \"$CYCLE_SLOTS\"#\"use-slots\" \"$FAULT_SLOTS\"#" $ETC/amanda.conf
	mkdir -p $d
	head -c $((40 * 1024 * 1024)) /dev/zero >$d/zeros.bin
	small_files $d tree 30 6
	manifest $d >/tmp/m-fault
	add_disk $d
	rm -f $H/fault-request $H/fault-done
	rm -f $VAR/log/amdump
	as_backup timeout 900 amdump $CONF vtl-guest "$d" &
	pid=$!
	# the target is restarted once the first part of this dump is on tape (a sync point)
	for i in $(seq 1200); do
		if grep -q "PARTDONE" $VAR/log/amdump 2>/dev/null; then got=1; break; fi
		kill -0 $pid 2>/dev/null || break
		sleep 0.25
	done
	if [ $got = 1 ]; then
		echo "$kind" >$H/fault-request.tmp && mv $H/fault-request.tmp $H/fault-request # whole, never half-written
		echo "FAULT asked: $kind at $(date +%T), after: $(grep PARTDONE $VAR/log/amdump | head -n 1)"
		for i in $(seq 600); do [ -e $H/fault-done ] && break; sleep 0.2; done
		echo "FAULT done: $(cat $H/fault-done 2>/dev/null || echo 'no answer from the host') at $(date +%T)"
	else
		echo "FAULT not injected: amdump ended before a part was on tape"
	fi
	wait $pid
	rc=$?
	echo "AMDUMP-EXIT $kind $rc"
	echo "---- what Amanda printed: amreport"
	report
	echo "---- amdump log: what the driver heard from the taper"
	grep -hiE "error|fail|partial|retry|from taper.*(DONE|PARTDONE)" $(ls -t $VAR/log/amdump.* 2>/dev/null | head -n 1) | tail -n 25
	echo "---- taper debug log: errors"
	grep -hiE "error|fail|retry|unit attention|reset|I/O" $(ls -t /var/log/amanda/server/$CONF/taper.*.debug 2>/dev/null | head -n 1) | tail -n 15
	echo "---- kernel (st/ch) messages since the fault"
	dmesg | grep -E " (st|ch) " | tail -n 8
	[ $got = 1 ] || return 1
	# what stayed in holding goes to tape now; a run that failed is run again; a run that
	# ended well (the taper retried the failed part on the next cartridge) needs neither
	echo "---- holding: $(find /var/lib/amanda/holding -type f | wc -l) files"
	if [ -n "$(find /var/lib/amanda/holding -type f)" ]; then
		as_backup amflush -b -f $CONF; rc=$?; echo "AMFLUSH-EXIT $kind $rc"
		report
	elif [ $rc != 0 ]; then
		as_backup amdump $CONF vtl-guest "$d"; rc=$?; echo "RERUN-EXIT $kind $rc"
		report
	else
		echo "HANDLED $kind: amdump finished the dump itself"
	fi
	[ $rc = 0 ] || return 1
	as_backup amadmin $CONF find vtl-guest "$d" | tee /tmp/find-d.txt
	local stamp
	stamp=$(awk -v d="$d" '$4 == d && $5 == 0 && $NF == "OK" { gsub(/[-:]/, "", $1); gsub(/[-:]/, "", $2); s = $1 $2 } END { print s }' /tmp/find-d.txt)
	rm -rf /tmp/r-fault && mkdir -p /tmp/r-fault
	fetch "$d" "$stamp" 0 /tmp/dump-fault.tar || return 1
	tar -xpf /tmp/dump-fault.tar --incremental -C /tmp/r-fault || return 1
	rm -f /tmp/dump-fault.tar
	compare "fault-$kind" /tmp/m-fault /tmp/r-fault || return 1
	rm -rf /tmp/r-fault $d
	[ "$kind" = kill9 ] || return 0
	# the dump taped before the faults
	local cstamp
	cstamp=$(awk '$4 == "/srv/c" && $NF == "OK" { gsub(/[-:]/, "", $1); gsub(/[-:]/, "", $2); print $1 $2; exit }' /tmp/find-c.txt)
	rm -rf /tmp/r-c && mkdir -p /tmp/r-c
	fetch /srv/c "$cstamp" 0 /tmp/dump-c.tar && tar -xpf /tmp/dump-c.tar --incremental -C /tmp/r-c && compare "c-after-$kind" /tmp/m-c /tmp/r-c
}

echo "==== mtx status"
mtx -f "$CH_SG" status
set -- $(slots_of)
[ $# -ge 6 ] || { echo "want >= 6 cartridges tagged $TAG, have $#"; exit 1; }
CYCLE_SLOTS="$1-$4"
FAULT_SLOTS="$1-${!#}"
CART_MB=${CART_MB:-40}
configure || exit 1
for s in $(echo "$STEPS" | tr ',' ' '); do
	case $s in
	label | run1 | run2 | restore | reuse) step "$s" "$s" || { [ $s = label ] && break; } ;;
	find) step find find_dumps ;;
	fault-sigterm) step fault-sigterm fault sigterm /srv/d1 ;;
	fault-kill9) step fault-kill9 fault kill9 /srv/d2 ;;
	*) echo "unknown step $s"; fail=$((fail + 1)) ;;
	esac
done
echo "---- amadmin find (end)"
as_backup amadmin $CONF find vtl-guest
mtx -f "$CH_SG" status
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

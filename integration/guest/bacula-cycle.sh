#!/bin/bash
# bacula-cycle.sh — guest job (../shared/guest/run): a Bacula backup cycle through the library.
# Director, storage daemon and file daemon (SQLite catalog) from config/examples/bacula-{dir,sd}.conf
# (the host copies them to the share's conf/; this script fills their @...@ values), the
# autochanger through mtx-changer. LUNs: changer, tape0, tape1. Share (/mnt/host):
#   conf/bacula-{dir,sd}.conf  the examples
#   src.tar                    the tree as the Full sees it
#   c1/, c2/                   changes before the Differential and before the Incremental:
#                              files.tar (extracted over the tree), delete (paths), chmod ("MODE path")
# Steps: label barcodes; Full (spans two cartridges: small capacity), c1, Differential, c2,
# Incremental; restore of the newest state and of the Full alone; a Nightly pool whose volumes
# are pruned after seconds: two jobs fill its two volumes, a third purges and recycles one;
# then two Stream jobs (one big random file) during which the host restarts the target (marker
# files fault-term.mid / fault-kill.mid once the file daemon sent STREAM_MID_MB, the host
# answers with *.done), each restored and its checksum printed, a Stream job that must
# succeed, and the newest state restored again.
# Output: each step as "=== NAME rc=N secs=S" then its output; manifests of trees as
# "M <type> <mode> <size> <sha256|-> <path>" lines. The host judges; this script only reports.
set -u
H=${VTL_SHARE:-/mnt/host}
W=/tmp/work
CH=${VTL_CHANGER_SG:?}
DATA=$W/data
BC="bconsole -c $W/bconsole.conf"
STREAM_MB=${STREAM_MB:-64}
STREAM_MID_MB=${STREAM_MID_MB:-24}

step() { # name cmd... : run, then print header, timing and output
	local name=$1 t0 out rc
	shift
	t0=$(date +%s)
	out=$("$@" 2>&1)
	rc=$?
	echo "=== $name rc=$rc secs=$(($(date +%s) - t0))"
	echo "$out"
}
bc() { printf '%s\n' "$@" | $BC; }
# queue a job (bconsole lines), wait for it at most JOB_TIMEOUT s (then cancel it), print its
# messages (the job report) and catalog record; status 0 when it terminated normally
queue() {
	local out id
	out=$(bc "$@")
	echo "$out" | grep -E 'JobId|Error|error'
	id=$(echo "$out" | sed -n 's/.*JobId=\([0-9]*\).*/\1/p' | tail -n 1)
	[ -n "$id" ] || { echo "$out"; return 1; }
	if ! timeout "${JOB_TIMEOUT:-240}" $BC <<<"wait jobid=$id" >/dev/null; then
		echo "job $id still running after ${JOB_TIMEOUT:-240} s: cancelled"
		bc "status dir" "status storage=s3vtl" "cancel jobid=$id yes"
	fi
	bc messages
	bc "llist jobid=$id" | grep -E '^ *(jobid|name|level|jobstatus|jobfiles|jobbytes):'
	echo "JOBID $id"
	bc "list jobid=$id" | grep -q "| T  *|" # terminated normally
}
job() { queue "run $* yes"; }
manifest() { # dir : one M line per entry below dir (few processes: forks are slow under TCG)
	(cd "$1" && { find . -mindepth 1 \( -type f -o -type d \) -printf 'L %y %m %s %p\n'; find . -type f -print0 | xargs -0 -r sha256sum; } |
		awk '$1 == "L" { n++; p[n] = $5; y[$5] = $2; m[$5] = $3; s[$5] = $4; next }
			{ h[$2] = $1 }
			END { for (i = 1; i <= n; i++) { q = p[i]; print "M", y[q], m[q], (y[q] == "f" ? s[q] : 0), (y[q] == "f" ? h[q] : "-"), q } }')
}
apply_change() { # share subdir
	local c=$H/$1
	tar -xpf "$c/files.tar" -C "$DATA"
	while read -r p; do [ -n "$p" ] && rm -rf "$DATA/$p"; done <"$c/delete"
	while read -r m p; do [ -n "$p" ] && chmod "$m" "$DATA/$p"; done <"$c/chmod"
	touch "$DATA" # a directory whose entries changed
}

# ---- configuration: the examples, host-specific values filled in
mkdir -p /run/bacula /var/lib/bacula $W/etc
fill() {
	sed -e "s|@DIR_NAME@|vtl-dir|g; s|@DIR_PASSWORD@|dir-secret|g; s|@SD_NAME@|vtl-sd|g" \
		-e "s|@SD_ADDRESS@|localhost|g; s|@SD_PASSWORD@|sd-secret|g; s|@FD_NAME@|vtl-fd|g" \
		-e "s|@FD_ADDRESS@|localhost|g; s|@FD_PASSWORD@|fd-secret|g; s|@WORKDIR@|/var/lib/bacula|g" \
		-e "s|@PIDDIR@|/run/bacula|g; s|@CATALOG_DB@|bacula|g; s|@BACKUP_DIR@|$DATA|g" \
		-e "s|@VOLUME_RETENTION@|${VOLUME_RETENTION:-3 seconds}|g" \
		-e "s|@CHANGER@|$CH|g; s|@DRIVE0@|$VTL_TAPE0_NST|g; s|@DRIVE1@|$VTL_TAPE1_NST|g" "$1"
}
fill "$H/conf/bacula-sd.conf" >$W/etc/bacula-sd.conf
fill "$H/conf/bacula-dir.conf" >$W/etc/bacula-dir.conf
# what only this suite needs: a pool for the fault jobs, a FIFO job the script feeds, a small
# job for the recycling pool; timeouts short enough that a failed job ends in seconds
cat >>$W/etc/bacula-dir.conf <<-CONF
	Pool {
	  Name = Fault
	  Pool Type = Backup
	  Storage = s3vtl
	  Maximum Volume Jobs = 1
	}
	FileSet {
	  Name = "Stream"
	  Include {
	    Options { signature = MD5 }
	    File = "$W/stream.bin"
	  }
	}
	FileSet {
	  Name = "Small"
	  Include { File = "$DATA/small" }
	}
	Job {
	  Name = "Stream"
	  Type = Backup
	  Level = Full
	  Client = vtl-fd
	  FileSet = "Stream"
	  Storage = s3vtl
	  Pool = Fault
	  Messages = Standard
	  Max Run Time = 150
	  # slow enough that the host's restart lands in the middle (a cached file goes at 20+ MB/s)
	  Maximum Bandwidth = 4 mb/s
	}
	Job {
	  Name = "Small"
	  Type = Backup
	  Level = Full
	  Client = vtl-fd
	  FileSet = "Small"
	  Storage = s3vtl
	  Pool = Nightly
	  Messages = Standard
	}
CONF
cat >$W/etc/bacula-fd.conf <<-CONF
	FileDaemon {
	  Name = vtl-fd
	  FDport = 9102
	  WorkingDirectory = /var/lib/bacula
	  Pid Directory = /run/bacula
	  Plugin Directory = /usr/lib/bacula
	  Heartbeat Interval = 10
	}
	Director {
	  Name = vtl-dir
	  Password = "fd-secret"
	}
	Messages {
	  Name = Standard
	  director = vtl-dir = all, !skipped, !restored
	}
CONF
cat >$W/bconsole.conf <<-CONF
	Director {
	  Name = vtl-dir
	  DIRport = 9101
	  address = localhost
	  Password = "dir-secret"
	}
CONF
sed -i 's/^debug_log=0/debug_log=1/' /etc/bacula/scripts/mtx-changer.conf

T_ALL=$(date +%s)
step config sh -c "bacula-sd -t -c $W/etc/bacula-sd.conf && bacula-dir -t -c $W/etc/bacula-dir.conf && bacula-fd -t -c $W/etc/bacula-fd.conf"
step catalog sh -c "rm -f /var/lib/bacula/bacula.db && sed 's/XXX_DBNAME_XXX/bacula/' /usr/share/bacula-director/make_sqlite3_tables >$W/mk.sh && sh $W/mk.sh >$W/mk.log 2>&1 && ls -l /var/lib/bacula/bacula.db"
step daemons sh -c "bacula-fd -c $W/etc/bacula-fd.conf && bacula-sd -c $W/etc/bacula-sd.conf && bacula-dir -c $W/etc/bacula-dir.conf && sleep 1 && echo status dir | $BC | head -n 5"

# ---- the tree
mkdir -p "$DATA"
step tree sh -c "tar -xpf $H/src.tar -C $DATA && find $DATA -type f -printf '%s\n' | awk '{n++; b+=\$1} END {print \"tree: \" n \" files, \" b \" bytes\"}'"

step label-barcodes bc "label storage=s3vtl pool=Cycle barcodes slots=1-2 drive=0" yes \
	"label storage=s3vtl pool=Nightly barcodes slots=4-5 drive=0" yes \
	"label storage=s3vtl pool=Fault barcodes slots=6-10 drive=0" yes "list media"
step full job job=Tree level=Full
sleep 1
apply_change c1
step differential job job=Tree level=Differential
sleep 1
apply_change c2
step incremental job job=Tree level=Incremental
step media-cycle bc "list media pool=Cycle"

step restore-newest queue "restore client=vtl-fd fileset=Tree where=$W/r-newest current select all done yes"
echo "=== manifest-newest rc=0"
manifest "$W/r-newest$DATA"
FULL_ID=$(bc "list jobs" | awk -F'|' '$3 ~ /Tree/ && $6 ~ /F/ {gsub(/[ ,]/, "", $2); print $2; exit}')
step restore-full queue "restore jobid=$FULL_ID client=vtl-fd where=$W/r-full all done yes"
echo "=== manifest-full rc=0"
manifest "$W/r-full$DATA"
rm -rf "$W/r-newest" "$W/r-full"

# ---- recycling: Maximum Volume Jobs = 1, short Volume Retention
mkdir -p "$DATA/small"
step recycle-1 job job=Small
step recycle-2 job job=Small
sleep 4
step recycle-3 job job=Small
step media-nightly bc "list media pool=Nightly"

# ---- faults: the host restarts the target while a Stream job writes one big random file
watch_fd() { # name : say "mid" through the share once the file daemon sent STREAM_MID_MB
	local b
	for _ in $(seq 600); do
		b=$(echo "status client=vtl-fd" | $BC 2>/dev/null | sed -n 's/.*Files=1 Bytes=\([0-9,]*\).*/\1/p' | tr -d , | head -n 1)
		if [ -n "$b" ] && [ "$b" -ge $((STREAM_MID_MB * 1048576)) ]; then
			echo "$b" >"$H/$1.mid"
			return 0
		fi
		sleep 0.3
	done
}
wait_done() { for _ in $(seq 240); do [ -f "$H/$1.done" ] && return 0; sleep 0.5; done; echo "no $1.done from the host"; return 1; }
last_stream() { bc "list jobs" | awk -F'|' '$3 ~ /Stream/ { id = $2 } END { gsub(/[ ,]/, "", id); print id }'; }
restore_stream() { # name : restore the newest Stream job, compare the file
	local id
	id=$(last_stream)
	JOB_TIMEOUT=75 queue "restore jobid=$id client=vtl-fd where=$W/r-$1 all done yes"
	echo "STREAM-RESTORED $(sha256sum <"$W/r-$1$W/stream.bin" | cut -d' ' -f1) jobid=$id"
	rm -rf "$W/r-$1"
}
step stream-file sh -c "head -c $((STREAM_MB * 1048576)) /dev/urandom >$W/stream.bin && echo STREAM-SHA \$(sha256sum <$W/stream.bin | cut -d' ' -f1)"
for f in fault-term fault-kill; do
	watch_fd $f &
	wpid=$!
	step $f job job=Stream
	kill $wpid 2>/dev/null
	wait
	step $f-host wait_done $f
	step $f-status sh -c "echo 'status storage=s3vtl' | $BC; mtx -f $CH status"
	step $f-restore restore_stream $f
done
step after-fault job job=Stream
step media-fault bc "list media pool=Fault"

step restore-again queue "restore client=vtl-fd fileset=Tree where=$W/r-again current select all done yes"
echo "=== manifest-again rc=0"
manifest "$W/r-again$DATA"

step jobs bc "list jobs"
step mtx-status mtx -f "$CH" status
echo "=== mtx-log rc=0"
tail -n 30 /var/lib/bacula/mtx.log 2>/dev/null
echo "=== total rc=0 secs=$(($(date +%s) - T_ALL))"
echo "=== end rc=0"

#!/bin/bash
# 4200-disaster-drills job, two boots (PHASE=write|verify). The share (/mnt/host) is the only
# channel to the host: the runbook's steps (runbook/NAME.sh|sql, sourced or sent as written),
# events.log (what happened, guest clock), clock pings, and the host's answers.
#  write:  mdadm RAID1 (metadata 1.0) of a loop disk in tmpfs and the CDP LUN "cdp", ext4 at
#          /srv/db, MariaDB's datadir on it; a workload commits numbered transactions (each
#          in `orders` and `journal`) and logs the guest time before and after each COMMIT;
#          a bookmark with the database flushed and the filesystem frozen; a "user error"
#          (DROP TABLE orders); then `journal` alone until the host says the gateway is lost
#          (the host then ends this VM).
#  verify: for each disk (db: the recovered volume; pit, mark: exposed instants behind a
#          copy-on-write layer) mount, start MariaDB (crash recovery), list what it holds.
# Clock: the host answers pings with its own clock (events "clock TAG g1 host g2").
set -u
H=${VTL_SHARE:-/mnt/host}
RB=$H/runbook
A_S=${A_S:-4}
B_S=${B_S:-4}
exec 7>>"$H/events.log"
ev() { echo "$*" >&7; }
fail() { ev "fail $*"; echo "fail: $*" >&2; exit 1; }

clock() {
	local k i g1 g2 h
	for k in 1 2 3 4 5; do
		g1=$EPOCHREALTIME
		echo "$g1" >"$H/ping.$1.$k"
		for ((i = 0; i < 50000; i++)); do [ -e "$H/pong.$1.$k" ] && break; done
		g2=$EPOCHREALTIME
		read -r h <"$H/pong.$1.$k" || fail "no pong $1.$k"
		ev "clock $1 $g1 $h $g2"
	done
}

# One SQL session (coprocess); q SQL: send, read the one line the trailing SELECT prints.
open_db() { coproc DB { mariadb -N -B -n shop 2>&1; }; }
q() { echo "$1" >&"${DB[1]}"; IFS= read -r -t 120 -u "${DB[0]}" REPLY || REPLY="(no answer)"; }

n=0
tx() { # both tables, as the application does until the user's error
	n=$((n + 1))
	local s=$EPOCHREALTIME
	q "BEGIN; INSERT INTO orders VALUES ($n, NOW(6)); INSERT INTO journal VALUES ($n, NOW(6)); COMMIT; SELECT $n;"
	local e=$EPOCHREALTIME
	[ "$REPLY" = "$n" ] || fail "tx $n: $REPLY"
	ev "c $n $s $e"
}
txj() { # journal only, after orders was dropped
	n=$((n + 1))
	local s=$EPOCHREALTIME
	q "BEGIN; INSERT INTO journal VALUES ($n, NOW(6)); COMMIT; SELECT $n;"
	local e=$EPOCHREALTIME
	[ "$REPLY" = "$n" ] || fail "tx $n: $REPLY"
	ev "c $n $s $e"
}
# for_secs SECS MIN FN: FN for at least SECS seconds and at least MIN transactions (a loaded
# machine commits slowly; the checks need transactions on both sides of every instant).
for_secs() {
	local end=$((${EPOCHREALTIME%.*} + $1)) goal=$((n + $2))
	while ((${EPOCHREALTIME%.*} < end || n < goal)); do "$3"; done
}

case ${PHASE:?} in
write)
	LUN=${VTL_CDP_SD:?no LUN named cdp}
	truncate -s "$(blockdev --getsize64 "$LUN")" /tmp/local.img
	LOCAL=$(losetup -f --show /tmp/local.img)
	mdadm --create /dev/md0 --run --assume-clean --level=1 --raid-devices=2 --metadata=1.0 "$LOCAL" "$LUN" >/dev/null 2>&1 || fail mdadm
	mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 /dev/md0 || fail mkfs
	mkdir -p /srv/db && mount /dev/md0 /srv/db || fail mount
	ev "raid $EPOCHREALTIME"
	mariadb-install-db --user=root --datadir=/srv/db/mysql --skip-test-db --innodb-log-file-size=16M >/tmp/install.log 2>&1 || { cat /tmp/install.log; fail install-db; }
	ev "installed $EPOCHREALTIME"
	. "$RB/db-start.sh"
	mariadb -e "CREATE DATABASE shop; CREATE TABLE shop.orders (n INT PRIMARY KEY, at DATETIME(6)) ENGINE=InnoDB; CREATE TABLE shop.journal (n INT PRIMARY KEY, at DATETIME(6)) ENGINE=InnoDB" || fail schema
	ev "started $EPOCHREALTIME"
	clock start
	open_db
	for_secs "$A_S" 15 tx
	# The application-consistent bookmark: flush + lock, freeze, the host bookmarks, thaw, unlock.
	q "$(cat "$RB/flush.sql") SELECT 'locked';"
	[ "$REPLY" = locked ] || fail "flush: $REPLY"
	ev "locked $n $EPOCHREALTIME"
	. "$RB/freeze.sh" || fail freeze
	echo frozen >"$H/frozen"
	for ((i = 0; i < 600; i++)); do [ -e "$H/bookmarked" ] && break; sleep 0.1; done
	. "$RB/thaw.sh" || fail thaw
	[ -e "$H/bookmarked" ] || fail "no bookmark from the host"
	q "$(cat "$RB/unlock.sql") SELECT 'unlocked';"
	[ "$REPLY" = unlocked ] || fail "unlock: $REPLY"
	ev "unlocked $n $EPOCHREALTIME"
	for_secs "$B_S" 15 tx
	# The user's error.
	s=$EPOCHREALTIME
	q "DROP TABLE orders; SELECT 'dropped';"
	e=$EPOCHREALTIME
	[ "$REPLY" = dropped ] || fail "drop: $REPLY"
	ev "drop $n $s $e"
	clock drop
	# Until the host has lost the gateway (it then ends this VM; the RAID1 may go on degraded).
	end=$((${EPOCHREALTIME%.*} + 120))
	while [ ! -e "$H/lost" ] && ((${EPOCHREALTIME%.*} < end)); do txj; done
	ev "end $n $EPOCHREALTIME"
	;;
verify)
	disk_at() { # SCSI id -> /dev/sdX
		local d
		for ((i = 0; i < 120; i++)); do
			for d in /sys/bus/scsi/devices/*:0:"$1":0/block/*; do [ -e "$d" ] && { echo "/dev/${d##*/}"; return 0; }; done
			sleep 0.5
		done
		return 1
	}
	for name in ${DISKS:?}; do
		case $name in
		db) DISK=${VTL_DB_SD:?} ;;
		pit) DISK=$(disk_at 1) || fail "no disk pit" ;;
		mark) DISK=$(disk_at 2) || fail "no disk mark" ;;
		esac
		ev "disk $name $DISK $EPOCHREALTIME"
		. "$RB/mount.sh" || fail "mount $name"
		. "$RB/db-start.sh"
		mariadb -N -B <"$RB/check.sql" >"$H/$name.check" 2>&1 || fail "check $name: $(cat "$H/$name.check")"
		echo answered >"$H/answered.$name"
		ev "answered $name $EPOCHREALTIME"
		mariadb -N -B -e "SELECT n FROM shop.journal ORDER BY n" >"$H/$name.journal" 2>&1
		mariadb -N -B -e "SELECT n FROM shop.orders ORDER BY n" >"$H/$name.orders" 2>&1
		grep -E 'ERROR|crash recovery|Starting final batch|redo log' /var/log/mariadb-drill.err >"$H/$name.err" 2>&1
		mariadb-admin shutdown || fail "shutdown $name"
		wait
		rm -f /var/log/mariadb-drill.err
		umount /srv/db || fail "umount $name"
	done
	ev "verified $EPOCHREALTIME"
	;;
esac

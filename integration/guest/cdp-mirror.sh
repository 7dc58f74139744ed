#!/bin/bash
# 1400-cdp-guest job, two boots (PHASE=write|verify). The share (/mnt/host) holds the payload
# (src/) and is the only channel to the host: the guest has no network.
#  write:  mdadm RAID1 (metadata 1.0: each member is a plain ext4) of a loop device in tmpfs and
#          the CDP LUN "cdp", ext4, src/ copied in; fsfreeze -f, writes "frozen" and waits for the
#          host to take a bookmark ("bookmarked"), fsfreeze -u; then the files are destroyed
#          (rm, overwrite, truncate) and the array stopped.
#  verify: the exposed (read-only) LUN alone, the guest's only disk: e2fsck -fn, mount ro,noload, sha256 of every file.
# Output: sections "=== NAME rc=N" (see integration/guest/vtl.ts sections()).
set -u
H=${VTL_SHARE:-/mnt/host}
W=$PWD
step() { local name=$1 out rc; shift; out=$("$@" 2>&1); rc=$?; echo "=== $name rc=$rc"; echo "$out"; }
sums() { (cd "$1" && find . -path ./lost+found -prune -o -type f -print0 | sort -z | xargs -0 -r sha256sum); }

case ${PHASE:?} in
write)
	LUN=${VTL_CDP_SD:?no LUN named cdp}
	size=$(blockdev --getsize64 "$LUN")
	truncate -s "$size" "$W/local.img"
	LOCAL=$(losetup -f --show "$W/local.img")
	# Both members start all zero (a new file, a new volume): no resync needed.
	step mdadm-create mdadm --create /dev/md0 --run --assume-clean --level=1 --raid-devices=2 --metadata=1.0 "$LOCAL" "$LUN"
	step mkfs mkfs.ext4 -q -L cdpmirror -E lazy_itable_init=0,lazy_journal_init=0 /dev/md0
	mkdir -p /mnt/m
	step mount mount /dev/md0 /mnt/m
	step copy sh -c "cp -a $H/src/. /mnt/m/ && sync"
	step sums-before sums /mnt/m
	step freeze fsfreeze -f /mnt/m
	echo frozen >"$H/frozen"
	i=0
	while [ ! -e "$H/bookmarked" ] && [ $i -lt 1800 ]; do sleep 0.1; i=$((i + 1)); done
	step bookmarked cat "$H/bookmarked"
	step unfreeze fsfreeze -u /mnt/m
	# Destroy: delete a directory, overwrite a file in place, truncate one, add one.
	step destroy sh -c "rm -rf /mnt/m/dir && dd if=/dev/zero of=/mnt/m/big.bin bs=64k count=8 conv=notrunc status=none && : >/mnt/m/note.txt && echo after >/mnt/m/after.txt && sync"
	step sums-after sums /mnt/m
	step umount umount /mnt/m
	step mdadm-stop mdadm --stop /dev/md0
	;;
verify)
	# The host attaches the read-only LUN itself as an emulated disk (QEMU's scsi-generic
	# passthrough, what run --lun uses, refuses a write-protected iSCSI LUN): the only sd disk.
	LUN=${VTL_PIT_SD:-}
	for i in $(seq 60); do
		[ -n "$LUN" ] && break
		for d in /sys/block/sd*; do [ -e "$d" ] && LUN=/dev/${d##*/}; done
		sleep 0.5
	done
	[ -b "${LUN:-}" ] || { echo "no disk for the exposed LUN"; lsscsi; exit 1; }
	step lsscsi lsscsi
	step ro blockdev --getro "$LUN"
	step fsck e2fsck -fn "$LUN"
	mkdir -p /mnt/p
	# -t: blkid also sees the RAID superblock at the end of the member.
	step mount mount -t ext4 -o ro,noload "$LUN" /mnt/p
	step sums sums /mnt/p
	step write-refused sh -c "dd if=/dev/zero of=$LUN bs=4k count=1 oflag=direct status=none; echo dd-rc=\$?"
	umount /mnt/p
	;;
esac

#!/bin/bash
# bacula-btape.sh — guest job (../shared/guest/run): Bacula's btape against drive 0 of the
# library, with mtx-changer (Debian: /etc/bacula/scripts/mtx-changer) on the changer.
# LUNs: changer, tape0 (run --lun changer=URL --lun tape0=URL).
# Env:
#   BTAPE_STEPS   comma list (default "test,test-noeom,fill"):
#                 test        `btape test` with the Autochanger resource, answers "y" to its
#                             autochanger part (loaded/unload/load slot 1/rewind/weof)
#                 test-noeom  `btape test` with Hardware End of Medium = no + Fast Forward
#                             Space File = no (btape's 2nd append mode), no changer
#                 test-bsfeom as test-noeom + BSF at EOM = yes (btape's 3rd append mode)
#                 autochanger `btape autochanger` alone
#                 fill        `btape fill`, multiple-tape mode: fills slot 1, spans to slot 2
#                             through mtx-changer, then re-reads both (unfill)
#   BIG_TAG       volume tag prefix of a big (>= 2 GiB) cartridge for `test` (default S3V);
#                 btape's `test` writes ~1.3 GB. Slots 1 and 2 must hold small blank cartridges
#                 for fill/autochanger (btape hard-codes slots 1 and 2).
#   BTAPE_MAX_BLOCK_SIZE  optional Maximum Block Size
# Output: each step between "==== STEP name" and "==== RESULT name rc=N secs=S"; exit 0
# when every btape run exited 0. The test reads btape's lines; this script does not judge them.
set -u
STEPS=${BTAPE_STEPS:-test,test-noeom,fill}
BIG_TAG=${BIG_TAG:-S3V}
CH_SG=${VTL_CHANGER_SG:-/dev/sg0}
TAPE=${VTL_TAPE0_NST:-/dev/nst0}
MAXBLOCK=${BTAPE_MAX_BLOCK_SIZE:-}
CHANGER_CMD="/etc/bacula/scripts/mtx-changer %c %o %S %a %d"
mkdir -p /run/bacula /var/lib/bacula
sed -i 's/^debug_log=0/debug_log=1/' /etc/bacula/scripts/mtx-changer.conf

conf() { # file with_changer(yes|no) extra-device-lines...
	local f=$1 ch=$2
	shift 2
	{
		cat <<-CONF
		Storage {
		  Name = vtl-sd
		  WorkingDirectory = /var/lib/bacula
		  Pid Directory = /run/bacula
		  Plugin Directory = /usr/lib/bacula
		}
		Director {
		  Name = vtl-dir
		  Password = "vtl-test"
		}
		Messages {
		  Name = Standard
		  director = vtl-dir = all
		}
		CONF
		if [ "$ch" = yes ]; then
			cat <<-CONF
			Autochanger {
			  Name = VTL
			  Device = Drive-0
			  Changer Command = "$CHANGER_CMD"
			  Changer Device = $CH_SG
			}
			CONF
		fi
		echo "Device {"
		echo "  Name = Drive-0"
		echo "  Media Type = LTO"
		echo "  Archive Device = $TAPE"
		echo "  Device Type = Tape"
		echo "  AutomaticMount = yes"
		echo "  AlwaysOpen = yes"
		echo "  RemovableMedia = yes"
		echo "  RandomAccess = no"
		if [ "$ch" = yes ]; then
			echo "  Autochanger = yes"
			echo "  Drive Index = 0"
			echo "  Changer Command = \"$CHANGER_CMD\""
			echo "  Changer Device = $CH_SG"
		fi
		[ -n "$MAXBLOCK" ] && echo "  Maximum Block Size = $MAXBLOCK"
		for l in "$@"; do echo "  $l"; done
		echo "}"
	} >"$f"
}

# slot holding a volume tag that starts with $1 (first match), from `mtx status`
slot_of() { mtx -f "$CH_SG" status | sed -n "s/^ *Storage Element \([0-9]*\):Full :VolumeTag=$1.*/\1/p" | head -n 1; }
# slot loaded in drive 0, or empty
loaded() { mtx -f "$CH_SG" status | sed -n 's/^Data Transfer Element 0:Full (Storage Element \([0-9]*\) Loaded).*/\1/p'; }
ensure_loaded() { # slot
	local cur
	cur=$(loaded)
	[ "$cur" = "$1" ] && return 0
	if [ -n "$cur" ]; then mt -f "$TAPE" offline 2>/dev/null; mtx -f "$CH_SG" unload "$cur" 0 || return 1; fi
	mtx -f "$CH_SG" load "$1" 0 || return 1
	mt -f "$TAPE" rewind
}
btape_run() { # name conf stdin-lines...
	local name=$1 cf=$2 t0 rc
	shift 2
	printf '%s\n' "$@" quit >/tmp/btape-$name.in
	echo "---- btape -c $cf Drive-0 < ($(tr '\n' ' ' </tmp/btape-$name.in))"
	t0=$(date +%s)
	btape -c "$cf" Drive-0 </tmp/btape-$name.in 2>&1
	rc=$?
	echo "==== RESULT $name rc=$rc secs=$(($(date +%s) - t0))"
	return $rc
}

echo "==== mtx status"
mtx -f "$CH_SG" status
BIG=$(slot_of "$BIG_TAG")
echo "big cartridge ($BIG_TAG*) in slot ${BIG:-none}; drive 0 holds slot $(loaded)"
conf /tmp/sd-changer.conf yes
conf /tmp/sd-noeom.conf no "Hardware End of Medium = no" "Fast Forward Space File = no"
conf /tmp/sd-bsfeom.conf no "Hardware End of Medium = no" "Fast Forward Space File = no" "BSF at EOM = yes"

failed=0
for s in $(echo "$STEPS" | tr ',' ' '); do
	echo "==== STEP $s"
	case $s in
	test)
		ensure_loaded "$BIG" && mt -f "$TAPE" status
		btape_run "$s" /tmp/sd-changer.conf test y ;;
	test-noeom)
		ensure_loaded "$BIG"
		btape_run "$s" /tmp/sd-noeom.conf test ;;
	test-bsfeom)
		ensure_loaded "$BIG"
		btape_run "$s" /tmp/sd-bsfeom.conf test ;;
	autochanger)
		btape_run "$s" /tmp/sd-changer.conf autochanger y ;;
	fill)
		# blank lines answer any "press return" prompt (there should be none with the changer)
		btape_run "$s" /tmp/sd-changer.conf fill m "" "" "" ;;
	*) echo "unknown step $s"; false ;;
	esac || failed=$((failed + 1))
done
echo "==== mtx status (end)"
mtx -f "$CH_SG" status
if [ -f /var/lib/bacula/mtx.log ]; then echo "==== mtx.log (tail)"; tail -n 40 /var/lib/bacula/mtx.log; fi
cur=$(loaded)
[ -n "$cur" ] && { mt -f "$TAPE" offline; mtx -f "$CH_SG" unload "$cur" 0; }
echo "==== $failed step(s) failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# Wire-format judge, part 2: let tshark's skinny dissector read the session that
# sccp_session_pcap encoded with our codec, and compare frame by frame with what we meant.
#
#   check_tshark.sh PROGRAM HV OUTDIR [PORT]
#
# PROGRAM is the sccp_session_pcap binary, HV the header version (0 or 0x11), OUTDIR where the
# pcap, the expected and the tshark tables go (kept for inspection), PORT the CallManager's TCP
# port (default 32000; decoded as skinny with -d, so it need not be 2000).
#
# Fails (exit 1) when: a data frame is not skinny, an id or name differs from what we meant, a
# key field reads back differently (or is missing, or extra), tshark marks a frame malformed or
# raises an expert error or warning, or the TCP stream is not well formed (tcp.analysis flags,
# bad checksums). Exit 77 (ctest SKIP_RETURN_CODE) only when tshark is not installed.
set -euo pipefail

if [[ $# -lt 3 || $# -gt 4 ]]; then
	echo "usage: $0 PROGRAM HV OUTDIR [PORT]" >&2
	exit 2
fi
prog=$1
hv=$2
out=$3
port=${4:-32000}

if ! command -v tshark >/dev/null 2>&1; then
	echo "SKIP: tshark is not installed (scripts/bootstrap.sh installs it)"
	exit 77
fi

mkdir -p "$out"
echo "judge: $(tshark --version 2>/dev/null | head -1)"
pcap=$out/session.pcap
expected=$out/expected.tsv
actual=$out/tshark.tsv
"$prog" "$hv" "$port" "$pcap" "$expected"

# tshark as the judge: our port is skinny, checksums are verified, and an empty configuration
# directory keeps the user's preferences, profiles and decode-as rules out of the verdict.
export WIRESHARK_CONFIG_DIR=$out/wireshark-config
mkdir -p "$WIRESHARK_CONFIG_DIR"
ts=(tshark -n -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE
	-d "tcp.port==$port,skinny" -r "$pcap")
run_tshark() { "${ts[@]}" "$@" 2> >(grep -v '^Running as user' >&2); }

# The expected file's header names the columns; those that are tshark fields are asked for.
IFS=$'\t' read -r -a cols < "$expected"
fields=()
for c in "${cols[@]}"; do
	case $c in frame.* | ip.* | tcp.* | skinny.*) fields+=(-e "$c") ;; esac
done

# messageId -> Wireshark's name, from tshark itself.
names=$out/skinny-message-names.tsv
tshark -G values 2>/dev/null | awk -F'\t' '$1 == "V" && $2 == "skinny.messageId" { print $3 "\t" $4 }' > "$names"
if [[ ! -s $names ]]; then
	echo "FAIL: tshark -G values lists no skinny.messageId names" >&2
	exit 1
fi

# Every frame with TCP payload, in the expected file's column order; ws_name and codec_name are
# both filled with tshark's name for the id it read (one per PDU if a frame held several).
run_tshark -Y 'tcp.len > 0' -T fields -E separator=/t -E occurrence=a -E aggregator=, "${fields[@]}" |
	awk -F'\t' -v OFS='\t' -v header="$(head -1 "$expected")" '
		NR == FNR { name[$1] = $2; next }
		FNR == 1 { print header; ncol = split(header, col, "\t") }
		{
			line = ""; f = 0
			for (i = 1; i <= ncol; i++) {
				if (col[i] == "ws_name" || col[i] == "codec_name") {
					v = ""
					n = split(id, ids, ",")
					for (k = 1; k <= n; k++)
						v = v (k > 1 ? "," : "") (ids[k] in name ? name[ids[k]] : "(unknown " ids[k] ")")
				} else {
					v = $(++f)
					if (col[i] == "skinny.messageId") id = v
				}
				line = line (i > 1 ? OFS : "") v
			}
			print line
		}' "$names" - > "$actual"

status=0

# Field-by-field comparison, readable: one line per differing cell.
if ! cmp -s "$expected" "$actual"; then
	status=1
	echo "FAIL: tshark reads the session differently from what we meant (hv $hv):"
	awk -F'\t' '
		NR == FNR { ex[FNR] = $0; nex = FNR; next }
		{ act[FNR] = $0; nact = FNR }
		END {
			split(ex[1], col, "\t")
			n = nex > nact ? nex : nact
			for (r = 2; r <= n; r++) {
				ne = split(ex[r], e, "\t"); na = split(act[r], a, "\t")
				if (ex[r] == act[r]) continue
				if (!(r in ex)) { printf "  extra frame %s in tshark output: %s\n", a[1], act[r]; continue }
				if (!(r in act)) { printf "  frame %s (%s) missing from tshark output\n", e[1], e[7]; continue }
				for (i = 1; i <= (ne > na ? ne : na); i++)
					if ((e[i] "") != (a[i] ""))
						printf "  frame %s %-28s %-30s expected \"%s\"  tshark \"%s\"\n",
						       e[1], "(" e[7] ")", col[i], e[i], a[i]
			}
		}' "$expected" "$actual"
	echo "  (diff -u $expected $actual for the whole rows)"
fi

# Expected rows must cover every SCCP PDU tshark found (one PDU per frame).
n_exp=$(($(wc -l < "$expected") - 1))
n_pdu=$(run_tshark -Y skinny -T fields -e skinny.messageId | tr ',' '\n' | grep -c .) || true
if [[ $n_pdu -ne $n_exp ]]; then
	status=1
	echo "FAIL: tshark finds $n_pdu skinny PDUs, we sent $n_exp"
fi

# Malformed frames, expert errors and warnings (skinny or anything else), TCP stream problems.
problems=$(run_tshark \
	-Y '_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags || ip.checksum.status == 0 || tcp.checksum.status == 0' \
	-T fields -E separator=/t -E aggregator='; ' -e frame.number -e skinny.messageId -e _ws.expert.message)
if [[ -n $problems ]]; then
	status=1
	echo "FAIL: tshark reports problems (frame, messageId, expert messages):"
	while IFS=$'\t' read -r fr id msgs; do
		nm=$(awk -F'\t' -v id="$id" '$1 == id { print $2 }' "$names")
		echo "  frame $fr ${nm:-id $id}: $msgs"
	done <<< "$problems"
fi

if [[ $status -eq 0 ]]; then
	echo "OK: hv $hv, $n_exp SCCP PDUs: ids, names and key fields read back as meant; nothing malformed."
fi
exit $status

#!/usr/bin/env bash
# Handshake rate of firmware/tls with the tuned wolfSSL (scripts/build-wolfssl.sh) and with Debian's
# libwolfssl package: the same source (tests/tls/bench_handshake.c + firmware/tls) compiled twice.
# Mutual-auth RSA-2048 handshakes, client and server in one process over socketpairs.
# Debian's build has no static-RSA suites, so the common suite is ECDHE-RSA-AES128-GCM-SHA256;
# the tuned build's AES128-SHA (static RSA) and TLS 1.3 rates are printed too.
# Usage: bench-tls-compare.sh [N]   (default 500 handshakes per run; each run repeated 3 times,
#        interleaved, best kept: the machine is shared and a busy moment only lowers a rate)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-500}
repeat=${BENCH_REPEAT:-3}

if ! PKG_CONFIG_PATH= pkg-config --exists wolfssl; then
  echo "Debian's libwolfssl-dev is not installed (apt-get install libwolfssl-dev)" >&2
  exit 1
fi
prefix=$("$root/scripts/build-wolfssl.sh")

work=$(mktemp -d /tmp/vmport-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
srcs=("$root/tests/tls/bench_handshake.c" "$root"/firmware/tls/tls_*.c "$root/firmware/log.c")
cflags=(-std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$root/firmware")

gcc "${cflags[@]}" "${srcs[@]}" -o "$work/bench-debian" $(PKG_CONFIG_PATH= pkg-config --cflags --libs wolfssl)
gcc "${cflags[@]}" -I"$prefix/include" "${srcs[@]}" -o "$work/bench-tuned" -L"$prefix/lib" -Wl,-rpath,"$prefix/lib" -lwolfssl -lm -pthread
"$root/tests/tls/mkcerts.sh" "$work/pki"

# run NAME BINARY [ARGS...] → keeps the best wall-clock rate per NAME
declare -A best best_cpu line
run() {
  local name=$1
  shift
  local out rate cpu
  out=$("$@" -n "$n" -d "$work/pki" | tail -n 1)
  rate=$(sed -E 's/.*: ([0-9.]+) handshakes\/s.*/\1/' <<<"$out")
  cpu=$(sed -E 's/.*\(([0-9.]+) per CPU second\).*/\1/' <<<"$out")
  if [ -z "${best[$name]:-}" ] || awk -v a="$rate" -v b="${best[$name]}" 'BEGIN{exit !(a>b)}'; then
    best[$name]=$rate
    best_cpu[$name]=$cpu
    line[$name]=$out
  fi
}

echo "tuned:  $("$work/bench-tuned" -n 1 -d "$work/pki" | head -n 1)"
echo "debian: $("$work/bench-debian" -n 1 -d "$work/pki" | head -n 1)"
echo "$n handshakes per run, best of $repeat, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$repeat"); do
  run "debian ECDHE-RSA-AES128-GCM-SHA256" "$work/bench-debian" -c ECDHE-RSA-AES128-GCM-SHA256
  run "tuned  ECDHE-RSA-AES128-GCM-SHA256" "$work/bench-tuned" -c ECDHE-RSA-AES128-GCM-SHA256
  run "tuned  AES128-SHA (static RSA)    " "$work/bench-tuned" -c AES128-SHA
  run "debian TLS 1.3 (default list)     " "$work/bench-debian"
  run "tuned  TLS 1.3 (default list)     " "$work/bench-tuned"
done
printf '%-36s %12s %16s\n' "build / suite" "handshakes/s" "per CPU second"
for name in "debian ECDHE-RSA-AES128-GCM-SHA256" "tuned  ECDHE-RSA-AES128-GCM-SHA256" \
            "tuned  AES128-SHA (static RSA)    " "debian TLS 1.3 (default list)     " \
            "tuned  TLS 1.3 (default list)     "; do
  printf '%-36s %12s %16s\n' "$name" "${best[$name]}" "${best_cpu[$name]}"
done

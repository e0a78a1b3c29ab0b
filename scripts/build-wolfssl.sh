#!/usr/bin/env bash
# Build wolfSSL from Debian's own source package with vmport's options, once per target, cached
# under the build tree. Debian's binary build lacks the static-RSA and NULL suites CUCM ports use,
# the TLS secret callback (key logs for Wireshark) and AES-NI/SP assembly speed.
# A shared library: vmport's binary stays small (board/README.md) and the release tarball carries
# this libwolfssl.so next to it (lib/vmport, found through RUNPATH $ORIGIN/../lib/vmport).
# Usage: build-wolfssl.sh [HOST_TRIPLE [nocrypto]]   (default: this machine) → prints the prefix.
#   nocrypto: an aarch64 CPU without the ARMv8 Crypto Extensions (Raspberry Pi 4): no
#   --enable-armasm, whose AES/SHA-2/GHASH code uses them unconditionally (cached separately).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
host=${1:-}
variant=${2:-}
arch=${host:-native}${variant:+-$variant}
cache=${VMPORT_DEPS:-$root/build/deps}
prefix="$cache/wolfssl-$arch"

options=(--disable-examples --disable-crypttests --enable-tls13 --enable-certgen --enable-keygen
         --enable-certreq --enable-certext --enable-opensslextra --enable-sni --enable-session-certs
         --enable-sp --enable-harden --enable-keying-material --enable-sha512 --enable-shared
         --disable-static)
case "$arch" in
  native|x86_64*) options+=(--enable-sp-asm --enable-aesni --enable-intelasm) ;;
  aarch64*-nocrypto) options+=(--enable-sp-asm) ;; # SP's assembly is plain AArch64
  aarch64*) options+=(--enable-sp-asm --enable-armasm) ;;
  arm*) ;; # Cortex-A8/A7: the generic C SP code; no ARMv8 crypto
esac
cflags="-O2 -DWOLFSSL_STATIC_RSA -DHAVE_SECRET_CALLBACK -DHAVE_NULL_CIPHER"
stamp_text="$(printf '%s ' "${options[@]}") $cflags"

if [ -f "$prefix/.stamp" ] && [ "$(cat "$prefix/.stamp")" = "$stamp_text" ]; then
  echo "$prefix"
  exit 0
fi

src=$("$root/scripts/debian-source.sh" wolfssl "$cache/src")
work="$cache/wolfssl-build-$arch"
rm -rf "$work" "$prefix"
cp -a "$src" "$work"
cd "$work"
{
  ./autogen.sh
  host_opt=()
  [ -n "$host" ] && host_opt=(--host="$host")
  ./configure "${host_opt[@]}" --prefix="$prefix" "${options[@]}" --enable-nullcipher CFLAGS="$cflags"
  make -j"$(nproc)"
  make install
} >"$cache/wolfssl-$arch.log" 2>&1 || { tail -n 40 "$cache/wolfssl-$arch.log" >&2; exit 1; }
echo "$stamp_text" >"$prefix/.stamp"
rm -rf "$work"
echo "$prefix"

#!/usr/bin/env bash
# Build wolfSSL from Debian's own source package with vmport's options, once per target, cached
# under the build tree. Debian's binary build lacks the static-RSA and NULL suites CUCM ports use,
# the TLS secret callback (key logs for Wireshark) and AES-NI/SP assembly speed.
# Usage: build-wolfssl.sh [HOST_TRIPLE]   (default: this machine) → prints the install prefix.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
host=${1:-}
arch=${host:-native}
cache=${VMPORT_DEPS:-$root/build/deps}
prefix="$cache/wolfssl-$arch"

options=(--disable-examples --disable-crypttests --enable-tls13 --enable-certgen --enable-keygen
         --enable-certreq --enable-certext --enable-opensslextra --enable-sni --enable-session-certs
         --enable-sp --enable-harden --enable-keying-material --enable-sha512 --enable-static
         --disable-shared --with-pic)
case "$arch" in
  native|x86_64*) options+=(--enable-sp-asm --enable-aesni --enable-intelasm) ;;
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
# A static library: its users also need libm and pthreads.
sed -i 's|^Libs: .*|Libs: -L${libdir} -lwolfssl -lm -pthread|' "$prefix/lib/pkgconfig/wolfssl.pc"
echo "$stamp_text" >"$prefix/.stamp"
rm -rf "$work"
echo "$prefix"

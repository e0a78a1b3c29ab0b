#!/usr/bin/env bash
# Build libsrtp2 from Debian's own source package with the OpenSSL crypto backend, cached under
# the build tree; firmware/media/CMakeLists.txt prefers it to the system's package when present.
# Debian's binary uses NSS, which creates a PKCS#11 context for every packet: 6-7 us per
# protect+unprotect with one channel, rising with the number of channels (18-50 us at 1000),
# against 1.2-1.9 us with OpenSSL (firmware/media/README.md). Needs libssl-dev.
# Usage: build-libsrtp.sh [HOST_TRIPLE]   (default: this machine) → prints the install prefix.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
host=${1:-}
arch=${host:-native}
cache=${VMPORT_DEPS:-$root/build/deps}
prefix="$cache/libsrtp-$arch"

options=(--enable-openssl --disable-debug-logging --disable-log-stdout)
cflags="-O2 -fPIC"
# (the stamp names the shared library, so caches made before it was built are rebuilt)
stamp_extra="shared"
stamp_text="$(printf '%s ' "${options[@]}") $cflags $stamp_extra"

if [ -f "$prefix/.stamp" ] && [ "$(cat "$prefix/.stamp")" = "$stamp_text" ]; then
  echo "$prefix"
  exit 0
fi

src=$("$root/scripts/debian-source.sh" libsrtp2 "$cache/src")
work="$cache/libsrtp-build-$arch"
rm -rf "$work" "$prefix"
cp -a "$src" "$work"
cd "$work"
{
  host_opt=()
  [ -n "$host" ] && host_opt=(--host="$host")
  ./configure "${host_opt[@]}" --prefix="$prefix" "${options[@]}" CFLAGS="$cflags"
  make -j"$(nproc)" libsrtp2.a shared_library
  make install
} >"$cache/libsrtp-$arch.log" 2>&1 || { tail -n 40 "$cache/libsrtp-$arch.log" >&2; exit 1; }
# Both libraries are installed; vmport links the shared one (libsrtp2.so.1, NEEDED libcrypto.so.3)
# and the release tarball carries it in lib/vmport.
echo "$stamp_text" >"$prefix/.stamp"
rm -rf "$work"
echo "$prefix"

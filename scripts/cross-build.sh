#!/usr/bin/env bash
# Build vmport and its tests for one board, and pack the release tarball.
#
#   host        this machine's compiler and Debian -dev packages (the x86-64 "board")
#   qemu-arm64, rpi4     aarch64-linux-gnu    (crossbuild-essential-arm64)
#   qemu-armhf, bbb      arm-linux-gnueabihf  (crossbuild-essential-armhf)
#
# For a cross board the target's libraries come from Debian's own arm64/armhf .debs, fetched with
# `apt-get download` through a private apt configuration (the system's apt settings, sources and
# architectures are not touched) and unpacked with `dpkg -x` into build/sysroot-<board>. The -dev
# packages of wolfSSL and libsrtp2 are not Multi-Arch (docs/platform.md), and vmport wants other
# options anyway: both are built from Debian's source for the target triple
# (scripts/build-wolfssl.sh, scripts/build-libsrtp.sh, cached in build/deps, or
# build/deps-<triple>-t64 for 32-bit targets) and copied into the sysroot under opt/, where
# pkg-config's sysroot rules (pkgconf does not prefix paths already inside the sysroot) and CMake's
# find-root rules both see them. The board's toolchain.cmake sets the rest (compiler, CPU flags,
# find roots, PKG_CONFIG_LIBDIR/SYSROOT_DIR, -rpath-link, the qemu emulator for ctest).
#
# Output: build/cross-<board>/ (the CMake build, tests included; scripts/cross-test.sh runs them)
#         dist/vmport-<version>-<board>.tar.gz (stripped binary, board.ini, sample CONF, systemd
#         unit, install script; see packaging/README.md). The tarball's path is the last line.
# Usage: cross-build.sh BOARD     (env: JOBS, VMPORT_BUILD_TYPE, VMPORT_NO_TESTS=1,
#                                       VMPORT_CROSS_CFLAGS)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
board=${1:?usage: cross-build.sh BOARD (host, qemu-arm64, qemu-armhf, rpi4, bbb)}
jobs=${JOBS:-$(nproc)}
# MinSizeRel: the board binary's size is a target (under 400 KB, board/README.md). The media hot
# path is libsrtp/OpenSSL (built -O2) and the kernel; vmport's own code is a few percent of it.
build_type=${VMPORT_BUILD_TYPE:-MinSizeRel}
board_dir=$root/board/$board
say() { echo "cross-build[$board]: $*" >&2; }
die() { say "$*"; exit 1; }

# The board's Debian architecture, from `arch =` in [board] of board.ini.
arch=$(sed -nE 's/^[[:space:]]*arch[[:space:]]*=[[:space:]]*([A-Za-z0-9_]+).*/\1/p' \
  "$board_dir/board.ini" 2>/dev/null | head -n 1 || true)
case "$arch" in
  aarch64 | arm64) debarch=arm64 ;;
  armhf | armv7* | arm) debarch=armhf ;;
  x86_64 | amd64) debarch=amd64 ;;
  "") die "no board/$board/board.ini with an arch = line" ;;
  *) die "board/$board: architecture $arch is not supported" ;;
esac
native_arch=$(dpkg --print-architecture)
cross=1
[ "$debarch" = "$native_arch" ] && cross=0
case "$debarch" in
  arm64) triple=aarch64-linux-gnu ;;
  armhf) triple=arm-linux-gnueabihf ;;
  amd64) triple=x86_64-linux-gnu ;;
  *) die "architecture $debarch is not supported" ;;
esac

# --- host tools (only what is missing; apt-get update only then), as scripts/bootstrap.sh does ---
host_pkgs=(build-essential cmake pkg-config autoconf automake libtool dpkg-dev binutils file)
if [ "$cross" = 1 ]; then
  host_pkgs+=("crossbuild-essential-$debarch" qemu-user)
else
  host_pkgs+=(libssl-dev) # libsrtp2's OpenSSL backend (scripts/build-libsrtp.sh)
fi
missing=()
for p in "${host_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$cross" = 0 ]; then
  "$root/scripts/bootstrap.sh" >&2 # the system's -dev packages are the host board's libraries
fi

# --- the target's Debian libraries (cross boards) ---
# Link-time packages and the runtime closure of their libraries (apt-cache depends --recurse on
# the -dev packages, less what the cross toolchain already has: libc6, libgcc-s1, gcc-12-base,
# libstdc++6, and libinih's C++ INIReader that vmport does not use). libssl3 + libssl-dev: the
# crypto backend of libsrtp2 (AES-GCM, which libsrtp's built-in crypto lacks). The HAL does not use
# libsystemd. A missing library shows up as a link error or in the NEEDED check below.
target_dev=(libcmocka-dev libinih-dev libasound2-dev libcurl4-gnutls-dev libssl-dev)
target_run=(libcmocka0 libinih1 libasound2 libcurl3-gnutls libssl3
  libbrotli1 libcom-err2 libdb5.3 libffi8 libgmp10 libgnutls30 libgssapi-krb5-2 libhogweed6
  libidn2-0 libk5crypto3 libkeyutils1 libkrb5-3 libkrb5support0 libldap-2.5-0 libnettle8
  libnghttp2-14 libp11-kit0 libpsl5 librtmp1 libsasl2-2 libsasl2-modules-db libssh2-1 libtasn1-6
  libunistring2 libzstd1 zlib1g)

sysroot=$root/build/sysroot-$board
apt_dir=$root/build/apt-$debarch # private apt state and the .debs, shared by one architecture
make_sysroot() {
  local stamp="$debarch ${target_dev[*]} ${target_run[*]}"
  if [ -f "$sysroot/.stamp" ] && [ "$(cat "$sysroot/.stamp")" = "$stamp" ]; then
    return
  fi
  say "sysroot: fetching $debarch packages"
  # A private apt: its own sources (the mirrors already configured), lists, cache, an empty dpkg
  # status and the target's architecture. Shared by the boards of one architecture.
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
  : >"$apt_dir/status"
  local codename mirrors m
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  mirrors=$( (grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null |
      awk '{for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; break}}') | grep -i debian | sort -u || true)
  [ -n "$mirrors" ] || die "no Debian mirror found in /etc/apt"
  : >"$apt_dir/sources.list"
  for m in $mirrors; do
    local opts="[arch=$debarch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
    case "$m" in
      *security*) echo "deb $opts $m $codename-security main" ;;
      *) echo "deb $opts $m $codename main"
         echo "deb $opts $m $codename-updates main" ;;
    esac >>"$apt_dir/sources.list"
  done
  local apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
    -o "Dir::State::status=$apt_dir/status" -o Dir::Etc::Preferences=/dev/null
    -o Dir::Etc::PreferencesParts=/dev/null -o "APT::Architecture=$debarch"
    -o "APT::Architectures::=$debarch" -o APT::Sandbox::User=root)
  # A mirror (or a cache in front of it) in the middle of a sync serves an index that does not
  # match its Release file ("File has unexpected size"; seen for bookworm-security armhf). Retry,
  # then go on without that index: the sysroot is for compiling and linking, and the board runs
  # its own, updated, libraries.
  local try ok=0
  for try in 1 2 3; do
    if apt-get "${apt_opts[@]}" -qq --error-on=any update >"$apt_dir/update.log" 2>&1; then
      ok=1
      break
    fi
    [ "$try" = 3 ] || { say "apt-get update failed (mirror sync?), retrying in $((try * 5)) s"; sleep $((try * 5)); }
  done
  if [ "$ok" = 0 ]; then
    grep -E '^(E|W):' "$apt_dir/update.log" | sort -u | sed 's/^/  /' >&2
    ls "$apt_dir"/lists/*_dists_"$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"_main_binary-"$debarch"_Packages* \
      >/dev/null 2>&1 || die "apt-get update for $debarch failed"
    say "WARNING: going on without the index(es) above (older versions of those packages)"
  fi
  local pkgs=() p
  for p in "${target_dev[@]}" "${target_run[@]}"; do pkgs+=("$p:$debarch"); done
  rm -f "$apt_dir/debs"/*.deb
  (cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" -qq download "${pkgs[@]}" >&2) ||
    die "apt-get download failed"
  rm -rf "$sysroot"
  mkdir -p "$sysroot"
  local deb
  for deb in "$apt_dir/debs"/*.deb; do dpkg -x "$deb" "$sysroot"; done
  # Absolute symbolic links (e.g. lib*.so -> /lib/<triple>/...) must point inside the sysroot.
  local link target
  while IFS= read -r link; do
    target=$(readlink "$link")
    case "$target" in /*) ln -sfn "$sysroot$target" "$link" ;; esac
  done < <(find "$sysroot" -type l)
  echo "$stamp" >"$sysroot/.stamp"
  say "sysroot: $(ls "$apt_dir/debs" | wc -l) packages in $sysroot"
}

# stage_prefix SRC DEST: copy an install prefix into the sysroot, its .pc files rewritten.
stage_prefix() {
  local src=$1 dest=$2
  rm -rf "$dest"
  mkdir -p "$dest"
  cp -a "$src/include" "$src/lib" "$dest/"
  sed -i "s|$src|$dest|g" "$dest"/lib/pkgconfig/*.pc
  rm -f "$dest"/lib/*.la
}

build=$root/build/cross-$board
target_cppflags=""
# The binaries' only RUNPATH is $ORIGIN/../lib/vmport (CMakeLists.txt: wolfSSL and libsrtp2 are
# carried in lib/vmport); the tarball's binary names no build directory. The tests find the
# sysroot's other libraries through the emulator's LD_LIBRARY_PATH, set by the toolchain file.
cmake_args=(-DCMAKE_BUILD_TYPE="$build_type")
toolchain=${VMPORT_TOOLCHAIN_FILE:-$board_dir/toolchain.cmake}
if [ -f "$toolchain" ]; then
  cmake_args+=(-DCMAKE_TOOLCHAIN_FILE="$toolchain")
elif [ "$cross" = 1 ]; then
  die "no board/$board/toolchain.cmake"
fi
[ -n "${VMPORT_NO_TESTS:-}" ] && cmake_args+=(-DVMPORT_TESTS=OFF)

if [ "$cross" = 1 ]; then
  make_sysroot
  libdirs="$sysroot/usr/lib/$triple:$sysroot/lib/$triple"
  export PKG_CONFIG_LIBDIR="$sysroot/usr/lib/$triple/pkgconfig:$sysroot/usr/share/pkgconfig"
  export PKG_CONFIG_SYSROOT_DIR="$sysroot"
  export PKG_CONFIG_PATH=
  # 32-bit targets: 64-bit file offsets and time_t (glibc >= 2.34), for vmport and for the
  # libraries built here, so they agree on struct layouts. Without them readdir() fails with
  # EOVERFLOW under qemu-arm on 64-bit hosts (ext4's 64-bit directory hashes) and every
  # certificate valid past 2038 (vmport's root; CallManager certificates) looks expired or
  # garbled. Debian 12's armhf libraries keep the 32-bit time_t ABI: vmport passes no time_t to
  # libcurl, alsa-lib or libinih. Built in a separate cache (build/deps-<triple>-t64).
  deps=$root/build/deps
  if [ "$debarch" = armhf ]; then
    target_cppflags="-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64"
    deps=$root/build/deps-$triple-t64
  fi
  say "wolfSSL for $triple (Debian's source; cached in ${deps#"$root/"})"
  # A CPU without the ARMv8 Crypto Extensions ("+nocrypto" in the toolchain file, the Pi 4):
  # wolfSSL without --enable-armasm (see the objdump check below).
  variant=""
  grep -q 'nocrypto' "$toolchain" 2>/dev/null && variant=nocrypto
  wolfssl=$(VMPORT_DEPS=$deps CPPFLAGS="$target_cppflags" "$root/scripts/build-wolfssl.sh" "$triple" $variant)
  say "libsrtp2 for $triple (Debian's source, OpenSSL backend; cached)"
  srtp=$(VMPORT_DEPS=$deps \
    CPPFLAGS="$target_cppflags -isystem $sysroot/usr/include/$triple -isystem $sysroot/usr/include" \
    LDFLAGS="-L$sysroot/usr/lib/$triple -Wl,-rpath-link,$libdirs" \
    "$root/scripts/build-libsrtp.sh" "$triple")
  stage_prefix "$wolfssl" "$sysroot/opt/wolfssl"
  stage_prefix "$srtp" "$sysroot/opt/libsrtp"
  cmake_args+=(-DVMPORT_SYSROOT="$sysroot" -DVMPORT_WOLFSSL_PREFIX="$sysroot/opt/wolfssl"
    -DVMPORT_SRTP_PREFIX="$sysroot/opt/libsrtp")
else
  say "wolfSSL and libsrtp2 (OpenSSL backend) from Debian's source (cached)"
  wolfssl=$("$root/scripts/build-wolfssl.sh")
  srtp=$("$root/scripts/build-libsrtp.sh")
  cmake_args+=(-DVMPORT_WOLFSSL_PREFIX="$wolfssl" -DVMPORT_SRTP_PREFIX="$srtp")
fi

# Extra compiler flags for a trial (empty in CI), through CFLAGS: CMake adds them to the toolchain
# file's CMAKE_C_FLAGS_INIT (the board's -mcpu/-mfpu, and the 32-bit boards' -D_FILE_OFFSET_BITS=64
# -D_TIME_BITS=64), which a -DCMAKE_C_FLAGS=... on the command line would replace.
export CFLAGS="${VMPORT_CROSS_CFLAGS:-}"
say "configure and build in $build ($build_type)"
# A fresh cache each time: pkg-config results are cached by CMake and the libraries above may have
# been rebuilt with other options (objects whose flags did not change are not rebuilt).
rm -f "$build/CMakeCache.txt"
cmake -S "$root" -B "$build" "${cmake_args[@]}" >"$root/build/cross-$board.configure.log" 2>&1 ||
  { tail -n 40 "$root/build/cross-$board.configure.log" >&2; die "cmake configure failed"; }
grep -E 'wolfSSL:|libsrtp2:' "$root/build/cross-$board.configure.log" | sed 's/^-- /  /' >&2 || true
say "C flags: $(sed -nE 's/^CMAKE_C_FLAGS:STRING=(.*)$/\1/p' "$build/CMakeCache.txt")"
cmake --build "$build" -j"$jobs" >"$root/build/cross-$board.build.log" 2>&1 ||
  { grep -E 'error|Error|undefined|warning' "$root/build/cross-$board.build.log" | head -n 40 >&2
    tail -n 20 "$root/build/cross-$board.build.log" >&2; die "build failed"; }

# A CPU without the ARMv8 Crypto Extensions (the Pi 4's BCM2711: "+nocrypto" in its toolchain
# file) faults on AESE/SHA256H/PMULL. wolfSSL's --enable-armasm (5.5.4) uses them without a run-time
# check, and qemu's Cortex-A72 model has them, so the tests cannot tell: look at the code.
if [ "$debarch" = arm64 ] && grep -q 'nocrypto' "$toolchain" 2>/dev/null; then
  n=$(for f in "$build/bin/vmport" "$build"/lib/vmport/*.so.*; do "$triple-objdump" -d "$f"; done |
    grep -cE $'\t(aes[ed]|aesi?mc|sha1[cmph]|sha1su[01]|sha256h2?|sha256su[01]|pmull2?)\t' || true)
  say "ARMv8 Crypto Extension instructions in bin/vmport and lib/vmport: $n"
  if [ "$n" -gt 0 ]; then
    die "bin/vmport or lib/vmport has $n ARMv8 Crypto Extension instructions (wolfSSL --enable-armasm) and" \
      "$board's CPU has none: it would die with SIGILL there. No tarball; build wolfSSL for" \
      "this board without --enable-armasm (scripts/build-wolfssl.sh)."
  fi
fi

# --- the tarball ---
[ -f "$board_dir/board.ini" ] || die "no board/$board/board.ini: built in $build, no tarball"
bin=$build/bin/vmport
[ -x "$bin" ] || die "no $bin"
strip_tool=strip
[ "$cross" = 1 ] && strip_tool=$triple-strip
version=$(sed -nE 's/^CMAKE_PROJECT_VERSION:[A-Z]+=(.*)$/\1/p' "$build/CMakeCache.txt")
[ -n "$version" ] || version=$(sed -nE 's/^project\(vmport VERSION ([0-9.]+).*/\1/p' "$root/CMakeLists.txt")
name=vmport-$version-$board
stage=$root/build/dist-$board/$name
rm -rf "$root/build/dist-$board"
mkdir -p "$stage/bin" "$stage/lib/vmport" "$stage/share/vmport/board/$board" "$stage/etc" \
  "$stage/systemd" "$root/dist"
"$strip_tool" --strip-all -o "$stage/bin/vmport" "$bin"
# The libraries vmport carries (wolfSSL, libsrtp2 built here: CMakeLists.txt), by soname.
bundled=()
for lib in "$build"/lib/vmport/*.so.*; do
  soname=$(readelf -d "$lib" | sed -nE 's/.*\(SONAME\).*\[(.*)\]/\1/p')
  [ "$(basename "$lib")" = "$soname" ] || continue
  "$strip_tool" --strip-unneeded -o "$stage/lib/vmport/$soname" "$lib"
  chmod 0644 "$stage/lib/vmport/$soname"
  bundled+=("$soname")
done
cp "$root/share/greeting.wav" "$stage/share/vmport/"
cp "$board_dir/board.ini" "$stage/etc/board.ini"
cp "$board_dir/board.ini" "$stage/share/vmport/board/$board/board.ini"
cp "$root/packaging/vmport.ini.sample" "$stage/etc/vmport.ini.sample"
cp "$root/packaging/vmport.service" "$root/packaging/vmport-supervise.sh" "$stage/systemd/"
cp "$root/packaging/install.sh" "$stage/install.sh"
cp "$root/packaging/README.md" "$stage/README.md"
chmod 0755 "$stage/install.sh" "$stage/systemd/vmport-supervise.sh"
# The libraries the board must have and the Debian packages holding them (install.sh checks
# them with ldconfig and installs what is missing).
needed_pkg() {
  local lib=$1 deb b
  for b in "${bundled[@]}"; do
    [ "$lib" = "$b" ] && { echo bundled; return; }
  done
  case "$lib" in libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux*)
    echo libc6; return ;;
  esac
  if [ "$cross" = 1 ]; then
    for deb in "$apt_dir"/debs/*.deb; do
      if dpkg-deb -c "$deb" | grep -E "/$lib( |\$)" >/dev/null; then dpkg-deb -f "$deb" Package; return; fi
    done
  else
    dpkg -S "*/$lib" 2>/dev/null | head -n 1 | cut -d: -f1 | grep . && return
  fi
  echo unknown
}
# vmport's own NEEDED and those of the libraries it carries (libsrtp2 needs libcrypto).
for lib in $(for f in "$stage/bin/vmport" "$stage"/lib/vmport/*; do readelf -d "$f"; done |
  sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p' | awk '!seen[$0]++'); do
  echo "$lib $(needed_pkg "$lib")"
done >"$stage/NEEDED"
runpath=$(readelf -d "$stage/bin/vmport" | sed -nE 's/.*\((RPATH|RUNPATH)\).*\[(.*)\]/\2/p')
if [ "$runpath" != '$ORIGIN/../lib/vmport' ]; then
  die "bin/vmport's RUNPATH is '$runpath', not \$ORIGIN/../lib/vmport (a build directory?)"
fi
{
  echo "name=$name"
  echo "board=$board"
  echo "version=$version"
  echo "arch=$debarch"
  echo "triple=$triple"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$stage/BUILDINFO"
(cd "$stage" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum >SHA256SUMS)
tarball=$root/dist/$name.tar.gz
tar -C "$root/build/dist-$board" --owner=0 --group=0 --numeric-owner -czf "$tarball" "$name"

size=$(stat -c %s "$stage/bin/vmport")
say "vmport for $board: $(file -b "$stage/bin/vmport" | cut -d, -f1-2), stripped $size bytes"
for lib in "$stage"/lib/vmport/*; do
  say "carries: lib/vmport/$(basename "$lib") $(stat -c %s "$lib") bytes"
done
say "needs: $(cut -d' ' -f1 "$stage/NEEDED" | tr '\n' ' ')"
say "installed size: $(du -sb "$stage" | cut -f1) bytes (tarball $(stat -c %s "$tarball") bytes)"
echo "$tarball"

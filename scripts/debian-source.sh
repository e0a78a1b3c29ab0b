#!/usr/bin/env bash
# Fetch and unpack a Debian source package (e.g. wolfssl, libsrtp2) for the release this machine
# runs, through a private apt configuration: the system's apt settings are not touched.
# Usage: debian-source.sh PACKAGE DEST_DIR   → prints the unpacked source directory.
set -euo pipefail
pkg=$1
dest=$2
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

# The mirrors already configured for binary packages serve the sources too.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
mirrors=$( (grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}';
            grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; break}}') |
          grep -i debian | sort -u || true)
[ -n "$mirrors" ] || { echo "debian-source: no Debian mirror found in /etc/apt" >&2; exit 1; }

apt_dir="$dest/.apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
: >"$apt_dir/sources.list"
for m in $mirrors; do
  case "$m" in
    *security*) echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $m $codename-security main" ;;
    *) echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $m $codename main"
       echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $m $codename-updates main" ;;
  esac >>"$apt_dir/sources.list"
done
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root)

cd "$dest"
if ! ls -d "$dest"/"$pkg"-*/ >/dev/null 2>&1; then
  apt-get "${apt_opts[@]}" -qq update >&2
  apt-get "${apt_opts[@]}" -qq source "$pkg" >&2
fi
ls -d "$dest"/"$pkg"-*/ | head -n 1

#!/usr/bin/env bash
# Install what vmport needs from Debian 12. Idempotent: installs only what is missing, and runs
# `apt-get update` only when something is. Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git python3 openssl
  clang libclang-rt-14-dev clang-format   # libFuzzer, sanitizers, formatting
  libcmocka-dev                           # unit tests
  libwolfssl-dev libsrtp2-dev             # CTL signatures, X.509 (TLS later); SRTP
  tshark                                  # independent judge of the SCCP wire format
  libinih-dev libasound2-dev              # the configuration file; ALSA for hal/audio
  libcurl4-gnutls-dev tftpd-hpa           # CTLFile.tlv by TFTP (client; test server)
  autoconf automake libtool dpkg-dev libssl-dev      # building wolfSSL from Debian's source package
  iproute2                                # network namespaces for the hal/net tests
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#packages[@]} packages present"
else
  echo "bootstrap: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# wolfSSL from Debian's source with vmport's options (cached in build/deps; about a minute once),
# and libsrtp2 from Debian's source with OpenSSL's AES instead of NSS (5x cheaper per packet,
# and flat with the number of channels; firmware/media/README.md).
prefix=$("$(dirname "$0")/build-wolfssl.sh")
echo "bootstrap: wolfSSL ready at $prefix"
prefix=$("$(dirname "$0")/build-libsrtp.sh")
echo "bootstrap: libsrtp2 ready at $prefix"

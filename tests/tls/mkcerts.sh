#!/usr/bin/env bash
# Test PKI for the TLS tests and the handshake benchmark, made with the openssl CLI when the tests
# run (never shipped: fixed certificates expire). Usage: mkcerts.sh DIR
#   root.pem/.key        vmport's integration root "CiscoUnity-<uuid>" (what CUCM gets as CallManager-trust)
#   port.pem/.key        a port's certificate (CN=CiscoUM1-VI1) issued by root; port-chain.pem = port + root
#   cm.pem/.key          CUCM's self-signed CallManager certificate: the one the CTL pins
#   cm2.pem/.key         another self-signed CallManager certificate with the same CN (a stale CTL)
#   cmca.pem/.key        a CA; cm-leaf.pem/.key a CallManager certificate it issued, cm-leaf-chain.pem
#   cm-expired.pem       cm.key, valid 2020-2021;  cm-future.pem: cm.key, valid 2090-2091
#   other-root.pem/.key  an unrelated CA; other-port.pem/.key a port certificate it issued
#   *.der                DER copies of the certificates above (the pinned ones) and port.key.der
set -euo pipefail
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"
ossl() { openssl "$@" 2>/dev/null; }
key() { ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }

ca_ext='basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash'
leaf_ext='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid'
printf '%s\n' "$ca_ext" >ca.ext
printf '%s\n' "$leaf_ext" >leaf.ext

# self-signed NAME KEY SUBJECT EXTFILE
selfsigned() {
  ossl req -new -key "$2" -subj "$3" -out "$1.csr"
  ossl x509 -req -in "$1.csr" -signkey "$2" -days 365 -sha256 -set_serial "0x$(openssl rand -hex 8)" \
    -extfile "$4" -out "$1.pem"
  rm -f "$1.csr"
}
# issued NAME KEY SUBJECT CA
issued() {
  ossl req -new -key "$2" -subj "$3" -out "$1.csr"
  ossl x509 -req -in "$1.csr" -CA "$4.pem" -CAkey "$4.key" -days 365 -sha256 \
    -set_serial "0x$(openssl rand -hex 8)" -extfile leaf.ext -out "$1.pem"
  rm -f "$1.csr"
}

uuid=$(cat /proc/sys/kernel/random/uuid 2>/dev/null || openssl rand -hex 16)
for k in root port cm cm2 cmca cm-leaf other-root other-port; do key "$k.key" & done
wait

selfsigned root root.key "/O=Cisco Systems Inc./OU=ECSBU/CN=CiscoUnity-$uuid" ca.ext
issued port port.key "/O=Cisco Systems Inc./OU=ECSBU/CN=CiscoUM1-VI1" root
cat port.pem root.pem >port-chain.pem

printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
  'extendedKeyUsage=serverAuth,clientAuth' 'subjectKeyIdentifier=hash' >cm.ext
selfsigned cm cm.key "/O=Lab/OU=CUCM/CN=cucm-pub" cm.ext
selfsigned cm2 cm2.key "/O=Lab/OU=CUCM/CN=cucm-pub" cm.ext
selfsigned cmca cmca.key "/O=Lab/CN=Lab Issuing CA" ca.ext
issued cm-leaf cm-leaf.key "/O=Lab/OU=CUCM/CN=cucm-sub" cmca
cat cm-leaf.pem cmca.pem >cm-leaf-chain.pem
selfsigned other-root other-root.key "/O=Elsewhere/CN=Other Root" ca.ext
issued other-port other-port.key "/O=Elsewhere/CN=CiscoUM1-VI1" other-root

# Certificates outside their validity period need explicit dates: `openssl ca` sets them.
mkdir -p ca.db
: >ca.db/index.txt
cat >ca.cnf <<CNF
[ca]
default_ca = lab
[lab]
database = ca.db/index.txt
new_certs_dir = ca.db
serial = ca.db/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = ext
[any]
commonName = supplied
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
subjectKeyIdentifier = hash
CNF
dated() { # NAME START END
  openssl rand -hex 8 >ca.db/serial
  ossl req -new -key cm.key -subj "/O=Lab/OU=CUCM/CN=cucm-pub" -out "$1.csr"
  ossl ca -batch -config ca.cnf -selfsign -keyfile cm.key -in "$1.csr" -startdate "$2" -enddate "$3" \
    -notext -out "$1.pem"
  rm -f "$1.csr"
}
dated cm-expired 20200101000000Z 20210101000000Z
dated cm-future 20900101000000Z 20910101000000Z
rm -rf ca.db ca.cnf ca.ext leaf.ext cm.ext
for f in *.pem; do openssl x509 -in "$f" -noout >/dev/null; done
# DER copies: what a CTL record's CERTIFICATE holds (the pinned certificates) and DER identity input.
for n in root port cm cm2 cmca cm-leaf cm-expired cm-future; do
  openssl x509 -in "$n.pem" -outform der -out "$n.der"
done
openssl pkey -in port.key -outform der -out port.key.der 2>/dev/null

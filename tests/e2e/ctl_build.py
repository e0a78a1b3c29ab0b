#!/usr/bin/env python3
"""Build a signed CTLFile.tlv for the end-to-end tests (an independent builder, not vmport's code:
struct packing per protocol.md section 6, every cryptographic step done by the openssl CLI).

  ctl_build.py OUT.tlv SAST.pem SAST.key RECORD...

RECORD is ROLE,IP,DNSNAME,CERT.pem with ROLE ccm, ccm+tftp or tftp. The SAST certificate is the
first record (role SAST) and signs the file (RSA PKCS#1 v1.5, SHA-256). labcm's state directory
has everything needed: sast.pem/sast.key and each instance's callmanager.pem.
"""
import ipaddress
import os
import struct
import subprocess
import sys
import tempfile
import time

ROLES = {"sast": 0, "ccm": 1, "ccm+tftp": 2, "tftp": 3}


def ossl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def tlv(tag, value):
    return struct.pack(">BH", tag, len(value)) + value


def der_read(buf, pos):
    tag, n = buf[pos], buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    return tag, buf[pos:pos + n], pos + n


class Cert:
    def __init__(self, pem):
        self.der = ossl("x509", "-in", pem, "-outform", "DER")
        _, cert, _ = der_read(self.der, 0)
        _, _, p = der_read(cert, 0)  # tbsCertificate
        _, _, p = der_read(cert, p)  # signatureAlgorithm
        _, sig, _ = der_read(cert, p)
        self.signature = sig[1:]
        pub = ossl("x509", "-in", pem, "-noout", "-pubkey")
        self.pkcs1 = ossl("rsa", "-pubin", "-RSAPublicKey_out", "-outform", "DER", data=pub)
        self.subject = self.name(pem, "-subject")
        self.issuer = self.name(pem, "-issuer")
        s = ossl("x509", "-in", pem, "-noout", "-serial").decode().strip().split("=", 1)[1]
        self.serial = bytes.fromhex(("0" if len(s) % 2 else "") + s).lstrip(b"\0") or b"\0"

    @staticmethod
    def name(pem, which):
        out = ossl("x509", "-in", pem, "-noout", which, "-nameopt", "RFC2253").decode().strip()
        return out.split("=", 1)[1].replace(",", ";")


def record(cert, role, ip=None, dns=""):
    rec = tlv(2, dns.encode() + b"\0") + tlv(3, cert.subject.encode() + b"\0")
    rec += tlv(4, struct.pack(">H", role)) + tlv(5, cert.issuer.encode() + b"\0")
    rec += tlv(6, cert.serial) + tlv(7, cert.pkcs1) + tlv(8, cert.signature) + tlv(9, cert.der)
    if ip is not None:
        rec += tlv(10, ipaddress.IPv4Address(ip).packed)
    return tlv(1, struct.pack(">H", 5 + len(rec))) + rec


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    out, sast_pem, sast_key = sys.argv[1:4]
    sast = Cert(sast_pem)
    body = record(sast, ROLES["sast"])
    for spec in sys.argv[4:]:
        role, ip, dns, pem = spec.split(",", 3)
        body += record(Cert(pem), ROLES[role], ip, dns)
    siglen = len(ossl("rsa", "-in", sast_key, "-noout", "-modulus").decode().strip().split("=", 1)[1]) // 2
    modulus_index = {64: 0, 128: 1, 256: 2, 512: 3}[siglen]
    hdr = tlv(1, b"\x01\x02") + tlv(2, b"\0\0")
    hdr += tlv(3, tlv(4, sast.subject.encode() + b"\0") + tlv(5, sast.serial) + tlv(6, sast.issuer.encode() + b"\0"))
    hdr += tlv(7, tlv(8, b"\x02") + tlv(9, tlv(10, b"\x00") + tlv(11, bytes([modulus_index]))))
    sig_at = len(hdr)
    hdr += tlv(14, b"CTLFile.tlv\0") + tlv(15, struct.pack(">I", int(time.time())))
    while (len(hdr) + 3 + siglen) % 4:
        hdr += b"\x0d"
    hdr = hdr[:8] + struct.pack(">H", len(hdr) + 3 + siglen) + hdr[10:]
    with tempfile.NamedTemporaryFile() as tbs:
        tbs.write(hdr + body)
        tbs.flush()
        sig = ossl("dgst", "-sha256", "-sign", sast_key, tbs.name)
    assert len(sig) == siglen
    data = hdr[:sig_at] + tlv(12, sig) + hdr[sig_at:] + body
    with open(out + ".tmp", "wb") as f:
        f.write(data)
    os.chmod(out + ".tmp", 0o644)
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()

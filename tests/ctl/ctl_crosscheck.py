#!/usr/bin/env python3
"""Cross-check proto/ctl against an independent CTL implementation.

This script writes and reads CTL files on its own (struct plus a tiny DER reader, following
protocol.md section 6 and CU-TLV's header order 1, 2, 28, 3, 7, padding at the end) and leaves all
cryptography to the openssl command line. Both directions, for SHA-1, SHA-256 and SHA-512:
  1. python builds and openssl signs a CTL; ctl_tool parses, verifies (pinned) and selects from it;
  2. ctl_tool builds a CTL; python parses it and openssl verifies the signature and the fields.
Exit status 0 when everything agrees.
"""
import argparse
import hashlib
import os
import shutil
import struct
import subprocess
import sys

DIGESTS = {"sha1": 1, "sha256": 2, "sha512": 3}
FAILURES = []
CHECKS = [0]


def check(cond, what):
    CHECKS[0] += 1
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)


def run(cmd, ok_codes=(0,)):
    p = subprocess.run(cmd, capture_output=True)
    if p.returncode not in ok_codes:
        sys.stderr.write(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr.decode()}\n")
        raise SystemExit(2)
    return p


def tlv(tag, value):
    return struct.pack(">BH", tag, len(value)) + value


def der_read(buf, pos):
    """One DER TLV at pos: (tag, value, next position)."""
    tag, n = buf[pos], buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    return tag, buf[pos:pos + n], pos + n


def cert_signature(der):
    _, cert, _ = der_read(der, 0)
    _, _, p = der_read(cert, 0)  # tbsCertificate
    _, _, p = der_read(cert, p)  # signatureAlgorithm
    tag, sig, _ = der_read(cert, p)
    assert tag == 3 and sig[0] == 0
    return sig[1:]


class Identity:
    def __init__(self, ossl, work, name, cn, serial_hex, issuer=None):
        self.key = f"{work}/{name}.key"
        pem = f"{work}/{name}.pem"
        der = f"{work}/{name}.der"
        subj = f"/C=NZ/O=xcheck lab/OU=Voice/CN={cn}"
        if issuer is None:
            run([ossl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key, "-out", pem,
                 "-subj", subj, "-days", "30", "-set_serial", "0x" + serial_hex, "-sha256"])
        else:
            csr = f"{work}/{name}.csr"
            run([ossl, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key, "-out", csr,
                 "-subj", subj])
            run([ossl, "x509", "-req", "-in", csr, "-CA", issuer.pem, "-CAkey", issuer.key, "-out", pem,
                 "-days", "30", "-set_serial", "0x" + serial_hex, "-sha256"])
        run([ossl, "x509", "-in", pem, "-outform", "DER", "-out", der])
        self.pem = pem
        self.der_path = der
        with open(der, "rb") as f:
            self.der = f.read()
        self.pub1 = run([ossl, "rsa", "-in", self.key, "-RSAPublicKey_out", "-outform", "DER"]).stdout
        self.subject = name_of(ossl, pem, "-subject")
        self.issuer = name_of(ossl, pem, "-issuer")
        self.serial = serial_of(ossl, pem)


def name_of(ossl, pem, which):
    """RFC 2253 order (most specific first) with ';' between attributes: how CUCM prints names."""
    out = run([ossl, "x509", "-in", pem, "-noout", which, "-nameopt", "RFC2253"]).stdout.decode().strip()
    return out.split("=", 1)[1].replace(",", ";")


def serial_of(ossl, pem):
    s = run([ossl, "x509", "-in", pem, "-noout", "-serial"]).stdout.decode().strip().split("=", 1)[1]
    if len(s) % 2:
        s = "0" + s
    return bytes.fromhex(s).lstrip(b"\0") or b"\0"


def sign(ossl, key, digest, data, work):
    dpath, spath = f"{work}/tbs.bin", f"{work}/sig.bin"
    with open(dpath, "wb") as f:
        f.write(data)
    run([ossl, "dgst", "-" + digest, "-sign", key, "-out", spath, dpath])
    with open(spath, "rb") as f:
        return f.read()


def openssl_verify(ossl, cert_der_path, digest, data, sig, work):
    pub = f"{work}/pub.pem"
    with open(pub, "wb") as f:
        f.write(run([ossl, "x509", "-inform", "DER", "-in", cert_der_path, "-pubkey", "-noout"]).stdout)
    dpath, spath = f"{work}/vdata.bin", f"{work}/vsig.bin"
    with open(dpath, "wb") as f:
        f.write(data)
    with open(spath, "wb") as f:
        f.write(sig)
    p = subprocess.run([ossl, "dgst", "-" + digest, "-verify", pub, "-signature", spath, dpath],
                       capture_output=True)
    return p.returncode == 0


def py_build(ossl, work, signer, records, digest, ts):
    """A CTL in CU-TLV's header order, with container children in an order proto/ctl does not write."""
    siglen = 256
    hdr = tlv(1, b"\x01\x02")
    hdr += tlv(2, b"\0\0")
    hdr += tlv(28, b"\x01\x00")
    hdr += tlv(3, tlv(6, signer.issuer.encode() + b"\0") + tlv(4, signer.subject.encode() + b"\0") +
               tlv(5, signer.serial))
    hdr += tlv(7, tlv(9, tlv(11, b"\x02") + tlv(10, b"\x00")) + tlv(8, bytes([DIGESTS[digest]])))
    sig_at = len(hdr)
    hdr += tlv(77, b"unknown header tag")
    hdr += tlv(14, b"CTLFile.tlv\0") + tlv(15, struct.pack(">I", ts))
    while (len(hdr) + 3 + siglen) % 4:
        hdr += b"\x0d"
    hdr = hdr[:8] + struct.pack(">H", len(hdr) + 3 + siglen) + hdr[10:]
    body = b""
    for ident, role, ip, dns in records:
        rec = tlv(3, ident.subject.encode() + b"\0") + tlv(4, struct.pack(">H", role))
        rec += tlv(5, ident.issuer.encode() + b"\0") + tlv(6, ident.serial) + tlv(7, ident.pub1)
        rec += tlv(8, cert_signature(ident.der)) + tlv(9, ident.der)
        if ip is not None:
            rec += tlv(99, b"xyz") + tlv(10, bytes(ip)) + tlv(2, dns.encode() + b"\0")
        body += tlv(1, struct.pack(">H", 5 + len(rec))) + rec
    sig = sign(ossl, signer.key, digest, hdr + body, work)
    check(len(sig) == siglen, "openssl signature length")
    return hdr[:sig_at] + tlv(12, sig) + hdr[sig_at:] + body


def tool_fields(tool, path, *pins):
    p = subprocess.run([tool, "fields", path, *pins], capture_output=True)
    fields = {}
    for line in p.stdout.decode().splitlines():
        k, _, v = line.partition("=")
        fields[k] = v
    return p.returncode, fields, p.stderr.decode()


def sha256hex(b):
    return hashlib.sha256(b).hexdigest().upper()


def python_to_c(tool, ossl, work, digest):
    sast = Identity(ossl, work, "sast", "SAST-xcheck", "8899AABBCC")
    ca = Identity(ossl, work, "ca", "xcheck CA", "01")
    ccm = Identity(ossl, work, "ccm", "cucm-x", "0102", issuer=ca)
    ts = 1425675367
    data = py_build(ossl, work, sast, [(sast, 0, None, None), (ccm, 2, [192, 0, 2, 10], "cucm-x.example")],
                    digest, ts)
    path = f"{work}/py_{digest}.tlv"
    with open(path, "wb") as f:
        f.write(data)

    rc, fl, err = tool_fields(tool, path, sast.der_path)
    check(rc == 0 and fl.get("verified") == "ok", f"[{digest}] ctl_tool verifies the python CTL: {fl.get('verified')} {err}")
    want = {
        "version": "1.2", "digest": str(DIGESTS[digest]), "modulus": "2", "signature_len": "256",
        "filename": "CTLFile.tlv", "timestamp": str(ts), "signer_version": "1.0", "unknown": "1",
        "signer_name": sast.subject, "issuer": sast.issuer, "serial": sast.serial.hex().upper(),
        "records": "2",
        "record.1.role": "0", "record.1.dns": "", "record.1.ip": "0.0.0.0", "record.1.unknown": "0",
        "record.1.subject": sast.subject, "record.1.serial": sast.serial.hex().upper(),
        "record.1.pubkey_sha256": sha256hex(sast.pub1), "record.1.cert_sha256": sha256hex(sast.der),
        "record.2.role": "2", "record.2.dns": "cucm-x.example", "record.2.ip": "192.0.2.10",
        "record.2.unknown": "1", "record.2.subject": ccm.subject, "record.2.issuer": ca.subject,
        "record.2.serial": ccm.serial.hex().upper(), "record.2.pubkey_sha256": sha256hex(ccm.pub1),
        "record.2.cert_sha256": sha256hex(ccm.der), "record.2.signature_len": "256",
    }
    for k, v in want.items():
        check(fl.get(k) == v, f"[{digest}] python CTL field {k}: want {v!r}, got {fl.get(k)!r}")

    for host in ("CUCM-X.example", "192.0.2.10", "cucm-x"):
        p = subprocess.run([tool, "select", path, host], capture_output=True)
        check(p.returncode == 0 and p.stdout.decode().strip() == "2", f"[{digest}] select {host}")
    p = subprocess.run([tool, "select", path, "192.0.2.99"], capture_output=True)
    check(p.returncode == 1 and b"failed to find CCM Server '192.0.2.99'" in p.stderr, f"[{digest}] select missing")

    # Pinned to another certificate: refused. One changed byte: refused.
    rc, fl, _ = tool_fields(tool, path, ccm.der_path)
    check(rc == 1 and fl.get("verified", "").startswith("signer not pinned"), f"[{digest}] wrong pin refused")
    bad = bytearray(data)
    bad[data.index(b"cucm-x.example")] ^= 0x20
    with open(path + ".bad", "wb") as f:
        f.write(bad)
    rc, fl, _ = tool_fields(tool, path + ".bad", sast.der_path)
    check(rc == 1 and fl.get("verified", "").startswith("signature does not verify"), f"[{digest}] tamper detected")


def py_parse(data):
    """Header fields by tag (containers transparent, as CU-TLV reads them) and records as dicts."""
    hdr, sig_at = {}, None
    header_length = struct.unpack_from(">H", data, 8)[0]
    pos = 0
    while pos < header_length:
        tag = data[pos]
        if tag == 13:
            pos += 1
            continue
        (n,) = struct.unpack_from(">H", data, pos + 1)
        if tag in (3, 7, 9):
            pos += 3
            continue
        if tag == 12:
            sig_at = pos
        hdr[tag] = data[pos + 3:pos + 3 + n]
        pos += 3 + n
    records = []
    while pos < len(data):
        (rlen,) = struct.unpack_from(">H", data, pos + 3)
        rec, p = {}, pos + 5
        while p < pos + rlen:
            tag = data[p]
            (n,) = struct.unpack_from(">H", data, p + 1)
            rec[tag] = data[p + 3:p + 3 + n]
            p += 3 + n
        rec["length"] = rlen
        records.append(rec)
        pos += rlen
    return header_length, hdr, sig_at, records


def c_to_python(tool, ossl, work, digest):
    d = f"{work}/c_{digest}"
    os.makedirs(d, exist_ok=True)
    run([tool, "demo", d, digest])
    for name in ("CTLFile.tlv", "ITLFile.tlv"):
        with open(f"{d}/{name}", "rb") as f:
            data = f.read()
        header_length, hdr, sig_at, records = py_parse(data)
        check(header_length % 4 == 0, f"[{digest}] {name}: header length multiple of 4")
        check(sig_at is not None, f"[{digest}] {name}: signature found")
        sig = hdr[12]
        signed = data[:sig_at] + data[sig_at + 3 + len(sig):]
        check(openssl_verify(ossl, f"{d}/sast.der", digest, signed, sig, d), f"[{digest}] {name}: openssl verifies")
        check(not openssl_verify(ossl, f"{d}/sast.der", digest, signed[:-1] + bytes([signed[-1] ^ 1]), sig, d),
              f"[{digest}] {name}: openssl rejects a changed byte")
        check(hdr[8] == bytes([DIGESTS[digest]]), f"[{digest}] {name}: digest code")
        check(hdr[1] == b"\x01\x02", f"[{digest}] {name}: version 1.2")
        check(hdr[14] == name.encode() + b"\0", f"[{digest}] {name}: filename")

        sast_pem = f"{d}/sast.pem"
        run([ossl, "x509", "-inform", "DER", "-in", f"{d}/sast.der", "-out", sast_pem])
        check(hdr[4] == name_of(ossl, sast_pem, "-subject").encode() + b"\0", f"[{digest}] {name}: SIGNER_NAME")
        check(hdr[6] == name_of(ossl, sast_pem, "-issuer").encode() + b"\0", f"[{digest}] {name}: CA_NAME")
        check(hdr[5] == serial_of(ossl, sast_pem), f"[{digest}] {name}: header SERIAL_NUMBER")
        check(sum(r["length"] for r in records) == len(data) - header_length, f"[{digest}] {name}: record lengths")

        with open(f"{d}/ccm.der", "rb") as f:
            ccm_der = f.read()
        ccm_pem = f"{d}/ccm.pem"
        run([ossl, "x509", "-inform", "DER", "-in", f"{d}/ccm.der", "-out", ccm_pem])
        pub_pem = run([ossl, "x509", "-in", ccm_pem, "-pubkey", "-noout"]).stdout
        pub1 = subprocess.run([ossl, "rsa", "-pubin", "-RSAPublicKey_out", "-outform", "DER"], input=pub_pem,
                              capture_output=True).stdout
        ccm = [r for r in records if r.get(9) == ccm_der]
        check(len(ccm) == 1, f"[{digest}] {name}: CCM certificate present once")
        if ccm:
            r = ccm[0]
            check(r[4] == b"\x00\x02", f"[{digest}] {name}: CCM+TFTP role")
            check(r[7] == pub1, f"[{digest}] {name}: PUBLIC_KEY is the PKCS#1 key openssl extracts")
            check(r[8] == cert_signature(ccm_der), f"[{digest}] {name}: record SIGNATURE")
            check(r[3] == name_of(ossl, ccm_pem, "-subject").encode() + b"\0", f"[{digest}] {name}: SUBJECT_NAME")
            check(r[5] == name_of(ossl, ccm_pem, "-issuer").encode() + b"\0", f"[{digest}] {name}: ISSUER_NAME")
            check(r[6] == serial_of(ossl, ccm_pem), f"[{digest}] {name}: record SERIAL_NUMBER")
            check(r[10] == bytes([10, 0, 0, 10]), f"[{digest}] {name}: IP_ADDRESS")
            check(r[11] == hashlib.sha1(ccm_der).digest() and r[12] == b"\x01", f"[{digest}] {name}: CERT_HASH")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--openssl", default="openssl")
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    for digest in DIGESTS:
        w = f"{a.work}/{digest}"
        os.makedirs(w)
        python_to_c(a.tool, a.openssl, w, digest)
        c_to_python(a.tool, a.openssl, w, digest)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print(f"ctl cross-check: {CHECKS[0]} checks, python+openssl and proto/ctl agree "
          "(SHA-1, SHA-256, SHA-512, both directions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

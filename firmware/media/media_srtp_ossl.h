/* libsrtp's AES-ICM (128, 192, 256) and HMAC-SHA1 replaced, through libsrtp's own API, by
 * implementations on the same OpenSSL primitives without OpenSSL's per-packet context set-up
 * (media_srtp_ossl.c says why). Only built when libsrtp uses OpenSSL. */
#ifndef VMPORT_MEDIA_SRTP_OSSL_H
#define VMPORT_MEDIA_SRTP_OSSL_H

/* Once, after srtp_init and before the first context. 0: all four replaced; -1: some or none
 * were (their known-answer tests failed, or OpenSSL lacks the SHA-1 block API): libsrtp keeps
 * its own for those, correct but slower. */
int media_srtp_ossl_install(void);

#endif

/* Who may be on the other end (the verify callback of wolfSSL's tls/server-tls-verifycallback.c:
 * it sees the depth, wolfSSL's error and the DER chain, and leaves a sentence saying why).
 *
 * Client (a port): pinning, not web PKI (protocol.md §6.5 step 4). The server's leaf certificate
 * is accepted when it byte-equals the CTL's CallManager certificate pinned for this connection, or
 * when it verifies with that certificate as the only CA. wolfSSL's own verdict (`preverify`) is not
 * used on this side: the client context holds no CA at all, and the decision is made here from the
 * DER chain, once, at depth 0.
 *
 * Server (the lab CallManager): the client's chain must verify against CallManager-trust
 * (wolfSSL's verdict); this callback only turns a refusal into a sentence. */
#include "tls/tls_internal.h"

#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <stdio.h>
#include <string.h>

/* OpenSSL's X509_V_ERR_* values: builds with OPENSSL_COMPATIBLE_DEFAULTS (Debian's) report these
 * in store->error instead of wolfSSL's negative codes. */
enum {
	X509_ERR_UNABLE_TO_GET_ISSUER_CERT = 2,
	X509_ERR_CERT_NOT_YET_VALID = 9,
	X509_ERR_CERT_HAS_EXPIRED = 10,
	X509_ERR_DEPTH_ZERO_SELF_SIGNED = 18,
	X509_ERR_SELF_SIGNED_IN_CHAIN = 19,
	X509_ERR_UNABLE_TO_GET_ISSUER_LOCALLY = 20,
	X509_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21,
};

/* Parse an ASN.1 UTCTime / GeneralizedTime string ("YYMMDDHHMMSSZ" / "YYYYMMDDHHMMSSZ"). */
static int asn1_time_parse(const WOLFSSL_ASN1_TIME *t, time_t *out, char *text, size_t text_cap)
{
	const unsigned char *d = t->data;
	int len = t->length;
	/* Some wolfSSL versions keep the tag and length in front of the string. */
	if (len > 2 && (d[0] == 0x17 || d[0] == 0x18) && d[1] == len - 2) {
		d += 2;
		len -= 2;
	}
	int digits = len - 1;
	if ((digits != 12 && digits != 14) || d[len - 1] != 'Z')
		return -1;
	int v[7] = {0};
	int pos = 0;
	for (int i = 0; i < digits; i += 2) {
		if (d[i] < '0' || d[i] > '9' || d[i + 1] < '0' || d[i + 1] > '9')
			return -1;
		v[pos++] = (d[i] - '0') * 10 + (d[i + 1] - '0');
	}
	int year, mon, day, hour, min, sec;
	if (digits == 12) {
		year = v[0] < 50 ? 2000 + v[0] : 1900 + v[0]; /* RFC 5280 4.1.2.5.1 */
		mon = v[1], day = v[2], hour = v[3], min = v[4], sec = v[5];
	} else {
		year = v[0] * 100 + v[1];
		mon = v[2], day = v[3], hour = v[4], min = v[5], sec = v[6];
	}
	struct tm tm = {.tm_year = year - 1900,
	                .tm_mon = mon - 1,
	                .tm_mday = day,
	                .tm_hour = hour,
	                .tm_min = min,
	                .tm_sec = sec};
	*out = timegm(&tm);
	tls_fmt(text, text_cap, "%04d-%02d-%02d %02d:%02d:%02d UTC", year, mon, day, hour, min, sec);
	return 0;
}

int tls_cert_validity(const uint8_t *der, size_t len, time_t now, char *when, size_t when_cap)
{
	if (when_cap)
		when[0] = '\0';
	if (!der || len == 0 || len > 0x7fffffff)
		return -2;
	WOLFSSL_X509 *x = wolfSSL_X509_d2i(NULL, der, (int)len);
	if (!x)
		return -2;
	int rc = -2;
	time_t nb, na;
	char nb_text[40], na_text[40];
	const WOLFSSL_ASN1_TIME *tb = wolfSSL_X509_get_notBefore(x);
	const WOLFSSL_ASN1_TIME *ta = wolfSSL_X509_get_notAfter(x);
	if (tb && ta && asn1_time_parse(tb, &nb, nb_text, sizeof nb_text) == 0 &&
	    asn1_time_parse(ta, &na, na_text, sizeof na_text) == 0) {
		if (now > na) {
			rc = 1;
			tls_fmt(when, when_cap, "%s", na_text);
		} else if (now < nb) {
			rc = -1;
			tls_fmt(when, when_cap, "%s", nb_text);
		} else {
			rc = 0;
		}
	}
	wolfSSL_X509_free(x);
	return rc;
}

void tls_cert_name(const uint8_t *der, size_t len, bool issuer, char *out, size_t cap)
{
	out[0] = '\0';
	if (!der || len == 0 || len > 0x7fffffff)
		return;
	WOLFSSL_X509 *x = wolfSSL_X509_d2i(NULL, der, (int)len);
	if (!x)
		return;
	WOLFSSL_X509_NAME *n = issuer ? wolfSSL_X509_get_issuer_name(x) : wolfSSL_X509_get_subject_name(x);
	if (n && cap <= 0x7fffffff)
		wolfSSL_X509_NAME_oneline(n, out, (int)cap);
	wolfSSL_X509_free(x);
}

static void note_peer(struct tls_conn *c, const uint8_t *der, size_t len)
{
	if (len > 0xffffffffu || wc_Sha256Hash(der, (word32)len, c->peer_sha256) != 0)
		return;
	c->have_peer = true;
	tls_fingerprint(der, len, c->peer_fp);
	tls_cert_name(der, len, false, c->peer_subject, sizeof c->peer_subject);
}

/* Validity as a refusal, or 0 when the certificate is within its dates. */
static int refuse_if_outside_dates(struct tls_conn *c, const uint8_t *der, size_t len, const char *who,
                                   const char *extra)
{
	char when[40];
	int v = tls_cert_validity(der, len, time(NULL), when, sizeof when);
	if (v == 1) {
		tls_conn_set_reason(c, TLS_FAIL_CERT_EXPIRED, "%s certificate expired (notAfter %s)%s", who,
		                    when, extra);
		return -1;
	}
	if (v == -1) {
		tls_conn_set_reason(c, TLS_FAIL_CERT_NOT_YET_VALID,
		                    "%s certificate not yet valid (notBefore %s; check the clocks, NTP)%s",
		                    who, when, extra);
		return -1;
	}
	if (v == -2) {
		tls_conn_set_reason(c, TLS_FAIL_PROTOCOL, "%s certificate could not be parsed", who);
		return -1;
	}
	return 0;
}

/* Does the presented chain lead from the leaf to the pinned certificate? Our own certificate
 * manager with the pinned certificate as its only CA; intermediates are added only once they
 * verified under it, so nothing the server sends can vouch for itself. */
static int chains_to_pin(const struct tls_conn *c, const WOLFSSL_BUFFER_INFO *certs, int total, int *why)
{
	*why = 0;
	WOLFSSL_CERT_MANAGER *cm = wolfSSL_CertManagerNew();
	if (!cm)
		return 0;
	int ok = 0;
	int r = wolfSSL_CertManagerLoadCABuffer(cm, c->pinned, (long)c->pinned_len, WOLFSSL_FILETYPE_ASN1);
	if (r != WOLFSSL_SUCCESS) {
		*why = r; /* e.g. the pinned certificate is not a CA: only byte equality can match it */
		goto out;
	}
	/* The chain runs leaf first; issuers sit above their subjects. */
	for (int i = total - 1; i >= 1; i--) {
		const WOLFSSL_BUFFER_INFO *b = &certs[i];
		if (b->length == c->pinned_len && memcmp(b->buffer, c->pinned, c->pinned_len) == 0)
			continue;
		if (wolfSSL_CertManagerVerifyBuffer(cm, b->buffer, (long)b->length, WOLFSSL_FILETYPE_ASN1) ==
		    WOLFSSL_SUCCESS)
			wolfSSL_CertManagerLoadCABuffer(cm, b->buffer, (long)b->length,
			                                WOLFSSL_FILETYPE_ASN1);
	}
	r = wolfSSL_CertManagerVerifyBuffer(cm, certs[0].buffer, (long)certs[0].length,
	                                    WOLFSSL_FILETYPE_ASN1);
	ok = r == WOLFSSL_SUCCESS;
	if (!ok)
		*why = r;
out:
	wolfSSL_CertManagerFree(cm);
	return ok;
}

static int client_verify_leaf(struct tls_conn *c, WOLFSSL_X509_STORE_CTX *store)
{
	const WOLFSSL_BUFFER_INFO *certs = store->certs;
	int total = store->totalCerts;
	if (!certs || total < 1 || !certs[0].buffer) {
		tls_conn_set_reason(c, TLS_FAIL_NO_PEER_CERT, "the server presented no certificate");
		return 0;
	}
	const uint8_t *leaf = certs[0].buffer;
	size_t leaf_len = certs[0].length;
	note_peer(c, leaf, leaf_len);
	if (!c->pinned) {
		tls_conn_set_reason(
		    c, TLS_FAIL_NO_PIN,
		    "no pinned certificate: the CTL has no CallManager certificate for this server "
		    "(presented SHA-256 %s, %s)",
		    c->peer_fp, c->peer_subject);
		return 0;
	}
	if (leaf_len == c->pinned_len && memcmp(leaf, c->pinned, leaf_len) == 0) {
		if (refuse_if_outside_dates(c, leaf, leaf_len, "server",
		                            " (it is the CTL's CallManager certificate)"))
			return 0;
		c->peer_verified = true;
		return 1;
	}
	char pin_fp[96];
	tls_fingerprint(c->pinned, c->pinned_len, pin_fp);
	int why = 0;
	if (chains_to_pin(c, certs, total, &why)) {
		if (refuse_if_outside_dates(c, leaf, leaf_len, "server", ""))
			return 0;
		c->peer_verified = true;
		return 1;
	}
	if (why == ASN_AFTER_DATE_E || why == ASN_BEFORE_DATE_E) {
		/* Signed by the pinned certificate but outside its dates. */
		char extra[160];
		tls_fmt(extra, sizeof extra, " (issued by the CTL's CallManager certificate %s)", pin_fp);
		if (refuse_if_outside_dates(c, leaf, leaf_len, "server", extra))
			return 0;
	}
	tls_conn_set_reason(
	    c, TLS_FAIL_PIN_MISMATCH,
	    "server certificate differs from the CTL's CallManager certificate (CTL SHA-256 %s, "
	    "presented %s); presented %s",
	    pin_fp, c->peer_fp, c->peer_subject);
	return 0;
}

static bool is_untrusted_issuer(int e)
{
	return e == ASN_NO_SIGNER_E || e == ASN_SELF_SIGNED_E || e == X509_ERR_UNABLE_TO_GET_ISSUER_CERT ||
	       e == X509_ERR_UNABLE_TO_GET_ISSUER_LOCALLY || e == X509_ERR_DEPTH_ZERO_SELF_SIGNED ||
	       e == X509_ERR_SELF_SIGNED_IN_CHAIN || e == X509_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

static int server_verify(struct tls_conn *c, int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	int depth = store->error_depth;
	const WOLFSSL_BUFFER_INFO *certs = store->certs;
	int total = store->totalCerts;
	const uint8_t *der = certs && depth >= 0 && depth < total ? certs[depth].buffer : NULL;
	size_t der_len = der ? certs[depth].length : 0;
	if (depth == 0 && der)
		note_peer(c, der, der_len);
	if (preverify) {
		if (depth == 0)
			c->peer_verified = true;
		return 1;
	}
	/* Refused by wolfSSL against CallManager-trust: say why, naming the certificate. */
	char what[40];
	tls_fmt(what, sizeof what, depth == 0 ? "client" : "client chain (depth %d)", depth);
	int e = store->error;
	if (e == ASN_AFTER_DATE_E || e == X509_ERR_CERT_HAS_EXPIRED || e == ASN_BEFORE_DATE_E ||
	    e == X509_ERR_CERT_NOT_YET_VALID) {
		if (der && refuse_if_outside_dates(c, der, der_len, what, ""))
			return 0;
	}
	char fp[96] = "", subject[160] = "", issuer[160] = "";
	if (der) {
		tls_fingerprint(der, der_len, fp);
		tls_cert_name(der, der_len, false, subject, sizeof subject);
		tls_cert_name(der, der_len, true, issuer, sizeof issuer);
	}
	if (is_untrusted_issuer(e)) {
		tls_conn_set_reason(
		    c, TLS_FAIL_PEER_UNTRUSTED,
		    "%s certificate %s (SHA-256 %s) is not issued by a CallManager-trust certificate "
		    "(issuer %s)",
		    what, subject, fp, issuer);
	} else {
		const char *text = e < 0 ? wolfSSL_ERR_reason_error_string((unsigned long)e)
		                         : wolfSSL_X509_verify_cert_error_string(e);
		tls_conn_set_reason(c, TLS_FAIL_PEER_UNTRUSTED,
		                    "%s certificate %s (SHA-256 %s) refused: %s (%d)", what, subject, fp,
		                    text ? text : "verification failed", e);
	}
	return 0;
}

int tls_verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	struct tls_conn *c = store ? store->userCtx : NULL;
	if (!c)
		return 0; /* not one of ours: refuse */
	if (c->fail != TLS_FAIL_NONE)
		return 0;
	if (c->ctx->role == TLS_ROLE_SERVER)
		return server_verify(c, preverify, store);
	/* Client: intermediates are only collected (wolfSSL hands us the whole chain at depth 0). */
	if (store->error_depth > 0)
		return 1;
	return client_verify_leaf(c, store);
}

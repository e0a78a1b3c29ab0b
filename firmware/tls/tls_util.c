/* Modes, suite lists, alert names, fingerprints: the policy tables of the TLS layer. */
#include "tls/tls_internal.h"

#include <wolfssl/version.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <stdio.h>
#include <string.h>

/* protocol.md §7.4: the C-CIPHER "SCCP" list, strongest first, after the TLS 1.3 suites. */
static const char *const encrypted_suites[] = {
    "TLS13-AES256-GCM-SHA384",
    "TLS13-AES128-GCM-SHA256",
    "TLS13-CHACHA20-POLY1305-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "AES256-GCM-SHA384",
    "AES256-SHA256",
    "AES256-SHA",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA",
    "AES128-GCM-SHA256",
    "AES128-SHA256",
    "AES128-SHA",
    "ECDHE-RSA-AES256-SHA",
    NULL,
};
/* The same TLS 1.3 suites by their IANA names (what some builds report). */
static const char *const tls13_iana[] = {
    "TLS_AES_256_GCM_SHA384",
    "TLS_AES_128_GCM_SHA256",
    "TLS_CHACHA20_POLY1305_SHA256",
    NULL,
};
/* Authenticated: integrity only, so signalling stays readable but tamper-proof (§7.2). */
static const char *const authenticated_suites[] = {"NULL-SHA256", "NULL-SHA", NULL};

static const char encrypted_list[] =
    "TLS13-AES256-GCM-SHA384:TLS13-AES128-GCM-SHA256:TLS13-CHACHA20-POLY1305-SHA256:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-SHA384:AES256-GCM-SHA384:AES256-SHA256:AES256-SHA:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA:AES128-GCM-SHA256:"
    "AES128-SHA256:AES128-SHA:ECDHE-RSA-AES256-SHA";
static const char authenticated_list[] = "NULL-SHA256:NULL-SHA";

static bool in_list(const char *const *list, const char *name)
{
	for (size_t i = 0; list[i]; i++) {
		if (!strcmp(list[i], name))
			return true;
	}
	return false;
}

int tls_mode_from_security(enum vmport_security_mode mode, enum tls_mode *out)
{
	switch (mode) {
	case VMPORT_AUTHENTICATED:
		*out = TLS_MODE_AUTHENTICATED;
		return 0;
	case VMPORT_ENCRYPTED:
		*out = TLS_MODE_ENCRYPTED;
		return 0;
	case VMPORT_NONSECURE:
		break;
	}
	return -1;
}

const char *tls_mode_name(enum tls_mode mode)
{
	return mode == TLS_MODE_AUTHENTICATED ? "authenticated"
	       : mode == TLS_MODE_ENCRYPTED   ? "encrypted"
	                                      : "invalid";
}

const char *tls_mode_cipher_list(enum tls_mode mode)
{
	return mode == TLS_MODE_AUTHENTICATED ? authenticated_list
	       : mode == TLS_MODE_ENCRYPTED   ? encrypted_list
	                                      : "";
}

bool tls_cipher_allowed(enum tls_mode mode, const char *name)
{
	if (!name || !*name)
		return false;
	/* Belt and braces: whatever the tables say, Encrypted never accepts a NULL cipher and
	 * Authenticated never accepts anything else. */
	bool is_null = strstr(name, "NULL") != NULL;
	if (mode == TLS_MODE_ENCRYPTED)
		return !is_null && (in_list(encrypted_suites, name) || in_list(tls13_iana, name));
	if (mode == TLS_MODE_AUTHENTICATED)
		return is_null && in_list(authenticated_suites, name);
	return false;
}

const char *tls_alert_name(int code)
{
	switch (code) {
	case 0:
		return "close_notify";
	case 10:
		return "unexpected_message";
	case 20:
		return "bad_record_mac";
	case 21:
		return "decryption_failed";
	case 22:
		return "record_overflow";
	case 30:
		return "decompression_failure";
	case 40:
		return "handshake_failure";
	case 41:
		return "no_certificate";
	case 42:
		return "bad_certificate";
	case 43:
		return "unsupported_certificate";
	case 44:
		return "certificate_revoked";
	case 45:
		return "certificate_expired";
	case 46:
		return "certificate_unknown";
	case 47:
		return "illegal_parameter";
	case 48:
		return "unknown_ca";
	case 49:
		return "access_denied";
	case 50:
		return "decode_error";
	case 51:
		return "decrypt_error";
	case 60:
		return "export_restriction";
	case 70:
		return "protocol_version";
	case 71:
		return "insufficient_security";
	case 80:
		return "internal_error";
	case 86:
		return "inappropriate_fallback";
	case 90:
		return "user_canceled";
	case 100:
		return "no_renegotiation";
	case 109:
		return "missing_extension";
	case 110:
		return "unsupported_extension";
	case 112:
		return "unrecognized_name";
	case 113:
		return "bad_certificate_status_response";
	case 115:
		return "unknown_psk_identity";
	case 116:
		return "certificate_required";
	case 120:
		return "no_application_protocol";
	default: {
		static _Thread_local char buf[24];
		snprintf(buf, sizeof buf, "alert %d", code);
		return buf;
	}
	}
}

int tls_fingerprint(const uint8_t *der, size_t len, char out[96])
{
	uint8_t h[WC_SHA256_DIGEST_SIZE];
	out[0] = '\0';
	if (!der || len == 0 || len > 0xffffffffu || wc_Sha256Hash(der, (word32)len, h) != 0)
		return -1;
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < sizeof h; i++) {
		out[i * 3] = hex[h[i] >> 4];
		out[i * 3 + 1] = hex[h[i] & 15];
		out[i * 3 + 2] = i + 1 < sizeof h ? ':' : '\0';
	}
	return 0;
}

int tls_keylog_warning(char *buf, size_t cap, const char *path)
{
	return snprintf(
	    buf, cap,
	    "tls_keylog=%s: TLS session secrets are written to this file (NSS key-log format). "
	    "Anyone who can read it can decrypt the SCCP signalling, including the SRTP media keys it "
	    "carries. Lab use only: remove tls_keylog from the configuration in production.",
	    path ? path : "");
}

const char *tls_library_info(void)
{
	static char info[200];
	snprintf(info, sizeof info,
	         "wolfSSL %s (headers %s): static-RSA suites %s, NULL cipher %s, "
	         "TLS 1.3 %s, secret callback %s, AES-NI %s",
	         wolfSSL_lib_version(), LIBWOLFSSL_VERSION_STRING,
#ifdef WOLFSSL_STATIC_RSA
	         "yes",
#else
	         "no",
#endif
#ifdef HAVE_NULL_CIPHER
	         "yes",
#else
	         "no",
#endif
#ifdef WOLFSSL_TLS13
	         "yes",
#else
	         "no",
#endif
#ifdef HAVE_SECRET_CALLBACK
	         "yes",
#else
	         "no",
#endif
#ifdef WOLFSSL_AESNI
	         "yes"
#else
	         "no"
#endif
	);
	return info;
}

void tls_features(struct tls_features *f)
{
	*f = (struct tls_features){0};
#ifdef WOLFSSL_STATIC_RSA
	f->static_rsa = true;
#ifdef HAVE_NULL_CIPHER
	f->authenticated = true;
#endif
#endif
#ifdef WOLFSSL_TLS13
	f->tls13 = true;
#if defined(HAVE_SECRET_CALLBACK)
	f->tls13_keylog = true;
#endif
#endif
}

void tls_fmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

void tls_hex(const uint8_t *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * len] = '\0';
}

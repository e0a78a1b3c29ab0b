/* TLS contexts: one per role and security mode (and, for ports, per identity). Linear set-up
 * with one clean-up exit, after wolfSSL's tls/client-tls.c. */
#include "tls/tls_internal.h"

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define TLS_FILE_MAX (1u << 20) /* certificates and keys are a few KB */

int tls_conn_io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg);
int tls_conn_io_send(WOLFSSL *ssl, char *buf, int sz, void *arg);

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

static void buf_free(struct buf *b)
{
	if (b->data)
		memset(b->data, 0, b->cap); /* may hold a private key */
	free(b->data);
	*b = (struct buf){0};
}

static int buf_append(struct buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = (b->len + len + 1) * 2;
		uint8_t *p = malloc(cap);
		if (!p)
			return -1;
		if (b->data) {
			memcpy(p, b->data, b->len);
			memset(b->data, 0, b->cap);
			free(b->data);
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

static int read_file(const char *path, struct buf *out, char *err, size_t err_cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		tls_fmt(err, err_cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc = -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (size_t)st.st_size > TLS_FILE_MAX) {
		tls_fmt(err, err_cap, "%s: not a regular file of 1 byte to 1 MB", path);
		goto out;
	}
	uint8_t chunk[4096];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tls_fmt(err, err_cap, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > TLS_FILE_MAX || buf_append(out, chunk, (size_t)n) != 0) {
			tls_fmt(err, err_cap, "%s: too large or out of memory", path);
			goto out;
		}
	}
	rc = 0;
out:
	memset(chunk, 0, sizeof chunk);
	close(fd);
	return rc;
}

static bool is_pem(const void *data, size_t len)
{
	return memmem(data, len, "-----BEGIN", 10) != NULL;
}

static unsigned count_pem_certs(const void *data, size_t len)
{
	unsigned n = 0;
	const char *p = data, *end = p + len;
	static const char tag[] = "-----BEGIN CERTIFICATE-----";
	while ((p = memmem(p, (size_t)(end - p), tag, sizeof tag - 1)) != NULL) {
		n++;
		p += sizeof tag - 1;
	}
	return n;
}

/* A blob or file as it is (for keys and trust). */
static int load_item(const char *file, const struct tls_blob *blob, struct buf *out, char *err,
                     size_t err_cap)
{
	if (blob && blob->data && blob->len)
		return buf_append(out, blob->data, blob->len) == 0
		           ? 0
		           : (tls_fmt(err, err_cap, "out of memory"), -1);
	if (file && *file)
		return read_file(file, out, err, err_cap);
	return 1; /* absent */
}

/* Append a certificate item to a PEM chain, converting DER. */
static int append_pem_cert(struct buf *chain, const char *file, const struct tls_blob *blob, const char *what,
                           char *err, size_t err_cap)
{
	struct buf raw = {0};
	int rc = load_item(file, blob, &raw, err, err_cap);
	if (rc != 0) {
		buf_free(&raw);
		return rc;
	}
	if (is_pem(raw.data, raw.len)) {
		rc = buf_append(chain, raw.data, raw.len) == 0 && buf_append(chain, "\n", 1) == 0 ? 0 : -1;
	} else {
		size_t cap = raw.len * 2 + 128;
		uint8_t *pem = malloc(cap);
		int n = pem && raw.len <= 0xffffffffu
		            ? wc_DerToPem(raw.data, (word32)raw.len, pem, (word32)cap, CERT_TYPE)
		            : -1;
		if (n <= 0) {
			tls_fmt(err, err_cap, "%s%s%s: neither PEM nor a DER certificate", what,
			        file ? " " : "", file ? file : "");
			free(pem);
			buf_free(&raw);
			return -1;
		}
		rc = buf_append(chain, pem, (size_t)n);
		free(pem);
	}
	buf_free(&raw);
	if (rc != 0)
		tls_fmt(err, err_cap, "out of memory");
	return rc;
}

static int load_identity(struct tls_ctx *t, const struct tls_ctx_config *cfg, char *err, size_t err_cap)
{
	struct buf chain = {0}, key = {0};
	int rc = -1;
	int r = append_pem_cert(&chain, cfg->cert_file, &cfg->cert, "certificate", err, err_cap);
	if (r > 0)
		tls_fmt(err, err_cap,
		        "no certificate configured (mutual authentication is mandatory on 2443)");
	if (r != 0)
		goto out;
	r = append_pem_cert(&chain, cfg->chain_file, &cfg->chain, "chain certificate", err, err_cap);
	if (r < 0)
		goto out;
	if (wolfSSL_CTX_use_certificate_chain_buffer_format(t->ssl_ctx, chain.data, (long)chain.len,
	                                                    WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
		tls_fmt(err, err_cap, "certificate %s: wolfSSL refused the certificate chain",
		        cfg->cert_file ? cfg->cert_file : "(buffer)");
		goto out;
	}
	r = load_item(cfg->key_file, &cfg->key, &key, err, err_cap);
	if (r > 0)
		tls_fmt(err, err_cap, "no private key configured");
	if (r != 0)
		goto out;
	int fmt = is_pem(key.data, key.len) ? WOLFSSL_FILETYPE_PEM : WOLFSSL_FILETYPE_ASN1;
	if (wolfSSL_CTX_use_PrivateKey_buffer(t->ssl_ctx, key.data, (long)key.len, fmt) != WOLFSSL_SUCCESS) {
		tls_fmt(err, err_cap, "private key %s: not a readable RSA/EC key (PEM or DER, unencrypted)",
		        cfg->key_file ? cfg->key_file : "(buffer)");
		goto out;
	}
	if (wolfSSL_CTX_check_private_key(t->ssl_ctx) != WOLFSSL_SUCCESS) {
		tls_fmt(err, err_cap, "private key %s does not match certificate %s",
		        cfg->key_file ? cfg->key_file : "(buffer)",
		        cfg->cert_file ? cfg->cert_file : "(buffer)");
		goto out;
	}
	rc = 0;
out:
	buf_free(&chain);
	buf_free(&key);
	return rc;
}

static int load_trust_blob(struct tls_ctx *t, const void *data, size_t len, const char *name, char *err,
                           size_t err_cap)
{
	bool pem = is_pem(data, len);
	unsigned n = pem ? count_pem_certs(data, len) : 1;
	if (n == 0 || wolfSSL_CTX_load_verify_buffer(t->ssl_ctx, data, (long)len,
	                                             pem ? WOLFSSL_FILETYPE_PEM : WOLFSSL_FILETYPE_ASN1) !=
	                  WOLFSSL_SUCCESS) {
		tls_fmt(err, err_cap, "CallManager-trust %s: not a usable CA certificate", name);
		return -1;
	}
	t->trust_count += n;
	return 0;
}

static int load_trust(struct tls_ctx *t, const struct tls_ctx_config *cfg, char *err, size_t err_cap)
{
	if (cfg->trust.data && cfg->trust.len &&
	    load_trust_blob(t, cfg->trust.data, cfg->trust.len, "(buffer)", err, err_cap))
		return -1;
	if (cfg->trust_dir && *cfg->trust_dir) {
		DIR *d = opendir(cfg->trust_dir);
		if (!d) {
			tls_fmt(err, err_cap, "CallManager-trust directory %s: %s", cfg->trust_dir,
			        strerror(errno));
			return -1;
		}
		struct dirent *e;
		int rc = 0;
		while (rc == 0 && (e = readdir(d)) != NULL) {
			size_t n = strlen(e->d_name);
			if (n < 5 || strcmp(e->d_name + n - 4, ".pem") != 0 || e->d_name[0] == '.')
				continue;
			char path[512];
			tls_fmt(path, sizeof path, "%s/%s", cfg->trust_dir, e->d_name);
			struct buf b = {0};
			rc = read_file(path, &b, err, err_cap);
			if (rc == 0)
				rc = load_trust_blob(t, b.data, b.len, path, err, err_cap);
			buf_free(&b);
		}
		closedir(d);
		if (rc != 0)
			return -1;
	}
	if (t->trust_count == 0) {
		tls_fmt(err, err_cap, "CallManager-trust is empty%s%s: the server could not accept any port",
		        cfg->trust_dir ? " in " : "", cfg->trust_dir ? cfg->trust_dir : "");
		return -1;
	}
	return 0;
}

/* Which of the mode's suites this wolfSSL build lacks (Debian's has no static-RSA suites). */
static void note_missing_suites(struct tls_ctx *t, const char *list)
{
	char missing[400] = "";
	char copy[600];
	tls_fmt(copy, sizeof copy, "%s", list);
	WOLFSSL_CTX *probe = wolfSSL_CTX_new(wolfSSLv23_client_method());
	if (!probe)
		return;
	char *save = NULL;
	for (char *name = strtok_r(copy, ":", &save); name; name = strtok_r(NULL, ":", &save)) {
		if (wolfSSL_CTX_set_cipher_list(probe, name) != WOLFSSL_SUCCESS) {
			size_t used = strlen(missing);
			tls_fmt(missing + used, sizeof missing - used, "%s%s", used ? ", " : "", name);
		}
	}
	wolfSSL_CTX_free(probe);
	if (missing[0])
		LOGI(TLS_LOG, "%s %s: suites not in this wolfSSL build: %s",
		     t->role == TLS_ROLE_CLIENT ? "client" : "server", tls_mode_name(t->mode), missing);
}

static int check_cipher_override(enum tls_mode mode, const char *list, char *err, size_t err_cap)
{
	char copy[600];
	if (strlen(list) >= sizeof copy) {
		tls_fmt(err, err_cap, "cipher list too long");
		return -1;
	}
	tls_fmt(copy, sizeof copy, "%s", list);
	char *save = NULL;
	for (char *name = strtok_r(copy, ":", &save); name; name = strtok_r(NULL, ":", &save)) {
		if (!tls_cipher_allowed(mode, name)) {
			tls_fmt(err, err_cap, "cipher %s is not allowed in %s mode", name,
			        tls_mode_name(mode));
			return -1;
		}
	}
	return 0;
}

void tls_ctx_config_init(struct tls_ctx_config *cfg, enum tls_role role, enum tls_mode mode)
{
	*cfg = (struct tls_ctx_config){.role = role, .mode = mode, .allow_tls13 = true};
}

struct tls_ctx *tls_ctx_new(const struct tls_ctx_config *cfg, char *err, size_t err_cap)
{
	char dummy[8];
	if (!err || !err_cap) {
		err = dummy;
		err_cap = sizeof dummy;
	}
	err[0] = '\0';
	/* No plaintext path: only the two secure modes get a context. */
	if (!cfg || (cfg->mode != TLS_MODE_AUTHENTICATED && cfg->mode != TLS_MODE_ENCRYPTED)) {
		tls_fmt(err, err_cap, "TLS exists only for the authenticated and encrypted security modes");
		return NULL;
	}
	if (cfg->role != TLS_ROLE_CLIENT && cfg->role != TLS_ROLE_SERVER) {
		tls_fmt(err, err_cap, "invalid TLS role");
		return NULL;
	}
	const char *suites =
	    cfg->cipher_list && *cfg->cipher_list ? cfg->cipher_list : tls_mode_cipher_list(cfg->mode);
	if (check_cipher_override(cfg->mode, suites, err, err_cap) != 0)
		return NULL;

	struct tls_ctx *t = calloc(1, sizeof *t);
	if (!t) {
		tls_fmt(err, err_cap, "out of memory");
		return NULL;
	}
	t->role = cfg->role;
	t->mode = cfg->mode;
	t->keylog_fd = -1;
	if (wolfSSL_Init() != WOLFSSL_SUCCESS) {
		tls_fmt(err, err_cap, "wolfSSL_Init failed");
		free(t);
		return NULL;
	}

	/* TLS 1.3 has no NULL suites: Authenticated is TLS 1.2 only. Encrypted negotiates 1.3 when
	 * both sides offer it, never below 1.2. Without the secret callback a TLS 1.3 session could
	 * not be written to a key log, so a key log then caps the version at 1.2. */
	t->tls13 = cfg->mode == TLS_MODE_ENCRYPTED && cfg->allow_tls13;
#if !defined(WOLFSSL_TLS13)
	t->tls13 = false;
#endif
#if !defined(HAVE_SECRET_CALLBACK)
	if (t->tls13 && cfg->keylog_file && *cfg->keylog_file) {
		LOGW(TLS_LOG, "this wolfSSL build has no secret callback: TLS 1.3 sessions could not be "
		              "key-logged, so TLS is capped at 1.2 while tls_keylog is set");
		t->tls13 = false;
	}
#endif
	WOLFSSL_METHOD *method;
	if (cfg->role == TLS_ROLE_CLIENT)
		method = t->tls13 ? wolfSSLv23_client_method() : wolfTLSv1_2_client_method();
	else
		method = t->tls13 ? wolfSSLv23_server_method() : wolfTLSv1_2_server_method();
	t->ssl_ctx = method ? wolfSSL_CTX_new(method) : NULL;
	if (!t->ssl_ctx) {
		tls_fmt(err, err_cap, "wolfSSL_CTX_new failed");
		goto fail;
	}
	if (wolfSSL_CTX_SetMinVersion(t->ssl_ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS) {
		tls_fmt(err, err_cap, "cannot set TLS 1.2 as the minimum version");
		goto fail;
	}
	if (wolfSSL_CTX_set_cipher_list(t->ssl_ctx, suites) != WOLFSSL_SUCCESS) {
		tls_fmt(err, err_cap,
		        "none of the %s-mode suites (%s) is available in this wolfSSL build (%s)",
		        tls_mode_name(cfg->mode), suites, tls_library_info());
		goto fail;
	}
	note_missing_suites(t, suites);

	wolfSSL_CTX_SetIORecv(t->ssl_ctx, tls_conn_io_recv);
	wolfSSL_CTX_SetIOSend(t->ssl_ctx, tls_conn_io_send);

	if (load_identity(t, cfg, err, err_cap) != 0)
		goto fail;

	if (cfg->role == TLS_ROLE_SERVER) {
		if (load_trust(t, cfg, err, err_cap) != 0)
			goto fail;
		wolfSSL_CTX_set_verify(t->ssl_ctx, WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		                       tls_verify_cb);
	} else {
		/* The client context holds no CA: each connection is checked against its own pinned
		 * certificate in the verify callback (tls_verify.c). */
		wolfSSL_CTX_set_verify(t->ssl_ctx, WOLFSSL_VERIFY_PEER, tls_verify_cb);
	}

	/* No resumption: every connection authenticates afresh (a resumed session would skip the
	 * certificate checks; finish_handshake() refuses one anyway). */
	wolfSSL_CTX_set_session_cache_mode(t->ssl_ctx, WOLFSSL_SESS_CACHE_OFF);
#ifdef HAVE_SESSION_TICKET
	wolfSSL_CTX_NoTicketTLSv12(t->ssl_ctx);
#ifdef WOLFSSL_TLS13
	if (cfg->role == TLS_ROLE_SERVER)
		wolfSSL_CTX_no_ticket_TLSv13(t->ssl_ctx);
#endif
#endif

	if (cfg->keylog_file && *cfg->keylog_file) {
		t->keylog_fd = tls_keylog_open(cfg->keylog_file, err, err_cap);
		if (t->keylog_fd < 0)
			goto fail;
	}
	LOGD(TLS_LOG, "%s context, %s mode, TLS 1.2%s, %u trusted",
	     cfg->role == TLS_ROLE_CLIENT ? "client" : "server", tls_mode_name(cfg->mode),
	     t->tls13 ? "-1.3" : " only", t->trust_count);
	return t;
fail:
	tls_ctx_free(t);
	return NULL;
}

void tls_ctx_free(struct tls_ctx *t)
{
	if (!t)
		return;
	if (t->ssl_ctx)
		wolfSSL_CTX_free(t->ssl_ctx);
	if (t->keylog_fd >= 0)
		close(t->keylog_fd);
	free(t);
	wolfSSL_Cleanup();
}

enum tls_role tls_ctx_role(const struct tls_ctx *t)
{
	return t->role;
}

enum tls_mode tls_ctx_mode(const struct tls_ctx *t)
{
	return t->mode;
}

unsigned tls_ctx_trust_count(const struct tls_ctx *t)
{
	return t->trust_count;
}

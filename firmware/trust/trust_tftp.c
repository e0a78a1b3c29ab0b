/* TFTP download through libcurl (the GnuTLS flavour: the OpenSSL one interposes symbols with
 * wolfSSL in one process, see shared/docs/platform.md). Only the tftp scheme is allowed, the file
 * lands in memory with a hard size limit, and every attempt is bounded by a short timeout.
 *
 * libcurl's error buffer holds a bogus "getpeername() failed" text even on success, so messages
 * come from curl_easy_strerror(res) only. */
#include "trust/trust_internal.h"

#include <curl/curl.h>

#include <stdlib.h>
#include <string.h>

struct sink {
	uint8_t *buf;
	size_t len, cap, max;
	bool too_large;
};

static size_t sink_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	if (n > s->max - s->len) {
		s->too_large = true;
		return 0; /* abort the transfer: libcurl reports CURLE_WRITE_ERROR */
	}
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;
		while (cap < s->len + n)
			cap *= 2;
		if (cap > s->max)
			cap = s->max;
		uint8_t *p = realloc(s->buf, cap);
		if (p == NULL)
			return 0;
		s->buf = p;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	return n;
}

int trust_tftp_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void trust_tftp_global_cleanup(void)
{
	curl_global_cleanup();
}

void trust_tftp_url(const char *host, uint16_t port, const char *filename, char *out, size_t cap)
{
	bool v6 = strchr(host, ':') != NULL;
	snprintf(out, cap, "tftp://%s%s%s:%u/%s", v6 ? "[" : "", host, v6 ? "]" : "", port ? port : 69,
	         filename);
}

int trust_tftp_get(const char *url, unsigned timeout_ms, size_t max, uint8_t **out, size_t *out_len,
                   bool *too_large)
{
	*out = NULL;
	*out_len = 0;
	*too_large = false;
	CURL *h = curl_easy_init();
	if (h == NULL)
		return CURLE_FAILED_INIT;
	struct sink s = {.max = max};
	CURLcode res = CURLE_OK;
#define SET(opt, val)                                                                                        \
	do {                                                                                                 \
		if (res == CURLE_OK)                                                                         \
			res = curl_easy_setopt(h, opt, val);                                                 \
	} while (0)
	SET(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "tftp");
#else
	SET(CURLOPT_PROTOCOLS, (long)CURLPROTO_TFTP);
#endif
	SET(CURLOPT_NOSIGNAL,
	    1L); /* no SIGALRM games: the event loop and the media thread share the process */
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_WRITEFUNCTION, sink_write);
	SET(CURLOPT_WRITEDATA, &s);
#undef SET
	if (res == CURLE_OK)
		res = curl_easy_perform(h);
	curl_easy_cleanup(h);
	*too_large = s.too_large;
	if (res != CURLE_OK) {
		free(s.buf);
		return (int)res;
	}
	if (s.buf == NULL) { /* an empty file: give the caller a valid pointer anyway */
		s.buf = malloc(1);
		if (s.buf == NULL)
			return CURLE_OUT_OF_MEMORY;
	}
	*out = s.buf;
	*out_len = s.len;
	return CURLE_OK;
}

const char *trust_tftp_strerror(int res)
{
	return curl_easy_strerror((CURLcode)res);
}

const char *trust_tftp_hint(int res)
{
	switch (res) {
	case CURLE_OK:
		return "ok";
	case CURLE_TFTP_NOTFOUND:
		return "file not found on server";
	case CURLE_OPERATION_TIMEDOUT:
		return "no answer from server";
	case CURLE_TFTP_PERM:
		return "access violation on server";
	case CURLE_COULDNT_RESOLVE_HOST:
		return "cannot resolve the server name";
	case CURLE_COULDNT_CONNECT:
		return "cannot reach server";
	case CURLE_REMOTE_DISK_FULL:
	case CURLE_TFTP_ILLEGAL:
	case CURLE_TFTP_UNKNOWNID:
	case CURLE_TFTP_NOSUCHUSER:
		return "server refused the transfer";
	default:
		return "transfer failed";
	}
}

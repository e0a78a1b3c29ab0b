/* The trust store on disk: <state_dir>/trust/{CTLFile.tlv, CTLFile.tlv.checksums, sast-*.der}.
 * Every file is replaced atomically (temporary file, fsync, rename, fsync of the directory), so a
 * power cut leaves the old or the new version, never half of one. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "trust/trust_internal.h"

#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void trust_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int trust_mkdirs(const char *path, unsigned mode)
{
	char buf[TRUST_PATH_CAP];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return -errno;
	struct stat st;
	if (stat(buf, &st) != 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int trust_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	size_t cap = (size_t)st.st_size + 1; /* +1: notice a file that grew while we read it */
	uint8_t *p = malloc(cap);
	if (p == NULL) {
		close(fd);
		return -ENOMEM;
	}
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(p);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			free(p);
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	*buf = p;
	*len = n;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char dir[TRUST_PATH_CAP];
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

int trust_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[TRUST_PATH_CAP + 32];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp); /* a leftover of a crashed run with the same pid */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (fchmod(fd, (mode_t)mode) != 0)
		rc = -errno;
	else if ((rc = write_all(fd, data, len)) != 0)
		;
	else if (fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	return fsync_dir_of(path);
}

void trust_pin_name(const uint8_t *der, size_t len, char out[40])
{
	uint8_t h[WC_SHA256_DIGEST_SIZE];
	char hex[2 * WC_SHA256_DIGEST_SIZE + 1];
	wc_Sha256Hash(der, (word32)len, h);
	trust_hex(h, 8, hex);
	snprintf(out, 40, "sast-%.16s.der", hex);
}

static bool is_pin_name(const char *name)
{
	size_t n = strlen(name);
	return n > 9 && !strncmp(name, "sast-", 5) && !strcmp(name + n - 4, ".der");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct trust_pin *)a)->name, ((const struct trust_pin *)b)->name);
}

static void free_pins(struct vm_trust *t)
{
	for (size_t i = 0; i < t->n_pins; i++)
		free(t->pins[i].der);
	t->n_pins = 0;
}

int trust_load_pins(struct vm_trust *t)
{
	free_pins(t);
	DIR *d = opendir(t->dir);
	if (d == NULL)
		return -errno;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!is_pin_name(e->d_name))
			continue;
		if (t->n_pins == VM_TRUST_MAX_PINS) {
			LOGW(TRUST_COMPONENT, "more than %d pinned SAST certificates in %s: ignoring %s",
			     VM_TRUST_MAX_PINS, t->dir, e->d_name);
			continue;
		}
		char path[TRUST_PATH_CAP + 300]; /* a directory entry name is at most 255 bytes */
		snprintf(path, sizeof(path), "%s/%s", t->dir, e->d_name);
		struct trust_pin *p = &t->pins[t->n_pins];
		int rc = trust_read_file(path, TRUST_MAX_PIN_BYTES, &p->der, &p->len);
		if (rc != 0 || p->len == 0) {
			LOGW(TRUST_COMPONENT, "cannot read pinned SAST certificate %s: %s; ignoring it", path,
			     rc ? strerror(-rc) : "empty file");
			free(p->der);
			p->der = NULL;
			continue;
		}
		snprintf(p->name, sizeof(p->name), "%.39s", e->d_name);
		t->n_pins++;
	}
	closedir(d);
	qsort(t->pins, t->n_pins, sizeof(t->pins[0]), cmp_names);
	return 0;
}

int trust_store_pins(struct vm_trust *t, const struct ctl_bytes *certs, size_t n)
{
	char path[TRUST_PATH_CAP + 64];
	struct trust_pin fresh[VM_TRUST_MAX_PINS];
	size_t n_fresh = 0;
	int rc = 0;
	if (n > VM_TRUST_MAX_PINS)
		n = VM_TRUST_MAX_PINS;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct trust_pin *p = &fresh[n_fresh];
		trust_pin_name(certs[i].data, certs[i].len, p->name);
		bool dup = false;
		for (size_t j = 0; j < n_fresh; j++)
			dup |= !strcmp(fresh[j].name, p->name);
		if (dup)
			continue;
		snprintf(path, sizeof(path), "%s/%s", t->dir, p->name);
		if ((rc = trust_write_atomic(path, certs[i].data, certs[i].len, 0644)) != 0) {
			LOGE(TRUST_COMPONENT, "cannot write pinned SAST certificate %s: %s", path,
			     strerror(-rc));
			break;
		}
		p->der = malloc(certs[i].len);
		if (p->der == NULL) {
			rc = -ENOMEM;
			break;
		}
		memcpy(p->der, certs[i].data, certs[i].len);
		p->len = certs[i].len;
		n_fresh++;
	}
	if (rc != 0) {
		for (size_t j = 0; j < n_fresh; j++)
			free(fresh[j].der);
		return rc;
	}
	/* Only now drop the pins the new CTL no longer lists. */
	for (size_t i = 0; i < t->n_pins; i++) {
		bool keep = false;
		for (size_t j = 0; j < n_fresh; j++)
			keep |= !strcmp(fresh[j].name, t->pins[i].name);
		if (keep)
			continue;
		snprintf(path, sizeof(path), "%s/%s", t->dir, t->pins[i].name);
		if (unlink(path) != 0 && errno != ENOENT)
			LOGW(TRUST_COMPONENT, "cannot remove stale pin %s: %s", path, strerror(errno));
		else
			LOGI(TRUST_COMPONENT,
			     "unpinned SAST certificate %s: the accepted CTL no longer lists it",
			     t->pins[i].name);
	}
	free_pins(t);
	memcpy(t->pins, fresh, n_fresh * sizeof(fresh[0]));
	t->n_pins = n_fresh;
	qsort(t->pins, t->n_pins, sizeof(t->pins[0]), cmp_names);
	return 0;
}

int trust_store_ctl(struct vm_trust *t, const struct trust_ctl *c, int64_t now)
{
	int rc = trust_write_atomic(t->cache_path, c->buf, c->len, 0644);
	if (rc != 0) {
		LOGE(TRUST_COMPONENT, "cannot write the CTL cache %s: %s", t->cache_path, strerror(-rc));
		return rc;
	}
	char md5[33] = "unavailable", sha[65], text[1024];
	if (c->digest.have_md5)
		trust_hex(c->digest.md5, sizeof(c->digest.md5), md5);
	trust_hex(c->digest.sha256, sizeof(c->digest.sha256), sha);
	int n = snprintf(text, sizeof(text),
	                 "# vmport trust store: checksums of %s (rewritten with it)\n"
	                 "file %s\nsize %zu\nmd5 %s\nsha256 %s\nsource %s\nstored %" PRId64 "\nverified %s\n",
	                 t->filename, t->filename, c->len, md5, sha, c->source, now,
	                 t->cfg.ctl_verify ? "yes" : "no (ctl_verify = off)");
	if (n < 0 || (size_t)n >= sizeof(text))
		return -ENAMETOOLONG;
	rc = trust_write_atomic(t->sum_path, text, (size_t)n, 0644);
	if (rc != 0)
		LOGE(TRUST_COMPONENT, "cannot write %s: %s", t->sum_path, strerror(-rc));
	return rc;
}

/* Value of "key value" in the checksum text, copied into out. */
static bool sum_field(const char *text, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	const char *p = text;
	while (p != NULL && *p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > kl && !strncmp(p, key, kl) && p[kl] == ' ') {
			n -= kl + 1;
			if (n >= cap)
				n = cap - 1;
			memcpy(out, p + kl + 1, n);
			out[n] = '\0';
			return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

int trust_check_sums(const struct vm_trust *t, const struct vm_trust_digest *d)
{
	uint8_t *buf;
	size_t len;
	int rc = trust_read_file(t->sum_path, 4096, &buf, &len);
	if (rc != 0) {
		LOGW(TRUST_COMPONENT, "no checksum file %s (%s): it is rewritten with the next CTL",
		     t->sum_path, strerror(-rc));
		return rc == -ENOENT ? 0 : rc;
	}
	char *text = realloc(buf, len + 1);
	if (text == NULL) {
		free(buf);
		return -ENOMEM;
	}
	text[len] = '\0';
	char want[80], have[80];
	bool ok = sum_field(text, "sha256", want, sizeof(want));
	trust_hex(d->sha256, sizeof(d->sha256), have);
	ok = ok && !strcmp(want, have);
	if (!ok)
		LOGW(TRUST_COMPONENT,
		     "%s does not match the cached CTL (sha256 recorded %s, file %s): an interrupted update? "
		     "the file itself is checked by its signature",
		     t->sum_path, sum_field(text, "sha256", want, sizeof(want)) ? want : "(none)", have);
	free(text);
	return ok ? 1 : 0;
}

/* Files of the PKI: directories, atomic writes, PEM, key-file modes and the lock. Every error
 * names the file and the errno, so "state_dir not writable" reads as exactly that. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pki/pki_internal.h"

int pki_errf(char *err, size_t cap, int rc, const char *fmt, ...)
{
	if (err && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, cap, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int pki_reason(char *reason, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, cap, fmt, ap);
	va_end(ap);
	return 0;
}

static int sys_err(char *err, size_t cap, int e, const char *what, const char *path)
{
	return pki_errf(err, cap, -e, "%s %s: %s (errno %d)", what, path, strerror(e), e);
}

int pki_mkdirs(const char *path, mode_t mode, char *err, size_t cap)
{
	char buf[VMPORT_PATH_MAX + 64];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(buf))
		return pki_errf(err, cap, -ENAMETOOLONG, "directory path '%s' is empty or too long", path);
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return sys_err(err, cap, errno, "cannot create directory", buf);
		buf[i] = saved;
	}
	struct stat st;
	if (stat(path, &st) != 0)
		return sys_err(err, cap, errno, "cannot reach directory", path);
	if (!S_ISDIR(st.st_mode))
		return sys_err(err, cap, ENOTDIR, "not a directory:", path);
	return 0;
}

int pki_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errcap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sys_err(err, errcap, errno, "cannot open", path);
	size_t n = 0;
	int rc = 0;
	for (;;) {
		if (n == cap) {
			uint8_t extra;
			ssize_t r = read(fd, &extra, 1);
			rc = r == 0 ? 0
			            : pki_errf(err, errcap, -EFBIG, "%s: larger than %zu bytes", path, cap);
			break;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = sys_err(err, errcap, errno, "cannot read", path);
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return rc;
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
	char dir[VMPORT_PATH_MAX + 64];
	const char *slash = strrchr(path, '/');
	if (!slash)
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

int pki_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err, size_t cap)
{
	char tmp[VMPORT_PATH_MAX + 96];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return pki_errf(err, cap, -ENAMETOOLONG, "path too long: %s", path);
	unlink(tmp); /* a leftover of a crashed run with the same pid */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return sys_err(err, cap, errno, "cannot create", tmp);
	int rc = 0;
	if (fchmod(fd, mode) != 0) /* the umask must not widen or narrow what we asked for */
		rc = sys_err(err, cap, errno, "cannot set the mode of", tmp);
	else if ((rc = write_all(fd, data, len)) != 0)
		rc = sys_err(err, cap, -rc, "cannot write", tmp);
	else if (fsync(fd) != 0)
		rc = sys_err(err, cap, errno, "cannot fsync", tmp);
	if (close(fd) != 0 && rc == 0)
		rc = sys_err(err, cap, errno, "cannot close", tmp);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = sys_err(err, cap, errno, "cannot rename into place", path);
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	if ((rc = fsync_dir_of(path)) != 0)
		return sys_err(err, cap, -rc, "cannot fsync the directory of", path);
	return 0;
}

int pki_key_file_tighten(const char *path, char *err, size_t cap)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return sys_err(err, cap, errno, "cannot stat", path);
	if ((st.st_mode & 07777) == 0600)
		return 0;
	LOGW(PKI_LOG, "%s had mode %04o: a private key must be 0600; changing it", path,
	     (unsigned)(st.st_mode & 07777));
	if (chmod(path, 0600) != 0)
		return sys_err(err, cap, errno, "cannot chmod 0600", path);
	return 0;
}

int pki_lock(const char *pki_dir, char *err, size_t cap)
{
	char path[VMPORT_PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/.lock", pki_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
		fd = open(path, O_RDONLY | O_CLOEXEC); /* flock works on a read-only descriptor too */
	if (fd < 0)
		return sys_err(err, cap, errno, "cannot open lock file", path);
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return sys_err(err, cap, e, "cannot lock", path);
		}
	}
	return fd;
}

int pki_pki_dir(const struct vmport_config *cfg, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/pki", cfg->state_dir);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int pki_root_path(const struct vmport_config *cfg, const char *ext, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/pki/root-ca%s", cfg->state_dir, ext);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int pki_port_path(const struct vmport_config *cfg, const char *device, const char *ext, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/pki/ports/%s%s", cfg->state_dir, device, ext);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int read_pem(const char *path, int type, uint8_t *der, size_t cap, size_t *len, char *err,
                    size_t errcap)
{
	uint8_t pem[PKI_PEM_MAX];
	size_t pem_len = 0;
	int rc = pki_read_file(path, pem, sizeof(pem), &pem_len, err, errcap);
	if (rc == -EFBIG)
		return pki_errf(err, errcap, -EBADMSG, "%s: too large for a PEM %s", path,
		                type == CERT_TYPE ? "certificate" : "key");
	if (rc)
		return rc;
	int n = type == CERT_TYPE ? wc_CertPemToDer(pem, (int)pem_len, der, (int)cap, CERT_TYPE)
	                          : wc_KeyPemToDer(pem, (int)pem_len, der, (int)cap, NULL);
	pki_wipe(pem, sizeof(pem));
	if (n <= 0)
		return pki_errf(err, errcap, -EBADMSG, "%s: not a PEM %s (wolfSSL error %d)", path,
		                type == CERT_TYPE ? "certificate" : "private key", n);
	*len = (size_t)n;
	return 0;
}

int pki_read_cert_pem(const char *path, uint8_t *der, size_t cap, size_t *len, char *err, size_t errcap)
{
	return read_pem(path, CERT_TYPE, der, cap, len, err, errcap);
}

int pki_read_key_pem(const char *path, uint8_t *der, size_t cap, size_t *len, char *err, size_t errcap)
{
	return read_pem(path, PRIVATEKEY_TYPE, der, cap, len, err, errcap);
}

static int write_pem(const char *path, int type, const uint8_t *der, size_t len, mode_t mode, char *err,
                     size_t cap)
{
	uint8_t pem[PKI_PEM_MAX];
	int n = wc_DerToPem(der, (word32)len, pem, sizeof(pem), type);
	if (n <= 0)
		return pki_errf(err, cap, -EINVAL, "%s: wc_DerToPem failed (%d)", path, n);
	int rc = pki_write_file_atomic(path, pem, (size_t)n, mode, err, cap);
	pki_wipe(pem, sizeof(pem));
	return rc;
}

int pki_write_cert_pem(const char *path, const uint8_t *der, size_t len, char *err, size_t cap)
{
	return write_pem(path, CERT_TYPE, der, len, 0644, err, cap);
}

int pki_write_key_pem(const char *path, const uint8_t *der, size_t len, char *err, size_t cap)
{
	return write_pem(path, PRIVATEKEY_TYPE, der, len, 0600, err, cap);
}

void pki_wipe(void *p, size_t len)
{
	volatile uint8_t *v = p;
	while (len--)
		*v++ = 0;
}

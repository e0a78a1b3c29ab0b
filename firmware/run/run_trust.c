/* `vmport run`: CTLFile.tlv refreshes without stopping the event loop. The TFTP fetch (up to
 * tftp_timeout_ms per server, 3 s each by default) runs on a short-lived thread; meanwhile the
 * loop goes on serving the other ports' keepalives and calls, the control socket and the
 * watchdog. The thread's eventfd brings the result back, and the rest of the refresh (verify,
 * pin, cache, decide) runs on the loop thread as before. One refresh at a time. */
#include "run.h"

#include "log.h"
#include "trust/trust.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct vm_run_trust_job {
	struct vm_run *run;
	pthread_t thread;
	bool running; /* the thread exists and has not been joined */
	struct vm_fd done;
	enum vm_trust_why why;
	/* written by the thread, read after its eventfd fires (the join orders them) */
	int fetch_result;
	uint8_t *buf;
	size_t len;
	char url[300];
};

static void *fetch_main(void *arg)
{
	struct vm_run_trust_job *j = arg;
	j->fetch_result = vm_trust_fetch(j->run->trust, &j->buf, &j->len, j->url, sizeof(j->url));
	uint64_t one = 1;
	while (write(j->done.fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	return NULL;
}

static void on_fetched(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)loop;
	(void)events;
	struct vm_run_trust_job *j = h->arg;
	uint64_t n;
	if (read(h->fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	pthread_join(j->thread, NULL);
	j->running = false;
	struct vm_run *r = j->run;
	struct vm_trust_result res;
	enum vm_trust_status st =
	    vm_trust_refresh_finish(r->trust, j->why, j->fetch_result, j->buf, j->len, j->url, &res);
	free(j->buf);
	j->buf = NULL;
	vm_run_trust_done(r, st, &res);
}

bool vm_run_trust_busy(const struct vm_run *r)
{
	return r->trust_job != NULL && r->trust_job->running;
}

int vm_run_trust_refresh(struct vm_run *r, enum vm_trust_why why, const char *detail)
{
	if (vm_run_trust_busy(r))
		return 0; /* its outcome serves this request too */
	struct vm_run_trust_job *j = r->trust_job;
	if (j == NULL) {
		j = calloc(1, sizeof(*j));
		if (j == NULL)
			return -ENOMEM;
		j->run = r;
		j->done.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		j->done.cb = on_fetched;
		j->done.arg = j;
		if (j->done.fd < 0 || vm_loop_add(&r->loop, &j->done, EPOLLIN) < 0) {
			int e = errno ? -errno : -EIO;
			if (j->done.fd >= 0)
				close(j->done.fd);
			free(j);
			return e;
		}
		r->trust_job = j;
	}
	vm_trust_refresh_begin(r->trust, why, detail);
	j->why = why;
	j->buf = NULL;
	j->len = 0;
	j->url[0] = '\0';
	int rc = pthread_create(&j->thread, NULL, fetch_main, j);
	if (rc != 0)
		return -rc;
	j->running = true;
	return 0;
}

void vm_run_trust_close(struct vm_run *r)
{
	struct vm_run_trust_job *j = r->trust_job;
	if (j == NULL)
		return;
	if (j->running) {
		/* Bounded: libcurl gives up after tftp_timeout_ms per server. */
		LOGI("trust", "waiting for the CTL fetch in progress to end");
		pthread_join(j->thread, NULL);
	}
	free(j->buf);
	close(j->done.fd);
	free(j);
	r->trust_job = NULL;
}

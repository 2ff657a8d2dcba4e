/*
 * c11shim.c -- C11 <threads.h> on pthreads, LD_PRELOADed into the TSan run
 * (make check-tsan) so that ThreadSanitizer sees librdkafka's threads.
 *
 * Why it exists: Debian's librdkafka starts its threads and takes its locks
 * through C11 thrd_create(), mtx_lock(), cnd_wait() and call_once(). glibc
 * implements them on its internal pthread functions, which clang 14's TSan
 * does not intercept: a thread TSan never saw being created crashes in its
 * allocator, and a lock it never saw taken would show as a race. Preloaded,
 * these definitions win over glibc's and call the public pthread functions,
 * which the TSan runtime in a --enable-tsan binary intercepts.
 *
 * In glibc the C11 types are the pthread ones (thrd_t is pthread_t, mtx_t,
 * cnd_t and once_flag have their layouts), so the shim changes nothing in
 * a process without TSan either: preloading it into python3, kcat or a
 * shell is harmless. It covers what librdkafka.so.1 imports
 * (nm -D librdkafka.so.1 | grep -E 'thrd_|mtx_|cnd_|tss_|call_once');
 * thrd_current() is pthread_self() already and needs no shim.
 *
 * Built without -fsanitize (its calls must reach the interceptors, not be
 * instrumented): cc -shared -fPIC -o c11shim.so c11shim.c -pthread.
 *
 * Threads: any; each function is called on the thread that would have
 * called glibc's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

_Static_assert(sizeof(thrd_t) == sizeof(pthread_t), "thrd_t is pthread_t");
_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t layout");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t layout");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag");

/* thrd_create's start routine returns int, pthread's void *. */
struct tramp {
	thrd_start_t	 fn;
	void		*arg;
};

static void *
tramp_run(void *p)
{
	struct tramp t = *(struct tramp *)p;

	free(p);
	return (void *)(intptr_t)t.fn(t.arg);
}

/* A pthread error number as a C11 thrd_* result. */
static int
thrd_result(int e)
{
	switch (e) {
	case 0:
		return thrd_success;
	case ETIMEDOUT:
		return thrd_timedout;
	case EBUSY:
		return thrd_busy;
	case ENOMEM:
	case EAGAIN:
		return thrd_nomem;
	default:
		return thrd_error;
	}
}

int
thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
	struct tramp	*t;
	int		 e;

	if ((t = malloc(sizeof *t)) == NULL)
		return thrd_nomem;
	t->fn = fn;
	t->arg = arg;
	if ((e = pthread_create((pthread_t *)thr, NULL, tramp_run, t)) != 0)
		free(t);
	return thrd_result(e);
}

int
thrd_join(thrd_t thr, int *res)
{
	void	*r;
	int	 e;

	e = pthread_join((pthread_t)thr, &r);
	if (e == 0 && res != NULL)
		*res = (int)(intptr_t)r;
	return thrd_result(e);
}

int
thrd_detach(thrd_t thr)
{
	return thrd_result(pthread_detach((pthread_t)thr));
}

int
mtx_init(mtx_t *m, int type)
{
	pthread_mutexattr_t	at;
	int			e;

	pthread_mutexattr_init(&at);
	if (type & mtx_recursive)
		pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
	e = pthread_mutex_init((pthread_mutex_t *)m, &at);
	pthread_mutexattr_destroy(&at);
	return thrd_result(e);
}

int
mtx_lock(mtx_t *m)
{
	return thrd_result(pthread_mutex_lock((pthread_mutex_t *)m));
}

int
mtx_trylock(mtx_t *m)
{
	return thrd_result(pthread_mutex_trylock((pthread_mutex_t *)m));
}

int
mtx_unlock(mtx_t *m)
{
	return thrd_result(pthread_mutex_unlock((pthread_mutex_t *)m));
}

void
mtx_destroy(mtx_t *m)
{
	pthread_mutex_destroy((pthread_mutex_t *)m);
}

int
cnd_init(cnd_t *c)
{
	return thrd_result(pthread_cond_init((pthread_cond_t *)c, NULL));
}

int
cnd_signal(cnd_t *c)
{
	return thrd_result(pthread_cond_signal((pthread_cond_t *)c));
}

int
cnd_broadcast(cnd_t *c)
{
	return thrd_result(pthread_cond_broadcast((pthread_cond_t *)c));
}

int
cnd_wait(cnd_t *c, mtx_t *m)
{
	return thrd_result(pthread_cond_wait((pthread_cond_t *)c,
	    (pthread_mutex_t *)m));
}

int
cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
    const struct timespec *restrict ts)
{
	return thrd_result(pthread_cond_timedwait((pthread_cond_t *)c,
	    (pthread_mutex_t *)m, ts));
}

void
cnd_destroy(cnd_t *c)
{
	pthread_cond_destroy((pthread_cond_t *)c);
}

void
call_once(once_flag *flag, void (*fn)(void))
{
	pthread_once((pthread_once_t *)flag, fn);
}

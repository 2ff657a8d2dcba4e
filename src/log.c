/*
 * log.c -- levels, destinations and secret redaction in one place.
 *
 * Any thread may log (workers, the notifier, librdkafka's log callback), so
 * a mutex serialises the destination and the secret list. The level test is
 * an atomic load done before any formatting, so a disabled debug line costs
 * one load. Lines are "TIME LEVEL component: message" on stderr or in a
 * file (ISO 8601 UTC with milliseconds), or go to syslog with the matching
 * priority. Every registered secret is replaced by "***" in the formatted
 * line, whichever module built it: the webhook token cannot leak through a
 * librdkafka or libcurl error string that happens to quote it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	4096
#define LOG_SECRETS_MAX	8

static _Atomic int	 log_level = LOG_LVL_INFO;
static pthread_mutex_t	 log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE		*log_fp;		/* NULL: stderr */
static char		*log_path;
static int		 log_syslog;
static char		*log_secrets[LOG_SECRETS_MAX];
static size_t		 log_nsecrets;

static const char *const log_names[] = { "error", "warn", "info", "debug" };

int
log_level_parse(const char *name, enum log_level *lvl)
{
	for (size_t i = 0; i < sizeof log_names / sizeof log_names[0]; i++) {
		if (strcmp(name, log_names[i]) == 0) {
			*lvl = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void
log_set_level(enum log_level lvl)
{
	atomic_store(&log_level, (int)lvl);
}

int
log_enabled(enum log_level lvl)
{
	return (int)lvl <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

/*
 * Opens the log file for appending, close-on-exec: the exec stage's
 * children must not inherit it (they could write to it, and hold it open
 * past a rotation). Line buffered.
 */
static FILE *
log_open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	FILE *fp;

	if (fd == -1)
		return NULL;
	fp = fdopen(fd, "a");
	if (fp == NULL) {
		close(fd);
		return NULL;
	}
	setvbuf(fp, NULL, _IOLBF, 0);
	return fp;
}

int
log_to_file(const char *path)
{
	FILE *fp = log_open_file(path);

	if (fp == NULL)
		return -1;
	pthread_mutex_lock(&log_lock);
	if (log_fp != NULL)
		fclose(log_fp);
	log_fp = fp;
	free(log_path);
	log_path = xstrdup(path);
	log_syslog = 0;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void
log_to_syslog(const char *ident)
{
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	pthread_mutex_lock(&log_lock);
	log_syslog = 1;
	pthread_mutex_unlock(&log_lock);
}

int
log_reopen(void)
{
	FILE *fp;
	int rc = 0;

	pthread_mutex_lock(&log_lock);
	if (log_path != NULL) {
		/* Open the new file before closing the old: never lose a line. */
		fp = log_open_file(log_path);
		if (fp == NULL)
			rc = -1;
		else {
			fclose(log_fp);
			log_fp = fp;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return rc;
}

void
log_add_secret(const char *secret)
{
	if (secret == NULL || *secret == '\0')
		return;
	pthread_mutex_lock(&log_lock);
	if (log_nsecrets < LOG_SECRETS_MAX)
		log_secrets[log_nsecrets++] = xstrdup(secret);
	pthread_mutex_unlock(&log_lock);
}

/* Caller holds log_lock. */
static void
redact_locked(const char *s, char *buf, size_t bufsize)
{
	size_t o = 0;

	if (bufsize == 0)
		return;
	while (*s != '\0' && o + 1 < bufsize) {
		size_t matched = 0;

		for (size_t i = 0; i < log_nsecrets; i++) {
			size_t len = strlen(log_secrets[i]);

			if (strncmp(s, log_secrets[i], len) == 0) {
				matched = len;
				break;
			}
		}
		if (matched > 0) {
			for (const char *m = "***"; *m != '\0' && o + 1 < bufsize; m++)
				buf[o++] = *m;
			s += matched;
		} else
			buf[o++] = *s++;
	}
	buf[o] = '\0';
}

void
log_redact(const char *s, char *buf, size_t bufsize)
{
	pthread_mutex_lock(&log_lock);
	redact_locked(s, buf, bufsize);
	pthread_mutex_unlock(&log_lock);
}

void
log_msg(enum log_level lvl, const char *component, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int saved = errno;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

	pthread_mutex_lock(&log_lock);
	redact_locked(raw, line, sizeof line);
	if (log_syslog)
		syslog(prio[lvl], "%s: %s", component, line);
	else {
		FILE *fp = log_fp != NULL ? log_fp : stderr;

		fprintf(fp, "%s.%03ldZ %-5s %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, log_names[lvl], component, line);
		fflush(fp);
	}
	pthread_mutex_unlock(&log_lock);
	errno = saved;
}

void
log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fp != NULL)
		fclose(log_fp);
	log_fp = NULL;
	free(log_path);
	log_path = NULL;
	for (size_t i = 0; i < log_nsecrets; i++)
		free(log_secrets[i]);
	log_nsecrets = 0;
	if (log_syslog)
		closelog();
	log_syslog = 0;
	pthread_mutex_unlock(&log_lock);
}

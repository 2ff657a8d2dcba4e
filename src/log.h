/*
 * log.h -- the one place that writes log lines. Thread-safe (librdkafka's
 * log callback and every worker call it). Levels are tested before any
 * formatting. Every registered secret is replaced before a line is written,
 * so a webhook token can never reach a log, whoever formats it.
 *
 * Threads:
 *   log_msg and its macros, log_enabled, log_redact, log_set_level: any
 *   log_level_parse: any (pure)
 *   log_to_file, log_to_syslog, log_add_secret: main, before other threads
 *   log_reopen: main (SIGHUP); log_close: main, after every thread ended
 */
#ifndef SIPEAT_LOG_H
#define SIPEAT_LOG_H

#include "util.h"

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* Returns 0 and sets *lvl, or -1 for an unknown name. */
int	log_level_parse(const char *name, enum log_level *lvl);
void	log_set_level(enum log_level lvl);
int	log_enabled(enum log_level lvl);
/* Destination: stderr (default), syslog, or a file reopened by log_reopen(). */
int	log_to_file(const char *path);
void	log_to_syslog(const char *ident);
/* Reopens the log file (SIGHUP); a no-op for stderr and syslog. */
int	log_reopen(void);
/* Registers a string that must never appear in a log line ("***" instead). */
void	log_add_secret(const char *secret);
/* Writes into buf a copy of s with every registered secret masked. */
void	log_redact(const char *s, char *buf, size_t bufsize);
void	log_msg(enum log_level lvl, const char *component, const char *fmt, ...)
	    SIPEAT_PRINTFLIKE(3, 4);
void	log_close(void);

#define log_error(c, ...) log_msg(LOG_LVL_ERROR, c, __VA_ARGS__)
#define log_warn(c, ...)  log_msg(LOG_LVL_WARN, c, __VA_ARGS__)
#define log_info(c, ...)  log_msg(LOG_LVL_INFO, c, __VA_ARGS__)
#define log_debug(c, ...) do { if (log_enabled(LOG_LVL_DEBUG)) \
	log_msg(LOG_LVL_DEBUG, c, __VA_ARGS__); } while (0)

#endif

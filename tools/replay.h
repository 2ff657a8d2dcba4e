/*
 * replay.h -- the two halves of sipeat-replay (SPEC section 9):
 * sipeat-replay.c (options, the consumer of the dead-letter topic, the
 * producer to the source topics, offsets and the summary) and
 * replay-core.c (pure: what a dead letter says, whether it is replayed,
 * the headers of its replay, times and durations, the --dry-run table).
 * The pure half has no I/O, so tests/check_replay.c tests it directly.
 *
 * Threads: the tool is single-threaded; everything here runs on its main
 * thread (the pure functions on any).
 */
#ifndef SIPEAT_REPLAY_H
#define SIPEAT_REPLAY_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <librdkafka/rdkafka.h>

#define REPLAY_DEFAULT_MAX	3
/* The type shown (and matched by --type) for a value that has none. */
#define REPLAY_TYPE_INVALID	"invalid"

/* What --type, --error, --since, --until and --max-replays select. */
struct replay_filter {
	const char	*type;		/* NULL: every type */
	regex_t		 error_re;	/* valid when has_error_re */
	int		 has_error_re;
	int64_t		 since_ms;	/* epoch ms, inclusive; INT64_MIN: none */
	int64_t		 until_ms;	/* epoch ms, exclusive; INT64_MAX: none */
	int64_t		 max_replays;
};

/* What one dead letter says; the strings are owned by the struct. */
struct dead_letter {
	char		*type;		/* the value's "type", or REPLAY_TYPE_INVALID */
	char		*error;		/* sipeat-error, "" when absent */
	char		*source_topic;	/* sipeat-source-topic, NULL when absent */
	int64_t		 replays;	/* sipeat-replay-count, 0 when absent */
	int64_t		 ts_ms;		/* the dead letter's timestamp; -1: none */
	int		 empty;		/* no value: a tombstone's dead letter */
	int		 truncated;	/* sipeat-truncated: the value was cut */
};

/* What becomes of a dead letter, in the order replay_verdict() decides. */
enum replay_verdict {
	REPLAY_FILTERED,	/* not selected by the filters */
	REPLAY_NO_SOURCE,	/* no sipeat-source-topic: cannot be replayed */
	REPLAY_EMPTY,		/* a tombstone's: replaying it is pointless */
	REPLAY_TRUNCATED,	/* its value was cut: not the event any more */
	REPLAY_AT_MAX,		/* replayed --max-replays times already */
	REPLAY_GO,		/* replay it */
};

void		 replay_filter_init(struct replay_filter *f);
void		 replay_filter_free(struct replay_filter *f);
/*
 * Sets f's --error regex (POSIX extended). Returns 0, or -1 with the
 * reason in err.
 */
int		 replay_filter_error(struct replay_filter *f, const char *re,
		     char *err, size_t errsz);

/*
 * A time for --since / --until into *ms (epoch milliseconds): RFC 3339
 * ("2026-12-05T09:30:00Z", fractions and +hh:mm offsets allowed, or a
 * date alone, midnight UTC), or a duration before now_ms: a number and a
 * unit, s m h d w, repeated ("90m", "1h30m", "7d"). Returns 0 or -1.
 */
int		 replay_parse_time(const char *s, int64_t now_ms, int64_t *ms);
/* A whole number >= 0 from s; returns 0, or -1 (overflow, not a number). */
int		 replay_parse_count(const char *s, int64_t *n);

/* Reads rkm (a dead letter) into dl; replay_dl_free() frees it. */
void		 replay_dl_read(struct dead_letter *dl, const rd_kafka_message_t *rkm);
/* The same from parts (tests): headers may be NULL. */
void		 replay_dl_parse(struct dead_letter *dl, const void *value,
		     size_t len, const rd_kafka_headers_t *hdrs, int64_t ts_ms);
void		 replay_dl_free(struct dead_letter *dl);
enum replay_verdict replay_verdict(const struct replay_filter *f,
		     const struct dead_letter *dl);
const char	*replay_verdict_name(enum replay_verdict v);

/*
 * The headers of dl's replay: every header of the dead letter in order,
 * without the ones the dead-letter writer added (dlq_header_is_ours()) and
 * without sipeat-replay-count, then sipeat-replay-count = replays + 1.
 * hdrs may be NULL. The caller owns the result.
 */
rd_kafka_headers_t *replay_headers(const rd_kafka_headers_t *hdrs,
		     int64_t replays);

/*
 * text (len bytes) made fit for one line of a terminal: control
 * characters and ill-formed UTF-8 become U+FFFD. The caller frees it.
 */
char		*replay_printable(const char *text, size_t len);

/* The --dry-run table: counts by (type, error). */
struct replay_table;

struct replay_table *replay_table_new(void);
void		 replay_table_add(struct replay_table *t, const char *type,
		     const char *error);
/*
 * Prints the rows, most frequent first (then by type and error), as
 * "COUNT  TYPE  ERROR" lines under a heading; returns the rows printed.
 */
size_t		 replay_table_print(struct replay_table *t, FILE *fp);
void		 replay_table_free(struct replay_table *t);

#endif

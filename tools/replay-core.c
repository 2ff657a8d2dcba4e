/*
 * replay-core.c -- the pure half of sipeat-replay: what a dead letter
 * says (its type, error, source topic, replay count, time), whether it is
 * replayed (filters, the loop guard), the headers of its replay, the
 * parsing of --since/--until, and the --dry-run table. No I/O but the
 * table's printing; single-threaded like the tool.
 *
 * SPEC.md section 9; the dead-letter headers are dlq.h's.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"
#include "dlq.h"
#include "replay.h"
#include "utf8.h"
#include "util.h"

void
replay_filter_init(struct replay_filter *f)
{
	memset(f, 0, sizeof *f);
	f->since_ms = INT64_MIN;
	f->until_ms = INT64_MAX;
	f->max_replays = REPLAY_DEFAULT_MAX;
}

void
replay_filter_free(struct replay_filter *f)
{
	if (f->has_error_re)
		regfree(&f->error_re);
	f->has_error_re = 0;
}

int
replay_filter_error(struct replay_filter *f, const char *re, char *err,
    size_t errsz)
{
	int rc;

	replay_filter_free(f);
	rc = regcomp(&f->error_re, re, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &f->error_re, err, errsz);
		return -1;
	}
	f->has_error_re = 1;
	return 0;
}

int
replay_parse_count(const char *s, int64_t *n)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*n = v;
	return 0;
}

/* n digits of s as a number into *v; returns 0 or -1. */
static int
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* RFC 3339 date-time, or a full-date alone (midnight UTC). */
static int
parse_rfc3339(const char *s, int64_t *ms)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, frac_ms = 0;
	int64_t off_s = 0;
	time_t t;

	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	s += 10;
	if (*s != '\0') {
		if (*s != 'T' && *s != 't' && *s != ' ')
			return -1;
		if (digits(s + 1, 2, &h) || s[3] != ':' || digits(s + 4, 2, &mi) ||
		    s[6] != ':' || digits(s + 7, 2, &sec))
			return -1;
		/* 60: a leap second, counted as the next one. */
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		s += 9;
		if (*s == '.') {
			int scale = 100, n = 0;

			for (s++; isdigit((unsigned char)*s); s++, n++) {
				frac_ms += (*s - '0') * scale;
				scale /= 10;
			}
			if (n == 0)
				return -1;
		}
		if (*s == 'Z' || *s == 'z')
			s++;
		else if (*s == '+' || *s == '-') {
			if (digits(s + 1, 2, &oh) || s[3] != ':' ||
			    digits(s + 4, 2, &om) || oh > 23 || om > 59)
				return -1;
			off_s = (int64_t)oh * 3600 + om * 60;
			if (*s == '+')
				off_s = -off_s;
			s += 6;
		} else
			return -1;
		if (*s != '\0')
			return -1;
	}
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*ms = ((int64_t)t + off_s) * 1000 + frac_ms;
	return 0;
}

/* "90m", "1h30m", "7d": a duration in ms, or -1. */
static int
parse_duration(const char *s, int64_t *ms)
{
	int64_t total = 0, n, unit;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return -1;
		for (n = 0; isdigit((unsigned char)*s); s++) {
			if (n > INT64_MAX / 10 / 1000 / 604800)
				return -1;
			n = n * 10 + (*s - '0');
		}
		switch (*s++) {
		case 's': unit = 1000; break;
		case 'm': unit = 60 * 1000; break;
		case 'h': unit = 3600 * 1000; break;
		case 'd': unit = 86400 * 1000; break;
		case 'w': unit = 604800 * 1000; break;
		default: return -1;
		}
		total += n * unit;
		if (total > INT64_MAX / 4)
			return -1;
	}
	*ms = total;
	return 0;
}

int
replay_parse_time(const char *s, int64_t now_ms, int64_t *ms)
{
	int64_t d;

	if (parse_rfc3339(s, ms) == 0)
		return 0;
	if (parse_duration(s, &d) == 0) {
		*ms = now_ms - d;
		return 0;
	}
	return -1;
}

/* The last header name of hdrs as a new string, or NULL. */
static char *
header_str(const rd_kafka_headers_t *hdrs, const char *name)
{
	const void *val;
	size_t size;

	if (hdrs == NULL || rd_kafka_header_get_last(hdrs, name, &val, &size) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		return NULL;
	return val != NULL ? xstrndup(val, size) : xstrdup("");
}

/* The value's "type" when it is a JSON object with a string type. */
static char *
value_type(const void *value, size_t len)
{
	json_tokener *tok;
	json_object *obj, *type;
	char *s = NULL;

	if (len == 0 || len > INT_MAX)
		return xstrdup(REPLAY_TYPE_INVALID);
	tok = json_tokener_new();
	obj = json_tokener_parse_ex(tok, value, (int)len);
	/* Shown in a table and on a terminal: printable, like the error. */
	if (obj != NULL && json_tokener_get_error(tok) == json_tokener_success &&
	    json_object_is_type(obj, json_type_object) &&
	    json_object_object_get_ex(obj, "type", &type) &&
	    json_object_is_type(type, json_type_string) &&
	    json_object_get_string_len(type) > 0)
		s = replay_printable(json_object_get_string(type),
		    (size_t)json_object_get_string_len(type));
	json_object_put(obj);
	json_tokener_free(tok);
	return s != NULL ? s : xstrdup(REPLAY_TYPE_INVALID);
}

void
replay_dl_parse(struct dead_letter *dl, const void *value, size_t len,
    const rd_kafka_headers_t *hdrs, int64_t ts_ms)
{
	char *count;

	memset(dl, 0, sizeof *dl);
	dl->empty = value == NULL || len == 0;
	dl->type = value_type(value, dl->empty ? 0 : len);
	dl->error = header_str(hdrs, DLQ_H_ERROR);
	if (dl->error == NULL)
		dl->error = xstrdup("");
	dl->source_topic = header_str(hdrs, DLQ_H_SOURCE_TOPIC);
	if (dl->source_topic != NULL && *dl->source_topic == '\0') {
		free(dl->source_topic);
		dl->source_topic = NULL;
	}
	count = header_str(hdrs, DLQ_H_REPLAY_COUNT);
	/* Unreadable counts as never replayed: the replay writes a good one. */
	if (count == NULL || replay_parse_count(count, &dl->replays) != 0)
		dl->replays = 0;
	free(count);
	dl->truncated = hdrs != NULL && rd_kafka_header_get_last(hdrs,
	    DLQ_H_TRUNCATED, &(const void *){ NULL }, &(size_t){ 0 }) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR;
	dl->ts_ms = ts_ms;
}

void
replay_dl_read(struct dead_letter *dl, const rd_kafka_message_t *rkm)
{
	rd_kafka_headers_t *hdrs = NULL;
	rd_kafka_timestamp_type_t tstype;
	int64_t ts;

	if (rd_kafka_message_headers(rkm, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
		hdrs = NULL;
	ts = rd_kafka_message_timestamp(rkm, &tstype);
	if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
		ts = -1;
	replay_dl_parse(dl, rkm->payload, rkm->len, hdrs, ts);
}

void
replay_dl_free(struct dead_letter *dl)
{
	free(dl->type);
	free(dl->error);
	free(dl->source_topic);
	memset(dl, 0, sizeof *dl);
}

enum replay_verdict
replay_verdict(const struct replay_filter *f, const struct dead_letter *dl)
{
	if (f->type != NULL && strcmp(f->type, dl->type) != 0)
		return REPLAY_FILTERED;
	if (f->has_error_re && regexec(&f->error_re, dl->error, 0, NULL, 0) != 0)
		return REPLAY_FILTERED;
	if ((f->since_ms != INT64_MIN || f->until_ms != INT64_MAX) &&
	    (dl->ts_ms < 0 || dl->ts_ms < f->since_ms || dl->ts_ms >= f->until_ms))
		return REPLAY_FILTERED;
	if (dl->source_topic == NULL)
		return REPLAY_NO_SOURCE;
	if (dl->empty)
		return REPLAY_EMPTY;
	if (dl->truncated)
		return REPLAY_TRUNCATED;
	if (dl->replays >= f->max_replays)
		return REPLAY_AT_MAX;
	return REPLAY_GO;
}

const char *
replay_verdict_name(enum replay_verdict v)
{
	switch (v) {
	case REPLAY_FILTERED: return "filtered out";
	case REPLAY_NO_SOURCE: return "no sipeat-source-topic header";
	case REPLAY_EMPTY: return "empty value (a tombstone's dead letter)";
	case REPLAY_TRUNCATED: return "value cut by the dead-letter writer";
	case REPLAY_AT_MAX: return "at max replays";
	case REPLAY_GO: return "replayed";
	}
	return "?";
}

rd_kafka_headers_t *
replay_headers(const rd_kafka_headers_t *hdrs, int64_t replays)
{
	rd_kafka_headers_t *h;
	const char *name;
	const void *val;
	size_t size;
	char num[24];

	h = rd_kafka_headers_new(hdrs != NULL ? rd_kafka_header_cnt(hdrs) + 1 : 1);
	for (size_t i = 0; hdrs != NULL && rd_kafka_header_get_all(hdrs, i,
	    &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
		if (dlq_header_is_ours(name) ||
		    strcmp(name, DLQ_H_REPLAY_COUNT) == 0)
			continue;
		rd_kafka_header_add(h, name, -1, val, val != NULL ?
		    (ssize_t)size : 0);
	}
	snprintf(num, sizeof num, "%" PRId64, replays + 1);
	rd_kafka_header_add(h, DLQ_H_REPLAY_COUNT, -1, num, -1);
	return h;
}

char *
replay_printable(const char *text, size_t len)
{
	struct buf b = BUF_INIT;
	uint32_t cp;
	size_t n;

	buf_adds(&b, "");
	for (size_t i = 0; i < len; i += n) {
		n = utf8_decode(text + i, len - i, &cp);
		if (cp == UTF8_INVALID || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			buf_adds(&b, UTF8_REPLACEMENT_STR);
		else
			buf_add(&b, text + i, n);
	}
	return buf_take(&b);
}

/* The --dry-run table: open addressing on (type, error). */
struct table_row {
	char		*type;
	char		*error;
	uint64_t	 count;
};

struct replay_table {
	struct table_row *rows;		/* cap slots, type NULL when free */
	size_t		  cap;
	size_t		  n;
};

static struct table_row *
row_slot(struct table_row *rows, size_t cap, const char *type,
    const char *error)
{
	size_t i = (size_t)str_hash(str_hash(STR_HASH_INIT, type),
	    error) & (cap - 1);

	while (rows[i].type != NULL && (strcmp(rows[i].type, type) != 0 ||
	    strcmp(rows[i].error, error) != 0))
		i = (i + 1) & (cap - 1);
	return &rows[i];
}

struct replay_table *
replay_table_new(void)
{
	struct replay_table *t = xcalloc(1, sizeof *t);

	t->cap = 64;
	t->rows = xcalloc(t->cap, sizeof *t->rows);
	return t;
}

void
replay_table_add(struct replay_table *t, const char *type, const char *error)
{
	struct table_row *r;

	if (2 * (t->n + 1) > t->cap) {
		struct table_row *rows = xcalloc(2 * t->cap, sizeof *rows);

		for (size_t i = 0; i < t->cap; i++) {
			if (t->rows[i].type != NULL)
				*row_slot(rows, 2 * t->cap, t->rows[i].type,
				    t->rows[i].error) = t->rows[i];
		}
		free(t->rows);
		t->rows = rows;
		t->cap *= 2;
	}
	r = row_slot(t->rows, t->cap, type, error);
	if (r->type == NULL) {
		r->type = xstrdup(type);
		r->error = xstrdup(error);
		t->n++;
	}
	r->count++;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct table_row *x = a, *y = b;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = strcmp(x->type, y->type);
	return c != 0 ? c : strcmp(x->error, y->error);
}

size_t
replay_table_print(struct replay_table *t, FILE *fp)
{
	struct table_row *rows = xcalloc(t->n > 0 ? t->n : 1, sizeof *rows);
	size_t n = 0, width = strlen("TYPE");
	char *err;

	for (size_t i = 0; i < t->cap; i++) {
		if (t->rows[i].type != NULL)
			rows[n++] = t->rows[i];
	}
	qsort(rows, n, sizeof *rows, row_cmp);
	for (size_t i = 0; i < n; i++) {
		size_t w = utf8_len(rows[i].type, strlen(rows[i].type));

		width = w > width ? w : width;
	}
	fprintf(fp, "%8s  %-*s  %s\n", "COUNT", (int)width, "TYPE", "ERROR");
	for (size_t i = 0; i < n; i++) {
		err = replay_printable(rows[i].error, strlen(rows[i].error));
		fprintf(fp, "%8" PRIu64 "  %-*s  %s\n", rows[i].count, (int)width,
		    rows[i].type, err);
		free(err);
	}
	free(rows);
	return n;
}

void
replay_table_free(struct replay_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->cap; i++) {
		free(t->rows[i].type);
		free(t->rows[i].error);
	}
	free(t->rows);
	free(t);
}

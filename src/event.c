/*
 * event.c -- the SipEat envelope (SPEC section 2).
 *
 * Design: a message value is checked in three layers, cheapest first, so
 * that hostile input fails fast and never costs stack or much memory:
 *   1. bytes: no NUL anywhere (json-c would stop at one and ignore the
 *      rest; an escaped "\u0000" inside a string is fine and kept whole,
 *      so readers take json_object_get_string_len(), never strlen()), and
 *      strict UTF-8 (utf8_valid(): RFC 3629, no overlong forms, no
 *      surrogates, nothing above U+10FFFF; json-c's own check lets those
 *      through);
 *   2. syntax: json-c's tokener in strict mode with a depth limit of
 *      EVENT_DEPTH_MAX, over exactly len bytes, with nothing after the
 *      value (json-c is iterative: 100,000 nested brackets fail at level 65
 *      without recursion);
 *   3. envelope: an object with a non-empty string "type", an object
 *      "data", an optional "id" (a string, or an integer shown in
 *      decimal) and an optional "timestamp" that never makes an event
 *      invalid (a string as given; a number is milliseconds since the
 *      epoch, as Node's Date.now(), shown in ISO 8601 UTC).
 * Known json-c leniencies even in strict mode, accepted here: single-quoted
 * object keys, NaN/Infinity, raw control characters inside strings, and
 * numbers like "1.".
 *
 * The event keeps the json-c tree; every string handed out is borrowed
 * from it. Paths are dotted ("data.location.address"); a segment of digits
 * indexes an array. Templates over these paths are in template.c.
 */
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "utf8.h"
#include "util.h"

static void SIPEAT_PRINTFLIKE(3, 4)
seterr(char *errstr, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (errstr == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errstr, errsz, fmt, ap);
	va_end(ap);
}

/* Copies src into dst (size bytes) without cutting a UTF-8 sequence. */
static void
copy_cut(char *dst, size_t size, const char *src)
{
	size_t len = utf8_cut_bytes(src, strlen(src), size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* event_obj_find() of a NUL-terminated key. */
static int
obj_get(json_object *obj, const char *key, json_object **v)
{
	return event_obj_find(obj, key, strlen(key), v);
}

/* Drops the envelope: its root, or its members while it has none. */
static void
put_envelope(struct event *ev)
{
	size_t i;

	if (ev->root == NULL) {
		for (i = 0; i < ev->nmembers; i++)
			json_object_put(ev->members[i].v);
	}
	json_object_put(ev->root);
	ev->root = NULL;
	ev->nmembers = 0;
}

/*
 * Frees what parsing built and leaves ev as after a failed parse: id at
 * idbuf, which the caller has filled with the best id known.
 */
static int
parse_fail(struct event *ev)
{
	put_envelope(ev);
	json_object_put(ev->idobj);
	json_object_put(ev->tsobj);
	free(ev->keys);		/* after the tree: its keys */
	ev->keys = NULL;
	ev->root = ev->data = ev->idobj = ev->tsobj = NULL;
	ev->type = ev->timestamp = NULL;
	ev->id = ev->idbuf;
	return -1;
}

/*
 * One tokener per thread, kept between events: json_tokener_new_ex()
 * allocates and clears a parse stack of EVENT_DEPTH_MAX levels, which
 * cost about as much as parsing a small event. It is kept only after a
 * successful parse (see parse_json()). The key's destructor frees it when
 * the thread exits.
 */
static pthread_key_t	tok_key;
static pthread_once_t	tok_once = PTHREAD_ONCE_INIT;
static int		tok_key_ok;

static void
tok_free(void *tok)
{
	json_tokener_free(tok);
}

static void
tok_key_init(void)
{
	tok_key_ok = pthread_key_create(&tok_key, tok_free) == 0;
}

/* The calling thread's tokener, reset; NULL when out of memory. */
static struct json_tokener *
tok_get(int *owned)
{
	struct json_tokener *tok;

	*owned = 0;
	pthread_once(&tok_once, tok_key_init);
	if (tok_key_ok && (tok = pthread_getspecific(tok_key)) != NULL) {
		json_tokener_reset(tok);
		return tok;
	}
	tok = json_tokener_new_ex(EVENT_DEPTH_MAX);
	if (tok == NULL)
		return NULL;
	/*
	 * Strict mode; no JSON_TOKENER_VALIDATE_UTF8: utf8_valid() has
	 * already checked the bytes more strictly than json-c would.
	 */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	if (!tok_key_ok || pthread_setspecific(tok_key, tok) != 0)
		*owned = 1;
	return tok;
}

/* Runs json-c over exactly len bytes: the root or NULL with errstr set. */
static json_object *
parse_tokener(const char *buf, size_t len, char *errstr, size_t errsz)
{
	struct json_tokener	*tok;
	json_object		*root;
	enum json_tokener_error	 jerr;
	int			 owned;

	tok = tok_get(&owned);
	if (tok == NULL) {
		seterr(errstr, errsz, "not valid JSON: out of memory");
		return NULL;
	}
	root = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (root == NULL && jerr == json_tokener_continue) {
		/*
		 * json-c cannot know the input ended: a top-level number
		 * ("123") or a truncated document stays "continue". The
		 * terminating NUL that json_tokener_parse() would pass
		 * tells it the input is complete.
		 */
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	} else if (root != NULL && json_tokener_get_parse_end(tok) != len) {
		/* Strict mode already rejects this; kept as a guard. */
		json_object_put(root);
		root = NULL;
		jerr = json_tokener_error_parse_unexpected;
	}
	if (root == NULL && jerr == json_tokener_success) {
		/* The document was "null", which json-c returns as NULL. */
		seterr(errstr, errsz, "not a JSON object");
	} else if (root == NULL) {
		switch (jerr) {
		case json_tokener_error_depth:
			seterr(errstr, errsz, "nested deeper than %d levels",
			    EVENT_DEPTH_MAX);
			break;
		case json_tokener_error_parse_utf8_string:
			/*
			 * The bytes were valid UTF-8 already, so this is
			 * a byte order mark or such where JSON forbids it.
			 */
			seterr(errstr, errsz, "not valid JSON: %s",
			    json_tokener_error_desc(json_tokener_error_parse_unexpected));
			break;
		case json_tokener_continue:
			seterr(errstr, errsz, "not valid JSON: %s",
			    json_tokener_error_desc(json_tokener_error_parse_eof));
			break;
		default:
			seterr(errstr, errsz, "not valid JSON: %s",
			    json_tokener_error_desc(jerr));
			break;
		}
	}
	if (!owned && root == NULL) {
		/*
		 * json-c 0.16's json_tokener_reset() leaves a pending UTF-16
		 * high surrogate behind after a document that stopped inside
		 * a string ("\ud83d), which then merges into the next
		 * event's first \u escape: a failed parse retires the
		 * tokener (invalid events are rare); success leaves none.
		 */
		pthread_setspecific(tok_key, NULL);
		owned = 1;
	}
	if (owned)
		json_tokener_free(tok);
	return root;
}

/*
 * The envelope as one tree, when event_fast_parse_members() could not
 * take it: the fast parser's tree for plain JSON with many members, else
 * json-c's tokener. The root or NULL with errstr set. *keys: see
 * event_fast_parse(); *r: the root's members, looked up here.
 */
static json_object *
parse_json(const char *buf, size_t len, char **keys,
    struct event_fast_root *r, char *errstr, size_t errsz)
{
	json_object *root;

	root = event_fast_parse(buf, len, keys);
	if (root == NULL)
		root = parse_tokener(buf, len, errstr, errsz);
	if (root != NULL && json_object_is_type(root, json_type_object)) {
		r->found = (obj_get(root, "id", &r->id) ? EVENT_FAST_ID : 0) |
		    (obj_get(root, "type", &r->type) ? EVENT_FAST_TYPE : 0) |
		    (obj_get(root, "data", &r->data) ? EVENT_FAST_DATA : 0) |
		    (obj_get(root, "timestamp", &r->timestamp) ?
		    EVENT_FAST_TIMESTAMP : 0);
	}
	return root;
}

/*
 * Checks the optional "id", v (NULL when absent or null): 0 if absent; 1
 * if a valid string, *id borrowed from v; 2 if an integer (Node and Java producers send
 * database keys as numbers), written in decimal to num (numsz bytes, at
 * least 24) with *id = num; -1 with errstr if not acceptable.
 */
static int
parse_id(json_object *v, const char **id, char *num, size_t numsz,
    char *errstr, size_t errsz)
{
	const char	*s;
	size_t		 len, i;

	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		/* json-c writes int64 and uint64 values exactly. */
		copy_cut(num, numsz, json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN));
		*id = num;
		return 2;
	}
	if (!json_object_is_type(v, json_type_string)) {
		seterr(errstr, errsz, "\"id\" is not a string or an integer");
		return -1;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0) {
		seterr(errstr, errsz, "\"id\" is empty");
		return -1;
	}
	if (len > EVENT_ID_MAX - 1) {
		seterr(errstr, errsz, "\"id\" is longer than %d bytes",
		    EVENT_ID_MAX - 1);
		return -1;
	}
	/*
	 * The id goes into HTTP headers (Idempotency-Key), Kafka headers
	 * and log lines: a CR, LF or NUL there would forge them.
	 */
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			seterr(errstr, errsz, "\"id\" contains a control character");
			return -1;
		}
	}
	*id = s;
	return 1;
}

/* Milliseconds of 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z. */
#define EVENT_MS_MIN	INT64_C(-62167219200000)
#define EVENT_MS_MAX	INT64_C(253402300799999)

/*
 * ms since the epoch as ISO 8601 UTC with milliseconds, as JavaScript's
 * Date.prototype.toISOString() writes it ("2023-07-15T14:30:45.123Z"),
 * into buf (25 bytes used). Returns 0, or -1 outside years 0-9999.
 */
static int
format_ms(int64_t ms, char *buf, size_t bufsz)
{
	struct tm	tm;
	time_t		secs;
	int64_t		q = ms / 1000, r = ms % 1000;

	if (ms < EVENT_MS_MIN || ms > EVENT_MS_MAX)
		return -1;
	if (r < 0) {	/* floor, for times before 1970 */
		q--;
		r += 1000;
	}
	secs = (time_t)q;
	if (gmtime_r(&secs, &tm) == NULL)
		return -1;
	snprintf(buf, bufsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)r);
	return 0;
}

/*
 * The optional "timestamp", v (NULL when absent or null), as shown (SPEC
 * section 2), never an error: a
 * string as given (RFC 3339 or not); a number as milliseconds since the
 * epoch (Date.now()) in ISO 8601 UTC (format_ms()); a number outside years
 * 0-9999, NaN, or any other value as its JSON text. Returns NULL when
 * absent or null; else a string borrowed from v, or from *own (a new
 * JSON string the caller owns; NULL when borrowed).
 */
static const char *
parse_timestamp(json_object *v, json_object **own)
{
	char		 buf[96];	/* room for any int in each field */
	double		 d;
	int64_t		 ms;
	int		 ok = -1;

	*own = NULL;
	if (v == NULL)
		return NULL;
	switch (json_object_get_type(v)) {
	case json_type_string:
		return json_object_get_string(v);
	case json_type_int:
		/* int64 is enough: uint64 values are far past year 9999. */
		ok = format_ms(json_object_get_int64(v), buf, sizeof buf);
		break;
	case json_type_double:
		d = json_object_get_double(v);
		if (d >= (double)EVENT_MS_MIN && d < (double)EVENT_MS_MAX + 1) {
			ms = (int64_t)d;	/* toward 0; floor below (no libm) */
			if ((double)ms > d)
				ms--;
			ok = format_ms(ms, buf, sizeof buf);
		}
		break;
	default:
		break;
	}
	if (ok == 0)
		*own = json_object_new_string(buf);
	else
		*own = json_object_new_string(json_object_to_json_string_ext(v,
		    EVENT_JSON_FLAGS));
	return json_object_get_string(*own);
}

/*
 * Parses and validates one message value (see event.h for the errors).
 * Returns 0 with ev owning the tree, or -1 with ev->root NULL and
 * ev->id at ev->idbuf. Any thread; ev is then owned by that thread.
 */
int
event_parse(struct event *ev, const char *buf, size_t len,
    const char *fallback_id, char *errstr, size_t errsz)
{
	struct event_fast_root r = { 0 };
	json_object	*v;
	const char	*id = NULL;
	int		 idok;
	char		 iderr[128], num[32];
	size_t		 i, tlen;

	memset(ev, 0, sizeof *ev);
	copy_cut(ev->idbuf, sizeof ev->idbuf, fallback_id != NULL ? fallback_id : "");
	ev->id = ev->idbuf;

	if (len == 0) {
		seterr(errstr, errsz, "not valid JSON: %s",
		    json_tokener_error_desc(json_tokener_error_parse_eof));
		return -1;
	}
	if (len > INT_MAX) {
		seterr(errstr, errsz, "not valid JSON: larger than %d bytes", INT_MAX);
		return -1;
	}
	if (memchr(buf, '\0', len) != NULL) {
		seterr(errstr, errsz, "not valid JSON: NUL byte at offset %zu",
		    (size_t)((const char *)memchr(buf, '\0', len) - buf));
		return -1;
	}
	if (!utf8_valid(buf, len)) {
		seterr(errstr, errsz, "invalid UTF-8");
		return -1;
	}
	/*
	 * Plain JSON, nearly every event: the members, no tokener and no
	 * root object (event.h).
	 */
	if (event_fast_parse_members(buf, len, &ev->keys, ev->members,
	    &ev->nmembers, &r) != 1) {
		ev->root = parse_json(buf, len, &ev->keys, &r, errstr, errsz);
		if (ev->root == NULL)
			return parse_fail(ev);
		if (!json_object_is_type(ev->root, json_type_object)) {
			seterr(errstr, errsz, "not a JSON object");
			return parse_fail(ev);
		}
	}

	/* A valid envelope id names the invalid event too: take it first. */
	idok = parse_id(r.id, &id, num, sizeof num, iderr, sizeof iderr);
	if (idok > 0)
		copy_cut(ev->idbuf, sizeof ev->idbuf, id);

	if (!(r.found & EVENT_FAST_TYPE)) {
		seterr(errstr, errsz, "missing \"type\"");
		return parse_fail(ev);
	}
	v = r.type;
	if (v == NULL || !json_object_is_type(v, json_type_string)) {
		seterr(errstr, errsz, "\"type\" is not a string");
		return parse_fail(ev);
	}
	tlen = (size_t)json_object_get_string_len(v);
	if (tlen == 0) {
		seterr(errstr, errsz, "\"type\" is empty");
		return parse_fail(ev);
	}
	ev->type = json_object_get_string(v);
	/*
	 * A NUL would cut the type short ("contact.created\u0000x" would run
	 * the contact handler); the type also goes into logs and metric
	 * labels.
	 */
	for (i = 0; i < tlen; i++) {
		if ((unsigned char)ev->type[i] < 0x20 || ev->type[i] == 0x7f) {
			seterr(errstr, errsz, "\"type\" contains a control character");
			return parse_fail(ev);
		}
	}

	if (!(r.found & EVENT_FAST_DATA)) {
		seterr(errstr, errsz, "missing \"data\"");
		return parse_fail(ev);
	}
	v = r.data;
	if (v == NULL || !json_object_is_type(v, json_type_object)) {
		seterr(errstr, errsz, "\"data\" is not an object");
		return parse_fail(ev);
	}
	ev->data = v;

	if (idok == -1) {
		seterr(errstr, errsz, "%s", iderr);
		return parse_fail(ev);
	}
	ev->timestamp = parse_timestamp(r.timestamp, &ev->tsobj);

	if (idok == 1)
		ev->id = id;
	else if (idok == 2)
		ev->id = ev->idbuf;	/* "${id}" is the envelope's number */
	else
		ev->idobj = json_object_new_string(ev->idbuf);
	return 0;
}

/*
 * Frees the tree; ev is then all NULL. Safe on a cleared event and after
 * a failed event_parse(). Owning thread.
 */
void
event_clear(struct event *ev)
{
	put_envelope(ev);
	json_object_put(ev->idobj);
	json_object_put(ev->tsobj);
	free(ev->keys);		/* after the tree: its keys */
	memset(ev, 0, sizeof *ev);
}

/* Absent, null and "" all count as missing. */
static int
field_missing(json_object *data, const char *key, size_t len)
{
	json_object *v;

	if (!event_obj_find(data, key, len, &v) || v == NULL)
		return 1;
	if (json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) == 0)
		return 1;
	return 0;
}

/*
 * Checks the required data fields of the built-in types (SPEC section 2),
 * in the order listed there; the first missing one is named. Returns 0 or
 * -1 with errstr. Any thread.
 */
int
event_check_required(const struct event *ev, char *errstr, size_t errsz)
{
#define F(s)	{ s, sizeof s - 1 }
	static const struct {
		const char	*type;
		struct {
			const char	*name;
			size_t		 len;
		}		 fields[4];
	} required[] = {
		{ "contact.created", { F("name"), F("email"), { NULL, 0 } } },
		{ "request.created", { F("customerName"), F("drinkName"),
		    F("machineId"), { NULL, 0 } } },
		{ "machine.created", { F("machineId"), F("name"), { NULL, 0 } } },
	};
#undef F
	size_t	i, j;

	if (ev->type == NULL || ev->data == NULL) {
		seterr(errstr, errsz, "not a parsed event");
		return -1;
	}
	for (i = 0; i < sizeof required / sizeof required[0]; i++) {
		if (strcmp(ev->type, required[i].type) != 0)
			continue;
		for (j = 0; required[i].fields[j].name != NULL; j++) {
			if (field_missing(ev->data, required[i].fields[j].name,
			    required[i].fields[j].len)) {
				seterr(errstr, errsz, "missing required field data.%s",
				    required[i].fields[j].name);
				return -1;
			}
		}
		break;	/* one type matches */
	}
	return 0;
}


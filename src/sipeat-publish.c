/*
 * sipeat-publish.c -- publishes SipEat events to Kafka, as the web
 * application does: one event built from flags, or a stream of JSON-line
 * envelopes from stdin, or (--raw) stdin lines verbatim.
 *
 * Design: one librdkafka producer, fed from the main thread.  Every message
 * carries its stdin line number as the opaque, so the delivery report
 * callback (served by rd_kafka_poll() and rd_kafka_flush() on this same
 * thread, hence the plain counters) can name the line that failed.  The
 * exit status is decided only after rd_kafka_flush() has returned and every
 * delivery report has been seen: 0 when all were delivered, 69 when nothing
 * reached a broker, 1 for any other failure.
 *
 * Throughput matters (a million lines must load in well under a minute):
 * the producer batches (linger.ms, batch.num.messages), a full local queue
 * is waited out with rd_kafka_poll() rather than failing the line, topic
 * handles are cached, and a line is published as read, with a missing id
 * or timestamp spliced in as text rather than by re-serializing it.  Random bytes for UUIDs come
 * from getrandom() in blocks, and the timestamp is formatted once a second.
 *
 * SPEC.md section 2 defines the envelope, the topics and the keys.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <librdkafka/rdkafka.h>

#include "kafka.h"
#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define EX_USAGE_	64
#define EX_UNAVAILABLE_	69

#define JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Delivery failures named one by one before they are only counted. */
#define MAX_REPORTED	10

/* Event types, their default topics and the data field used as key. */
static const struct event_type {
	const char	*type;
	const char	*topic;
	const char	*key;
} event_types[] = {
	{ "contact.created", "sipeat.contact.events", "email" },
	{ "request.created", "sipeat.request.events", "machineId" },
	{ "machine.created", "sipeat.machine.events", "machineId" },
};

struct topic_cache {
	char			*name;
	rd_kafka_topic_t	*rkt;
	struct topic_cache	*next;
};

struct publisher {
	rd_kafka_t		*rk;
	struct topic_cache	*topics;
	int			 quiet;
	int			 from_stdin;	/* name lines in messages */

	/* Written by the delivery report callback, on the main thread. */
	uint64_t		 delivered;
	uint64_t		 failed;
	uint64_t		 unreachable;	/* failed for want of a broker */
	uint64_t		 reported;
	/* Lines that never reached the producer. */
	uint64_t		 bad_lines;

	uint64_t		 seen_errors;	/* error_cb codes shown, bits */

	char			*splice;	/* envelope with id, timestamp */
	size_t			 splice_cap;
};

struct rand_pool {
	unsigned char	buf[4096];
	size_t		used;
};

static struct rand_pool	rand_pool = { .used = sizeof rand_pool.buf };

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: sipeat-publish -b brokers [-hqV] [-k key] [-T ms] [-t topic]\n"
"                      [-X prop=value]... command [option]...\n"
"       sipeat-publish -b brokers --json [-q] [-k key] [-T ms] [-t topic]\n"
"                      [-X prop=value]...\n"
"       sipeat-publish -b brokers --raw -t topic [-q] [-k key] [-T ms]\n"
"                      [-X prop=value]...\n"
"commands:\n"
"  contact --name N --email E [--phone P] [--company C] [--message M]\n"
"  request --customer N --drink D --machine-id ID [--machine-name N]\n"
"          [--customer-email E] [--quantity Q] [--price P]\n"
"  machine --machine-id ID --name N [--address A] [--lat LAT] [--lon LON]\n"
"          [--model M] [--capacity C]\n"
"each command also takes [--field key=value]... [--id ID] [--topic T]\n");
}

static void usage_error(const char *, ...)
    SIPEAT_PRINTFLIKE(1, 2) __attribute__((noreturn));

/* Prints "sipeat-publish: MESSAGE" and the usage, and exits 64. */
static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sipeat-publish: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	exit(EX_USAGE_);
}

/* JSON whitespace (RFC 8259); strchr() would also match the NUL. */
static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Parses s as one complete JSON text with tok.  Returns the new object (the
 * caller owns it; NULL is also the JSON null) and sets *ok to 1, or sets
 * *ok to 0 and *why to a static description.
 */
static json_object *
parse_json(json_tokener *tok, const char *s, size_t len, int *ok,
    const char **why)
{
	json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	*ok = 0;
	*why = NULL;
	if (len > INT_MAX) {
		*why = "too long";
		return NULL;
	}
	json_tokener_reset(tok);
	obj = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		/*
		 * A bare number or literal at the very end is still open
		 * ("12" may be "123"): the terminating NUL closes it.
		 */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	} else
		end = json_tokener_get_parse_end(tok);
	if (jerr != json_tokener_success) {
		*why = json_tokener_error_desc(jerr);
		json_object_put(obj);
		return NULL;
	}
	for (; end < len; end++) {
		if (!is_blank(s[end])) {
			*why = "trailing characters after the JSON value";
			json_object_put(obj);
			return NULL;
		}
	}
	*ok = 1;
	return obj;
}

/* Fills buf with n random bytes; exits if the kernel cannot give them. */
static void
random_bytes(unsigned char *buf, size_t n)
{
	ssize_t got;
	size_t take;

	while (n > 0) {
		if (rand_pool.used == sizeof rand_pool.buf) {
			got = getrandom(rand_pool.buf, sizeof rand_pool.buf, 0);
			if (got < 0 && errno == EINTR)
				continue;
			if (got != (ssize_t)sizeof rand_pool.buf) {
				fprintf(stderr, "sipeat-publish: getrandom: "
				    "%s\n", strerror(errno));
				exit(1);
			}
			rand_pool.used = 0;
		}
		take = sizeof rand_pool.buf - rand_pool.used;
		if (take > n)
			take = n;
		memcpy(buf, rand_pool.buf + rand_pool.used, take);
		rand_pool.used += take;
		buf += take;
		n -= take;
	}
}

/* Writes a random (version 4) UUID in its 36-character form into out[37]. */
static void
uuid_v4(char out[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t i, j = 0;

	random_bytes(b, sizeof b);
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	for (i = 0; i < sizeof b; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hex[b[i] >> 4];
		out[j++] = hex[b[i] & 0x0f];
	}
	out[j] = '\0';
}

/* Returns the current time as RFC 3339 UTC; static buffer, main thread. */
static const char *
timestamp_now(void)
{
	static char buf[sizeof "YYYY-MM-DDTHH:MM:SSZ"];
	static time_t last = -1;
	struct tm tm;
	time_t t;

	t = time(NULL);
	if (t != last) {
		gmtime_r(&t, &tm);
		strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
		last = t;
	}
	return buf;
}

static const struct event_type *
find_type(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof event_types / sizeof *event_types; i++) {
		if (strcmp(event_types[i].type, type) == 0)
			return &event_types[i];
	}
	return NULL;
}

/*
 * Delivery report callback, called from rd_kafka_poll() or rd_kafka_flush()
 * on the main thread.  The opaque is the stdin line number (0 for a flag
 * event).
 */
static void
dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	struct publisher *pub = opaque;
	uintptr_t line = (uintptr_t)rkm->_private;

	(void)rk;
	if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		pub->delivered++;
		return;
	}
	pub->failed++;
	switch (rkm->err) {
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
	case RD_KAFKA_RESP_ERR__RESOLVE:
		pub->unreachable++;
		break;
	default:
		break;
	}
	if (pub->reported++ >= MAX_REPORTED)
		return;
	if (pub->from_stdin)
		fprintf(stderr, "sipeat-publish: stdin:%ju: delivery to %s "
		    "failed: %s\n", (uintmax_t)line,
		    rd_kafka_topic_name(rkm->rkt), rd_kafka_err2str(rkm->err));
	else
		fprintf(stderr, "sipeat-publish: delivery to %s failed: %s\n",
		    rd_kafka_topic_name(rkm->rkt), rd_kafka_err2str(rkm->err));
}

/*
 * Error callback, from librdkafka's threads.  Connection trouble repeats
 * every retry: each error code is shown once.  Unless quiet.
 */
static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct publisher *pub = opaque;
	uint64_t bit = (uint64_t)1 << ((unsigned)err % 64);

	(void)rk;
	if (pub->quiet && !rd_kafka_fatal_error(rk, NULL, 0))
		return;
	if (__atomic_fetch_or(&pub->seen_errors, bit, __ATOMIC_RELAXED) & bit)
		return;
	fprintf(stderr, "sipeat-publish: kafka: %s\n", reason);
}

/*
 * Log callback, from librdkafka's threads.  Connection failures also come
 * through error_cb, which already shows them once.
 */
static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	struct publisher *pub = rd_kafka_opaque(rk);

	if (pub->quiet || level > 4 || strcmp(fac, "FAIL") == 0)
		return;
	fprintf(stderr, "sipeat-publish: kafka: %s: %s\n", fac, buf);
}

static rd_kafka_topic_t *
get_topic(struct publisher *pub, const char *name)
{
	struct topic_cache *tc;

	for (tc = pub->topics; tc != NULL; tc = tc->next) {
		if (strcmp(tc->name, name) == 0)
			return tc->rkt;
	}
	tc = xmalloc(sizeof *tc);
	tc->name = xstrdup(name);
	tc->rkt = rd_kafka_topic_new(pub->rk, name, NULL);
	if (tc->rkt == NULL) {
		fprintf(stderr, "sipeat-publish: topic %s: %s\n", name,
		    rd_kafka_err2str(rd_kafka_last_error()));
		exit(1);
	}
	tc->next = pub->topics;
	pub->topics = tc;
	return tc->rkt;
}

/*
 * Hands one message to the producer (payload copied), waiting while the
 * local queue is full.  Returns 0, or -1 with the reason printed and the
 * line counted as bad.
 */
static int
produce(struct publisher *pub, const char *topic, const char *key,
    const void *value, size_t len, uintmax_t line)
{
	rd_kafka_topic_t *rkt = get_topic(pub, topic);
	rd_kafka_resp_err_t err;

	for (;;) {
		if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA,
		    RD_KAFKA_MSG_F_COPY, (void *)value, len, key,
		    key == NULL ? 0 : strlen(key),
		    (void *)(uintptr_t)line) == 0)
			return 0;
		err = rd_kafka_last_error();
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		/* Serve delivery reports until the queue has room. */
		rd_kafka_poll(pub->rk, 100);
	}
	if (pub->from_stdin)
		fprintf(stderr, "sipeat-publish: stdin:%ju: %s: %s\n", line,
		    topic, rd_kafka_err2str(err));
	else
		fprintf(stderr, "sipeat-publish: %s: %s\n", topic,
		    rd_kafka_err2str(err));
	pub->bad_lines++;
	return -1;
}

static void line_error(struct publisher *, uintmax_t, const char *, ...)
    SIPEAT_PRINTFLIKE(3, 4);

/* Prints "sipeat-publish: stdin:LINE: MESSAGE" and counts a bad line. */
static void
line_error(struct publisher *pub, uintmax_t line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sipeat-publish: stdin:%ju: ", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	pub->bad_lines++;
}

/*
 * Returns the key for event obj of type et: data.<key> as a string (owned
 * by obj), or NULL when it is absent or not a scalar.
 */
static const char *
event_key(json_object *obj, const struct event_type *et)
{
	json_object *data, *val;

	if (!json_object_object_get_ex(obj, "data", &data) ||
	    !json_object_is_type(data, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(data, et->key, &val))
		return NULL;
	switch (json_object_get_type(val)) {
	case json_type_string:
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		return json_object_get_string(val);
	default:
		return NULL;
	}
}

/*
 * Writes into *bufp (grown as needed, owned by the caller) the object text
 * s of len bytes with "id" and "timestamp" members put first where missing,
 * and returns its length.  s was just parsed as an object, so it is "{"
 * after blanks, followed by at least one member ("type"): splicing the new
 * members in after the brace keeps it valid JSON, keeps the bytes the user
 * wrote, and costs a copy instead of a json-c serialization.
 */
static size_t
splice_envelope(char **bufp, size_t *capp, const char *s, size_t len,
    int has_id, int has_ts)
{
	char head[sizeof "{\"id\":\"\",\"timestamp\":\"\"," + 36 + 20];
	char uuid[37];
	size_t hlen, skip;
	int n;

	for (skip = 0; is_blank(s[skip]); skip++)
		;
	skip++;		/* the "{" */
	if (!has_id)
		uuid_v4(uuid);
	n = snprintf(head, sizeof head, "{%s%s%s%s%s%s",
	    has_id ? "" : "\"id\":\"", has_id ? "" : uuid,
	    has_id ? "" : "\",",
	    has_ts ? "" : "\"timestamp\":\"", has_ts ? "" : timestamp_now(),
	    has_ts ? "" : "\",");
	hlen = (size_t)n;
	if (*capp < hlen + len - skip) {
		*capp = hlen + len - skip;
		*bufp = xrealloc(*bufp, *capp);
	}
	memcpy(*bufp, head, hlen);
	memcpy(*bufp + hlen, s + skip, len - skip);
	return hlen + len - skip;
}

/*
 * Publishes one JSON-line envelope (line number lineno, len bytes without
 * the newline).  Problems with the line are printed and counted.
 */
static void
publish_json_line(struct publisher *pub, json_tokener *tok, char *s,
    size_t len, uintmax_t lineno, const char *topic_arg, const char *key_arg)
{
	const struct event_type *et;
	json_object *obj, *type;
	const char *why, *topic, *key, *value;
	size_t vlen;
	int ok, has_id, has_ts;

	/* What is published verbatim ends with the JSON text. */
	while (len > 0 && is_blank(s[len - 1]))
		len--;
	obj = parse_json(tok, s, len, &ok, &why);
	if (!ok) {
		line_error(pub, lineno, "invalid JSON: %s", why);
		return;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		line_error(pub, lineno, "not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(obj, "type", &type)) {
		line_error(pub, lineno, "no \"type\" member");
		goto out;
	}
	if (!json_object_is_type(type, json_type_string)) {
		line_error(pub, lineno, "\"type\" is not a string");
		goto out;
	}
	et = find_type(json_object_get_string(type));
	if (topic_arg != NULL)
		topic = topic_arg;
	else if (et != NULL)
		topic = et->topic;
	else {
		line_error(pub, lineno, "unknown type \"%s\" (-t gives a "
		    "topic)", json_object_get_string(type));
		goto out;
	}

	if (key_arg != NULL)
		key = key_arg;
	else if (et != NULL) {
		key = event_key(obj, et);
		if (key == NULL && !pub->quiet)
			fprintf(stderr, "sipeat-publish: stdin:%ju: warning: "
			    "no data.%s, published with a null key\n",
			    lineno, et->key);
	} else
		key = NULL;

	value = s;
	vlen = len;
	has_id = json_object_object_get_ex(obj, "id", NULL);
	has_ts = json_object_object_get_ex(obj, "timestamp", NULL);
	if (!has_id || !has_ts) {
		vlen = splice_envelope(&pub->splice, &pub->splice_cap, s, len,
		    has_id, has_ts);
		value = pub->splice;
	}
	produce(pub, topic, key, value, vlen, lineno);
out:
	json_object_put(obj);
}

/*
 * Reads stdin line by line and publishes each: parsed envelopes (raw == 0)
 * or verbatim (raw == 1).
 */
static void
publish_stdin(struct publisher *pub, int raw, const char *topic,
    const char *key)
{
	json_tokener *tok = json_tokener_new();
	char *line = NULL;
	size_t cap = 0, len, i;
	ssize_t n;
	uintmax_t lineno = 0;

	/* No comments or trailing commas: publish JSON others can read. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	while ((n = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		len = (size_t)n;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (raw)
			produce(pub, topic, key, line, len, lineno);
		else {
			for (i = 0; i < len; i++) {
				if (!is_blank(line[i]))
					break;
			}
			if (i < len)
				publish_json_line(pub, tok, line, len, lineno,
				    topic, key);
		}
		/* Serve delivery reports now and then, not every line. */
		if (lineno % 1024 == 0)
			rd_kafka_poll(pub->rk, 0);
	}
	if (ferror(stdin)) {
		fprintf(stderr, "sipeat-publish: stdin: %s\n", strerror(errno));
		pub->bad_lines++;
	}
	free(line);
	json_tokener_free(tok);
}

/*
 * Parses a --field or number value: JSON when it is one complete JSON
 * text, else a string.  Returns a new object.
 */
static json_object *
field_value(json_tokener *tok, const char *s)
{
	json_object *obj;
	const char *why;
	int ok;

	obj = parse_json(tok, s, strlen(s), &ok, &why);
	if (ok)
		return obj;
	return json_object_new_string(s);
}

/* Parses option opt's value as a JSON number (integer if want_int). */
static json_object *
number_value(json_tokener *tok, const char *opt, const char *s, int want_int)
{
	json_object *obj;
	const char *why;
	int ok;

	obj = parse_json(tok, s, strlen(s), &ok, &why);
	if (ok && json_object_is_type(obj, json_type_int))
		return obj;
	if (ok && !want_int && json_object_is_type(obj, json_type_double))
		return obj;
	json_object_put(obj);
	fprintf(stderr, "sipeat-publish: --%s: expected %s, got \"%s\"\n", opt,
	    want_int ? "an integer" : "a number", s);
	usage(stderr);
	exit(EX_USAGE_);
}

enum {
	OPT_ADDRESS = 256, OPT_CAPACITY, OPT_COMPANY, OPT_CUSTOMER,
	OPT_CUSTOMER_EMAIL, OPT_DRINK, OPT_EMAIL, OPT_FIELD, OPT_ID, OPT_LAT,
	OPT_LON, OPT_MACHINE_ID, OPT_MACHINE_NAME, OPT_MESSAGE, OPT_MODEL,
	OPT_NAME, OPT_PHONE, OPT_PRICE, OPT_QUANTITY, OPT_TOPIC,
};

/*
 * Which flags a command takes, in the order their fields appear in data,
 * the data member each fills and how its value is typed.
 */
struct cmd_flag {
	int		 opt;
	const char	*name;
	const char	*member;	/* in data, or in data.location */
	int		 required;
	int		 kind;		/* 0 string, 1 integer, 2 number */
	int		 in_location;
};

static const struct cmd_flag contact_flags[] = {
	{ OPT_NAME, "name", "name", 1, 0, 0 },
	{ OPT_EMAIL, "email", "email", 1, 0, 0 },
	{ OPT_PHONE, "phone", "phone", 0, 0, 0 },
	{ OPT_COMPANY, "company", "companyName", 0, 0, 0 },
	{ OPT_MESSAGE, "message", "message", 0, 0, 0 },
	{ 0, NULL, NULL, 0, 0, 0 }
};
static const struct cmd_flag request_flags[] = {
	{ OPT_CUSTOMER, "customer", "customerName", 1, 0, 0 },
	{ OPT_DRINK, "drink", "drinkName", 1, 0, 0 },
	{ OPT_MACHINE_ID, "machine-id", "machineId", 1, 0, 0 },
	{ OPT_MACHINE_NAME, "machine-name", "machineName", 0, 0, 0 },
	{ OPT_CUSTOMER_EMAIL, "customer-email", "customerEmail", 0, 0, 0 },
	{ OPT_QUANTITY, "quantity", "quantity", 0, 1, 0 },
	{ OPT_PRICE, "price", "price", 0, 2, 0 },
	{ 0, NULL, NULL, 0, 0, 0 }
};
static const struct cmd_flag machine_flags[] = {
	{ OPT_MACHINE_ID, "machine-id", "machineId", 1, 0, 0 },
	{ OPT_NAME, "name", "name", 1, 0, 0 },
	{ OPT_ADDRESS, "address", "address", 0, 0, 1 },
	{ OPT_LAT, "lat", "latitude", 0, 2, 1 },
	{ OPT_LON, "lon", "longitude", 0, 2, 1 },
	{ OPT_MODEL, "model", "model", 0, 0, 0 },
	{ OPT_CAPACITY, "capacity", "capacity", 0, 1, 0 },
	{ 0, NULL, NULL, 0, 0, 0 }
};

static const struct command {
	const char		*name;
	const char		*type;
	const struct cmd_flag	*flags;
} commands[] = {
	{ "contact", "contact.created", contact_flags },
	{ "request", "request.created", request_flags },
	{ "machine", "machine.created", machine_flags },
};

/*
 * Builds the event of command argv[0] from its flags.  Returns the
 * envelope (caller owns it) and sets *topicp and *keyp (owned by the
 * envelope or argv); exits 64 on a usage error.
 */
static json_object *
build_event(int argc, char **argv, const char *topic_arg, const char **topicp,
    const char **keyp)
{
	static const struct option longopts[] = {
		{ "address",		required_argument, NULL, OPT_ADDRESS },
		{ "capacity",		required_argument, NULL, OPT_CAPACITY },
		{ "company",		required_argument, NULL, OPT_COMPANY },
		{ "customer",		required_argument, NULL, OPT_CUSTOMER },
		{ "customer-email",	required_argument, NULL,
		    OPT_CUSTOMER_EMAIL },
		{ "drink",		required_argument, NULL, OPT_DRINK },
		{ "email",		required_argument, NULL, OPT_EMAIL },
		{ "field",		required_argument, NULL, OPT_FIELD },
		{ "id",			required_argument, NULL, OPT_ID },
		{ "lat",		required_argument, NULL, OPT_LAT },
		{ "lon",		required_argument, NULL, OPT_LON },
		{ "machine-id",		required_argument, NULL,
		    OPT_MACHINE_ID },
		{ "machine-name",	required_argument, NULL,
		    OPT_MACHINE_NAME },
		{ "message",		required_argument, NULL, OPT_MESSAGE },
		{ "model",		required_argument, NULL, OPT_MODEL },
		{ "name",		required_argument, NULL, OPT_NAME },
		{ "phone",		required_argument, NULL, OPT_PHONE },
		{ "price",		required_argument, NULL, OPT_PRICE },
		{ "quantity",		required_argument, NULL, OPT_QUANTITY },
		{ "topic",		required_argument, NULL, OPT_TOPIC },
		{ NULL,			0,		   NULL, 0 }
	};
	const struct command *cmd = NULL;
	const struct cmd_flag *f;
	const struct event_type *et;
	const char *values[OPT_TOPIC - OPT_ADDRESS + 1] = { NULL };
	const char *id = NULL, *eq;
	json_tokener *tok;
	json_object *env, *data, *loc = NULL, *extra, *val;
	char uuid[37], *name;
	size_t i;
	int ch, li;

	for (i = 0; i < sizeof commands / sizeof *commands; i++) {
		if (strcmp(commands[i].name, argv[0]) == 0)
			cmd = &commands[i];
	}
	if (cmd == NULL)
		usage_error("unknown command \"%s\"", argv[0]);

	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	extra = json_object_new_object();
	*topicp = topic_arg;
	optind = 0;	/* GNU: start over on the new argv */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, &li)) != -1) {
		if (ch == '?' || ch == ':')
			usage_error(ch == ':' ? "option \"%s\" needs a value" :
			    "unknown option \"%s\"", argv[optind - 1]);
		if (ch == OPT_ID) {
			id = optarg;
			continue;
		}
		if (ch == OPT_TOPIC) {
			*topicp = optarg;
			continue;
		}
		if (ch == OPT_FIELD) {
			eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg)
				usage_error("--field \"%s\": expected "
				    "key=value", optarg);
			name = xstrndup(optarg, (size_t)(eq - optarg));
			json_object_object_add(extra, name,
			    field_value(tok, eq + 1));
			free(name);
			continue;
		}
		for (f = cmd->flags; f->name != NULL; f++) {
			if (f->opt == ch)
				break;
		}
		if (f->name == NULL)
			usage_error("%s takes no --%s", argv[0],
			    longopts[li].name);
		values[ch - OPT_ADDRESS] = optarg;
	}
	if (optind != argc)
		usage_error("unexpected argument \"%s\"", argv[optind]);

	data = json_object_new_object();
	for (f = cmd->flags; f->name != NULL; f++) {
		const char *v = values[f->opt - OPT_ADDRESS];

		if (v == NULL) {
			if (f->required)
				usage_error("%s needs --%s", argv[0],
				    f->name);
			continue;
		}
		if (f->required && *v == '\0')
			usage_error("--%s must not be empty", f->name);
		if (f->kind == 0)
			val = json_object_new_string(v);
		else
			val = number_value(tok, f->name, v, f->kind == 1);
		if (f->in_location) {
			if (loc == NULL) {
				loc = json_object_new_object();
				json_object_object_add(data, "location", loc);
			}
			json_object_object_add(loc, f->member, val);
		} else
			json_object_object_add(data, f->member, val);
	}
	json_object_object_foreach(extra, k, v)
		json_object_object_add(data, k, json_object_get(v));
	json_object_put(extra);
	json_tokener_free(tok);

	env = json_object_new_object();
	if (id == NULL) {
		uuid_v4(uuid);
		id = uuid;
	}
	json_object_object_add(env, "id", json_object_new_string(id));
	json_object_object_add(env, "type", json_object_new_string(cmd->type));
	json_object_object_add(env, "timestamp",
	    json_object_new_string(timestamp_now()));
	json_object_object_add(env, "data", data);

	et = find_type(cmd->type);
	if (*topicp == NULL)
		*topicp = et->topic;
	*keyp = event_key(env, et);
	return env;
}

static void
conf_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) !=
	    RD_KAFKA_CONF_OK) {
		fprintf(stderr, "sipeat-publish: %s\n", errstr);
		usage(stderr);
		exit(EX_USAGE_);
	}
}

int
main(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_RAW };
	static const struct option longopts[] = {
		{ "brokers",	required_argument,	NULL, 'b' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "json",	no_argument,		NULL, OPT_JSON },
		{ "key",	required_argument,	NULL, 'k' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "raw",	no_argument,		NULL, OPT_RAW },
		{ "timeout",	required_argument,	NULL, 'T' },
		{ "topic",	required_argument,	NULL, 't' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	struct publisher pub;
	struct topic_cache *tc, *tc_next;
	rd_kafka_conf_t *conf;
	json_object *env = NULL;
	const char *brokers = NULL, *timeout = NULL, *topic = NULL;
	const char *key = NULL, *ekey, *etopic, *value;
	char errstr[512], *eq, *prop, bs[1024];
	size_t len, bslen = sizeof bs;
	int ch, json = 0, raw = 0, status;

	memset(&pub, 0, sizeof pub);
	conf = rd_kafka_conf_new();
	/*
	 * Batching for bulk loads; -X may override any of these.  A full
	 * local queue makes produce() poll and retry, so its size bounds
	 * memory, not what can be loaded.
	 */
	conf_set(conf, "client.id", "sipeat-publish");
	conf_set(conf, "linger.ms", "10");
	conf_set(conf, "batch.num.messages", "10000");
	conf_set(conf, "queue.buffering.max.messages", "200000");
	conf_set(conf, "message.timeout.ms", "30000");
	/* A key lands where the Java client and KafkaJS put it (SPEC 6). */
	conf_set(conf, "partitioner", KAFKA_PARTITIONER);

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:b:hk:qT:t:VX:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			brokers = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'k':
			key = optarg;
			break;
		case 'q':
			pub.quiet = 1;
			break;
		case 'T':
			timeout = optarg;
			break;
		case 't':
			if (*optarg == '\0')
				usage_error("-t: empty topic name");
			topic = optarg;
			break;
		case 'V':
			printf("sipeat-publish %s (librdkafka %s, json-c %s)\n",
			    PACKAGE_VERSION, rd_kafka_version_str(),
			    json_c_version());
			return 0;
		case 'X':
			if (strcmp(optarg, "list") == 0) {
				rd_kafka_conf_properties_show(stdout);
				return 0;
			}
			eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg)
				usage_error("-X \"%s\": expected prop=value",
				    optarg);
			prop = xstrndup(optarg, (size_t)(eq - optarg));
			conf_set(conf, prop, eq + 1);
			free(prop);
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_RAW:
			raw = 1;
			break;
		case ':':
			usage_error("option \"%s\" needs a value",
			    argv[optind - 1]);
			break;
		default:
			usage_error("unknown option \"%s\"", argv[optind - 1]);
			break;
		}
	}
	if (brokers != NULL)
		conf_set(conf, "bootstrap.servers", brokers);
	else if (rd_kafka_conf_get(conf, "bootstrap.servers", bs, &bslen) !=
	    RD_KAFKA_CONF_OK || *bs == '\0')
		usage_error("no brokers: give -b BROKERS");
	if (timeout != NULL)
		conf_set(conf, "message.timeout.ms", timeout);
	if (json && raw)
		usage_error("--json and --raw exclude each other");
	if (raw && topic == NULL)
		usage_error("--raw needs -t TOPIC");
	if ((json || raw) && optind != argc)
		usage_error("unexpected argument \"%s\" after --json or --raw",
		    argv[optind]);
	if (!json && !raw && optind == argc)
		usage_error("no command: contact, request, machine, --json or "
		    "--raw");
	if (!json && !raw)
		env = build_event(argc - optind, argv + optind, topic, &etopic,
		    &ekey);

	rd_kafka_conf_set_opaque(conf, &pub);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	pub.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	if (pub.rk == NULL) {
		fprintf(stderr, "sipeat-publish: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		json_object_put(env);
		return 1;
	}
	conf = NULL;	/* owned by pub.rk now */

	if (env != NULL) {
		value = json_object_to_json_string_length(env, JSON_FLAGS, &len);
		produce(&pub, etopic, key != NULL ? key : ekey, value, len, 0);
		json_object_put(env);
	} else {
		pub.from_stdin = 1;
		publish_stdin(&pub, raw, topic, key);
	}

	/*
	 * Every message ends in a delivery report within message.timeout.ms:
	 * flush until the queue is empty, however long that takes.
	 */
	while (rd_kafka_outq_len(pub.rk) > 0)
		rd_kafka_flush(pub.rk, 1000);

	if (pub.reported > MAX_REPORTED)
		fprintf(stderr, "sipeat-publish: %ju more delivery failures "
		    "not shown\n", (uintmax_t)(pub.reported - MAX_REPORTED));
	if (!pub.quiet)
		fprintf(stderr, "sipeat-publish: %ju events delivered\n",
		    (uintmax_t)pub.delivered);
	if (pub.failed > 0 || pub.bad_lines > 0)
		fprintf(stderr, "sipeat-publish: %ju events failed\n",
		    (uintmax_t)(pub.failed + pub.bad_lines));

	if (pub.delivered == 0 && pub.unreachable > 0) {
		fprintf(stderr, "sipeat-publish: no broker reachable at %s\n",
		    brokers != NULL ? brokers : bs);
		status = EX_UNAVAILABLE_;
	} else if (pub.failed > 0 || pub.bad_lines > 0)
		status = 1;
	else
		status = 0;

	for (tc = pub.topics; tc != NULL; tc = tc_next) {
		tc_next = tc->next;
		rd_kafka_topic_destroy(tc->rkt);
		free(tc->name);
		free(tc);
	}
	rd_kafka_destroy(pub.rk);
	free(pub.splice);
	return status;
}

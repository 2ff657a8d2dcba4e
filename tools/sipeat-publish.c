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
 * or timestamp spliced in as text rather than by re-serializing it
 * (publish-gen.c, which also builds an event from flags).
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
#include <unistd.h>

#include <json-c/json.h>
#include <librdkafka/rdkafka.h>

#include "kafka.h"
#include "publish.h"
#include "tool.h"
#include "util.h"

#define JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Delivery failures named one by one before they are only counted. */
#define MAX_REPORTED	10

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

void
publish_usage(FILE *fp)
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

/* Prints "sipeat-publish: MESSAGE" and the usage, and exits 64. */
void
publish_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sipeat-publish: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	publish_usage(stderr);
	exit(EX_USAGE_);
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
	while (len > 0 && publish_is_blank(s[len - 1]))
		len--;
	obj = publish_parse_json(tok, s, len, &ok, &why);
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
	et = publish_find_type(json_object_get_string(type));
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
		key = publish_event_key(obj, et);
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
		vlen = publish_splice_envelope(&pub->splice, &pub->splice_cap,
		    s, len, has_id, has_ts);
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
				if (!publish_is_blank(line[i]))
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

static void
conf_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) !=
	    RD_KAFKA_CONF_OK) {
		fprintf(stderr, "sipeat-publish: %s\n", errstr);
		publish_usage(stderr);
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
	const char *key = NULL, *ekey, *etopic, *value, *pval;
	char errstr[512], *prop, bs[1024];
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
			publish_usage(stdout);
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
				publish_usage_error("-t: empty topic name");
			topic = optarg;
			break;
		case 'V':
			tool_version("sipeat-publish");
			return 0;
		case 'X':
			if (tool_prop(optarg, &prop, &pval) != 0)
				publish_usage_error("-X \"%s\": expected "
				    "prop=value", optarg);
			conf_set(conf, prop, pval);
			free(prop);
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_RAW:
			raw = 1;
			break;
		case ':':
			publish_usage_error("option \"%s\" needs a value",
			    argv[optind - 1]);
			break;
		default:
			publish_usage_error("unknown option \"%s\"",
			    argv[optind - 1]);
			break;
		}
	}
	if (brokers != NULL)
		conf_set(conf, "bootstrap.servers", brokers);
	else if (rd_kafka_conf_get(conf, "bootstrap.servers", bs, &bslen) !=
	    RD_KAFKA_CONF_OK || *bs == '\0')
		publish_usage_error("no brokers: give -b BROKERS");
	if (timeout != NULL)
		conf_set(conf, "message.timeout.ms", timeout);
	if (json && raw)
		publish_usage_error("--json and --raw exclude each other");
	if (raw && topic == NULL)
		publish_usage_error("--raw needs -t TOPIC");
	if ((json || raw) && optind != argc)
		publish_usage_error("unexpected argument \"%s\" after --json "
		    "or --raw", argv[optind]);
	if (!json && !raw && optind == argc)
		publish_usage_error("no command: contact, request, machine, "
		    "--json or --raw");
	if (!json && !raw)
		env = publish_build_event(argc - optind, argv + optind, topic,
		    &etopic, &ekey);

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

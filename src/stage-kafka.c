/*
 * stage-kafka.c -- the `kafka` action: produces one record per event.
 *
 *	topic = sipeat.machine.audit
 *	body = {"machine": "${data.machineId}"}	(default: the event JSON)
 *	key = ${data.machineId}			(default: the event's own key)
 *
 * The body is a JSON template (template.h): a ${...} inside quotes is
 * JSON-escaped, one outside quotes is the value as JSON, and a body that is
 * not JSON with its ${...} as null is a configuration error. The key is
 * plain text.
 *
 * Design. Every worker shares the daemon's one producer (librdkafka
 * producers are thread-safe); sipeatd.c creates it whenever a kafka stage
 * or the dead-letter topic needs it. The record keeps the Kafka key of the
 * message the event came in (pool.c puts it in the stage context), so the
 * downstream topic is partitioned like the source one and keeps its order
 * per key. It carries the headers sipeat-event-id and sipeat-stage, whose
 * pair is the same idempotency key the http action sends: a consumer can
 * drop the duplicate a retry or a replay produces.
 *
 * producer_send_timed() returns once the delivery report arrived, so
 * success means the record is in the topic before the source offset is
 * committed. It waits at most the stage's timeout.ms and stops waiting at
 * shutdown; a record that timed out may still arrive later, so a retry can
 * duplicate it (the headers let a consumer drop it). Every failure is
 * transient (retried): a broker that is down, a leader election or a
 * missing topic are all conditions that pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer.h"
#include "stage.h"
#include "template.h"
#include "util.h"

struct kafka_stage {
	char	*topic;
	struct tpl	*body;	/* TPL_JSON, or NULL: the event JSON */
	struct tpl	*key;	/* TPL_TEXT, or NULL: the source key */
};

static const char *const kafka_keys[] = { "topic", "body", "key", NULL };

static void
kafka_free(struct stage *st)
{
	struct kafka_stage *k = st->priv;

	if (k == NULL)
		return;
	free(k->topic);
	tpl_free(k->body);
	tpl_free(k->key);
	free(k);
	st->priv = NULL;
}

/* Kafka's own rule for topic names: [a-zA-Z0-9._-]{1,249}. */
static int
kafka_topic_ok(const char *t)
{
	size_t len = strspn(t, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return len > 0 && len <= 249 && t[len] == '\0' &&
	    strcmp(t, ".") != 0 && strcmp(t, "..") != 0;
}

static int
kafka_compile(struct stage *st, const struct stage_conf *sc, const char *file,
    struct diag *d)
{
	struct kafka_stage *k;
	const char *v;
	char errbuf[256];
	int line = sc->line, rc = 0;

	k = xcalloc(1, sizeof *k);
	st->priv = k;
	v = stage_conf_get(sc, "topic", &line);
	if (v == NULL) {
		diag_add(d, file, sc->line, "stage \"%s\": kafka needs a topic",
		    st->name);
		rc = -1;
	} else if (!kafka_topic_ok(v)) {
		diag_add(d, file, line, "stage \"%s\": bad topic name \"%s\" "
		    "(letters, digits, '.', '_' and '-', at most 249)",
		    st->name, v);
		rc = -1;
	} else
		k->topic = xstrdup(v);

	v = stage_conf_get(sc, "body", &line);
	if (v != NULL) {
		k->body = tpl_compile(v, TPL_JSON, errbuf, sizeof errbuf);
		if (k->body == NULL) {
			diag_add(d, file, line, "stage \"%s\": body: %s",
			    st->name, errbuf);
			rc = -1;
		}
	}
	v = stage_conf_get(sc, "key", &line);
	if (v != NULL) {
		k->key = tpl_compile(v, TPL_TEXT, errbuf, sizeof errbuf);
		if (k->key == NULL) {
			diag_add(d, file, line, "stage \"%s\": key: %s",
			    st->name, errbuf);
			rc = -1;
		}
	}
	if (rc != 0)
		kafka_free(st);
	return rc;
}

static enum stage_status
kafka_run(const struct stage *st, const struct event *ev,
    struct stage_ctx *ctx, char *err, size_t errsz)
{
	const struct kafka_stage *k = st->priv;
	struct producer_header hdrs[2] = {
		{ "sipeat-event-id", ev->id },
		{ "sipeat-stage", st->name },
	};
	char why[256], *body = NULL, *key = NULL;
	const char *value;
	const void *kp = ctx->key;
	size_t klen = ctx->keylen;
	enum stage_status status = STAGE_FAIL;

	if (ctx->producer == NULL) {
		snprintf(err, errsz, "no Kafka producer");
		return STAGE_FAIL;
	}
	if (k->body != NULL) {
		body = tpl_expand(k->body, ev, why, sizeof why);
		if (body == NULL) {
			snprintf(err, errsz, "body: %s", why);
			goto out;
		}
		value = body;
	} else
		value = event_json(ev);
	if (k->key != NULL) {
		key = tpl_expand(k->key, ev, why, sizeof why);
		if (key == NULL) {
			snprintf(err, errsz, "key: %s", why);
			goto out;
		}
		kp = key;
		klen = strlen(key);
	}
	if (producer_send_timed(ctx->producer, k->topic, kp, klen, value,
	    strlen(value), hdrs, 2, st->timeout_ms, ctx->stopping, err, errsz) == 0)
		status = STAGE_OK;
	else
		status = STAGE_TRANSIENT;

out:
	free(key);
	free(body);
	return status;
}

const struct stage_action stage_kafka_action = {
	.name = "kafka",
	.compile = kafka_compile,
	.run = kafka_run,
	.free = kafka_free,
	.keys = kafka_keys,
};

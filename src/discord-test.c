/*
 * discord-test.c -- sipeatd --test-discord (SPEC sections 5 and 9): for
 * every configured webhook, builds the five test messages (plain text, a
 * rich embed and one embed per event kind, made as the workers make them,
 * with the webhook's username, mention on the failure, flags and thread)
 * and posts them one after the other through discord.c's client, waiting
 * as the rate-limit headers say. A webhook that fails is named (never by
 * URL) and the others are still tested.
 * Main thread only, before anything else is started.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "discord.h"
#include "embed.h"
#include "util.h"
#include "webhook.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

/* Message 2: a rich embed with inline fields, colour, footer, timestamp. */
static char *
test_rich_embed(time_t now)
{
	static const struct embed_field fields[] = {
		{ "Version", "sipeatd " PACKAGE_VERSION, EMBED_INLINE_YES },
		{ "Limits", "10 embeds, 6000 characters per message",
		    EMBED_INLINE_YES },
		{ "Mentions", "@everyone is not pinged (allowed_mentions)",
		    EMBED_INLINE_YES },
	};
	struct embed_spec es;

	memset(&es, 0, sizeof es);
	es.title = "\xf0\x9f\xa7\xaa sipeatd test: rich embed";
	es.description = "If you can read this, the webhook accepts embeds "
	    "with fields, a colour, a footer and a timestamp.";
	es.color = EMBED_COLOR_DIGEST;
	es.fields = fields;
	es.nfields = sizeof fields / sizeof fields[0];
	es.footer = "sipeatd --test-discord";
	es.timestamp = now;
	return embed_write(&es, NULL);
}

/* One event embed, as a worker would build it. */
static char *
test_event_embed(const char *type, const char *icon, const char *title,
    const char *data, const char *error, const char *id, time_t now)
{
	struct embed_event ee = { 0 };
	json_object *d = json_tokener_parse(data);
	char *e;

	ee.type = type;
	ee.icon = icon;
	ee.title = title;
	ee.success = error == NULL;
	ee.error = error;
	ee.data = d;
	ee.event_id = id;
	ee.finished = now;
	e = embed_build_json(&ee, NULL);
	json_object_put(d);
	return e;
}

/* A serialized embed (freed here) as one message of wh, as the notifier sends it. */
static char *
test_message(const struct webhook *wh, char *json, int failure)
{
	char *p;

	p = webhook_payload(wh, (const char *const *)&json, 1, failure);
	free(json);
	return p;
}

void
discord_test_payloads(char *out[5], const struct webhook *wh, time_t now)
{
	out[0] = webhook_payload_text(wh, "sipeatd test message 1/5: plain "
	    "text. Notifications from sipeatd will appear in this channel.", 0);
	out[1] = test_message(wh, test_rich_embed(now), 0);
	out[2] = test_message(wh, test_event_embed("contact.created",
	    "\xf0\x9f\x93\x9d", "New Contact Form Submission",
	    "{\"name\":\"John Doe\",\"email\":\"john@example.com\","
	    "\"phone\":\"+1234567890\",\"companyName\":\"Acme Inc\","
	    "\"message\":\"I'd like to inquire about your services\"}",
	    NULL, "test-contact-1", now), 0);
	out[3] = test_message(wh, test_event_embed("request.created",
	    "\xf0\x9f\xa5\xa4", "New Drink Request",
	    "{\"customerName\":\"Jane Smith\",\"drinkName\":\"Cola Zero\","
	    "\"machineId\":\"VM-001\",\"machineName\":\"Lobby\"}",
	    "Payment processing failed", "test-request-1", now), 1);
	out[4] = test_message(wh, test_event_embed("machine.created",
	    "\xf0\x9f\x8f\xad", "New Vending Machine",
	    "{\"machineId\":\"VM-002\",\"name\":\"Gym\",\"location\":"
	    "{\"address\":\"1 Main St\",\"latitude\":48.1,\"longitude\":11.5},"
	    "\"model\":\"SX-200\"}", NULL, "test-machine-1", now), 0);
}

/* Posts one payload and waits for the answer. -1: it could not start. */
static int
test_post(struct discord_client *dc, const char *payload,
    struct discord_response *r)
{
	if (discord_client_start(dc, payload) != 0)
		return -1;
	while (!discord_client_poll(dc, 1000, r))
		;
	return 0;
}

/*
 * The five messages to one webhook; lines on out start with its name.
 * Returns 0, EX_UNAVAILABLE or 1 as discord_send_test() does.
 */
static int
test_one(const struct webhook *wh, FILE *out)
{
	static const char *const names[5] = {
		"plain text", "rich embed", "contact.created (success)",
		"request.created (failure)", "machine.created (success)",
	};
	struct discord_client *dc;
	struct discord_response r;
	char *payloads[5], err[256];
	const char *advice;
	int status = 0;
	unsigned seed = (unsigned)time(NULL);

	dc = discord_client_create(wh->dw.url, 15000, err, sizeof err);
	if (dc == NULL) {
		fprintf(out, "webhook %s: %s\n", wh->name, err);
		return 1;
	}
	discord_test_payloads(payloads, wh, time(NULL));
	for (int i = 0; i < 5 && status == 0; i++) {
		for (unsigned attempt = 1;; attempt++) {
			if (test_post(dc, payloads[i], &r) != 0) {
				fprintf(out, "webhook %s: %d/5 %s: cannot start "
				    "the request to %s\n", wh->name, i + 1,
				    names[i], wh->dw.shown);
				status = EX_UNAVAILABLE;
				goto done;
			}
			if (r.status == 429 && attempt < 5) {
				sleep_ms(discord_wait_ms(&r));
				continue;
			}
			if (discord_classify(&r) == DISCORD_RETRY && attempt < 3) {
				sleep_ms(discord_backoff_ms(attempt, 1000, 4000, &seed));
				continue;
			}
			break;
		}
		switch (discord_classify(&r)) {
		case DISCORD_OK:
			fprintf(out, "webhook %s: %d/5 %s: accepted (%ld)\n",
			    wh->name, i + 1, names[i], r.status);
			if (i < 4)
				sleep_ms(discord_wait_ms(&r));
			break;
		case DISCORD_RETRY:
			if (r.status == 0)
				fprintf(out, "webhook %s: %d/5 %s: %s unreachable: "
				    "%s\n", wh->name, i + 1, names[i], wh->dw.shown,
				    r.message);
			else
				fprintf(out, "webhook %s: %d/5 %s: Discord "
				    "unavailable (%ld)\n", wh->name, i + 1,
				    names[i], r.status);
			status = EX_UNAVAILABLE;
			break;
		default:
			advice = discord_advice(&r);
			fprintf(out, "webhook %s: %d/5 %s: refused by %s (%ld%s%s)"
			    "%s%s\n", wh->name, i + 1, names[i], wh->dw.shown,
			    r.status, r.message[0] != '\0' ? " " : "", r.message,
			    advice != NULL ? ": " : "", advice != NULL ? advice : "");
			status = 1;
			break;
		}
	}
done:
	for (int i = 0; i < 5; i++)
		free(payloads[i]);
	discord_client_destroy(dc);
	return status;
}

int
discord_send_test(const struct webhook *hooks, size_t n, FILE *out)
{
	int status = 0, st;

	for (size_t i = 0; i < n; i++) {
		if (hooks[i].dw.url == NULL) {
			fprintf(out, "webhook %s: no valid url\n", hooks[i].name);
			st = EX_CONFIG;
		} else
			st = test_one(&hooks[i], out);
		if (st != 0)
			fprintf(out, "webhook %s: FAILED\n", hooks[i].name);
		/* The worst wins: a configuration error, unreachable, refused. */
		if (st == EX_CONFIG || (st == EX_UNAVAILABLE && status != EX_CONFIG) ||
		    (st != 0 && status == 0))
			status = st;
	}
	return status;
}

/*
 * --test-discord runs in main's thread, in the foreground: Ctrl-C (SIGINT)
 * ends it at once with 130, SIGTERM with 143, as a shell expects.
 */
static void
test_discord_signal(int sig)
{
	_exit(128 + sig);
}

int
discord_test_run(const struct webhook *hooks, size_t n, FILE *out)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = test_discord_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return discord_send_test(hooks, n, out);
}

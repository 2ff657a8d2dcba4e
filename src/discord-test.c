/*
 * discord-test.c -- sipeatd --test-discord (SPEC section 5): builds the
 * five test messages (plain text, a rich embed and one embed per event
 * kind, made as the workers make them) and posts them one after the other
 * through discord.c's client, waiting as the rate-limit headers say.
 * Main thread only, before anything else is started.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <time.h>
#include <json-c/json.h>

#include "discord.h"
#include "embed.h"
#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

static json_object *
test_rich_embed(time_t now)
{
	json_object *e = json_object_new_object(), *fields, *f, *o;
	char ts[32];
	static const char *const rows[][2] = {
		{ "Version", "sipeatd " PACKAGE_VERSION },
		{ "Limits", "10 embeds, 6000 characters per message" },
		{ "Mentions", "@everyone is not pinged (allowed_mentions)" },
	};

	json_object_object_add(e, "title",
	    json_object_new_string("\xf0\x9f\xa7\xaa sipeatd test: rich embed"));
	json_object_object_add(e, "description", json_object_new_string(
	    "If you can read this, the webhook accepts embeds with fields, "
	    "a colour, a footer and a timestamp."));
	json_object_object_add(e, "color", json_object_new_int(5793266));
	fields = json_object_new_array();
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		f = json_object_new_object();
		json_object_object_add(f, "name", json_object_new_string(rows[i][0]));
		json_object_object_add(f, "value", json_object_new_string(rows[i][1]));
		json_object_object_add(f, "inline", json_object_new_boolean(1));
		json_object_array_add(fields, f);
	}
	json_object_object_add(e, "fields", fields);
	o = json_object_new_object();
	json_object_object_add(o, "text", json_object_new_string("sipeatd --test-discord"));
	json_object_object_add(e, "footer", o);
	embed_timestamp(now, ts, sizeof ts);
	json_object_object_add(e, "timestamp", json_object_new_string(ts));
	return e;
}

/* One event embed, as a worker would build it. */
static json_object *
test_event_embed(const char *type, const char *icon, const char *title,
    const char *data, const char *error, const char *id, time_t now)
{
	struct embed_event ee = { 0 };
	json_object *d = json_tokener_parse(data), *e;
	size_t chars;

	ee.type = type;
	ee.icon = icon;
	ee.title = title;
	ee.success = error == NULL;
	ee.error = error;
	ee.data = d;
	ee.event_id = id;
	ee.finished = now;
	e = embed_build(&ee, &chars);
	json_object_put(d);
	return e;
}

/* The five payloads, in order. Caller frees each. */
static void
test_payloads(char *out[5], const char *username, const char *avatar_url)
{
	time_t now = time(NULL);
	json_object *p, *am, *e;

	p = json_object_new_object();
	if (username != NULL && *username != '\0')
		json_object_object_add(p, "username", json_object_new_string(username));
	if (avatar_url != NULL && *avatar_url != '\0')
		json_object_object_add(p, "avatar_url", json_object_new_string(avatar_url));
	json_object_object_add(p, "content", json_object_new_string(
	    "sipeatd test message 1/5: plain text. Notifications from sipeatd "
	    "will appear in this channel."));
	am = json_object_new_object();
	json_object_object_add(am, "parse", json_object_new_array());
	json_object_object_add(p, "allowed_mentions", am);
	out[0] = xstrdup(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(p);

	e = test_rich_embed(now);
	out[1] = embed_payload(&e, 1, username, avatar_url);
	json_object_put(e);
	e = test_event_embed("contact.created", "\xf0\x9f\x93\x9d",
	    "New Contact Form Submission",
	    "{\"name\":\"John Doe\",\"email\":\"john@example.com\","
	    "\"phone\":\"+1234567890\",\"companyName\":\"Acme Inc\","
	    "\"message\":\"I'd like to inquire about your services\"}",
	    NULL, "test-contact-1", now);
	out[2] = embed_payload(&e, 1, username, avatar_url);
	json_object_put(e);
	e = test_event_embed("request.created", "\xf0\x9f\xa5\xa4",
	    "New Drink Request",
	    "{\"customerName\":\"Jane Smith\",\"drinkName\":\"Cola Zero\","
	    "\"machineId\":\"VM-001\",\"machineName\":\"Lobby\"}",
	    "Payment processing failed", "test-request-1", now);
	out[3] = embed_payload(&e, 1, username, avatar_url);
	json_object_put(e);
	e = test_event_embed("machine.created", "\xf0\x9f\x8f\xad",
	    "New Vending Machine",
	    "{\"machineId\":\"VM-002\",\"name\":\"Gym\",\"location\":"
	    "{\"address\":\"1 Main St\",\"latitude\":48.1,\"longitude\":11.5},"
	    "\"model\":\"SX-200\"}", NULL, "test-machine-1", now);
	out[4] = embed_payload(&e, 1, username, avatar_url);
	json_object_put(e);
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

int
discord_send_test(const struct discord_webhook *wh, const char *username,
    const char *avatar_url, FILE *out)
{
	static const char *const names[5] = {
		"plain text", "rich embed", "contact.created (success)",
		"request.created (failure)", "machine.created (success)",
	};
	struct discord_client *dc;
	struct discord_response r;
	char *payloads[5], err[256];
	int status = 0;
	unsigned seed = (unsigned)time(NULL);

	dc = discord_client_create(wh->url, 15000, err, sizeof err);
	if (dc == NULL) {
		fprintf(out, "sipeatd: %s\n", err);
		return 1;
	}
	test_payloads(payloads, username, avatar_url);
	for (int i = 0; i < 5 && status == 0; i++) {
		for (unsigned attempt = 1;; attempt++) {
			if (test_post(dc, payloads[i], &r) != 0) {
				fprintf(out, "%d/5 %s: cannot start the request to %s\n",
				    i + 1, names[i], wh->shown);
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
			fprintf(out, "%d/5 %s: accepted (%ld)\n", i + 1, names[i],
			    r.status);
			if (i < 4)
				sleep_ms(discord_wait_ms(&r));
			break;
		case DISCORD_RETRY:
			if (r.status == 0)
				fprintf(out, "%d/5 %s: webhook %s unreachable: %s\n",
				    i + 1, names[i], wh->shown, r.message);
			else
				fprintf(out, "%d/5 %s: Discord unavailable (%ld)\n",
				    i + 1, names[i], r.status);
			status = EX_UNAVAILABLE;
			break;
		default:
			fprintf(out, "%d/5 %s: refused by %s (%ld%s%s)\n", i + 1,
			    names[i], wh->shown, r.status,
			    r.message[0] != '\0' ? " " : "", r.message);
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

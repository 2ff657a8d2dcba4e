/*
 * publish-gen.c -- what sipeat-publish sends: the envelope of an event
 * built from a command's flags (contact, request, machine), a missing id
 * or timestamp spliced into a JSON line as text, and the Kafka key of an
 * event type.
 *
 * Random bytes for UUIDs come from getrandom() in blocks, and the
 * timestamp is formatted once a second: a million lines must load in well
 * under a minute. Single-threaded: the tool's main thread only.
 *
 * SPEC.md section 2 defines the envelope, the topics and the keys.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <json-c/json.h>

#include "publish.h"
#include "util.h"

/* Event types, their default topics and the data field used as key. */
static const struct event_type event_types[] = {
	{ "contact.created", "sipeat.contact.events", "email" },
	{ "request.created", "sipeat.request.events", "machineId" },
	{ "machine.created", "sipeat.machine.events", "machineId" },
};

struct rand_pool {
	unsigned char	buf[4096];
	size_t		used;
};

static struct rand_pool	rand_pool = { .used = sizeof rand_pool.buf };

/* JSON whitespace (RFC 8259); strchr() would also match the NUL. */
int
publish_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Parses s as one complete JSON text with tok.  Returns the new object (the
 * caller owns it; NULL is also the JSON null) and sets *ok to 1, or sets
 * *ok to 0 and *why to a static description.
 */
json_object *
publish_parse_json(json_tokener *tok, const char *s, size_t len, int *ok,
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
		if (!publish_is_blank(s[end])) {
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
void
publish_uuid_v4(char out[37])
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
const char *
publish_timestamp_now(void)
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

const struct event_type *
publish_find_type(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof event_types / sizeof *event_types; i++) {
		if (strcmp(event_types[i].type, type) == 0)
			return &event_types[i];
	}
	return NULL;
}

/*
 * Returns the key for event obj of type et: data.<key> as a string (owned
 * by obj), or NULL when it is absent or not a scalar.
 */
const char *
publish_event_key(json_object *obj, const struct event_type *et)
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
size_t
publish_splice_envelope(char **bufp, size_t *capp, const char *s, size_t len,
    int has_id, int has_ts)
{
	char head[sizeof "{\"id\":\"\",\"timestamp\":\"\"," + 36 + 20];
	char uuid[37];
	size_t hlen, skip;
	int n;

	for (skip = 0; publish_is_blank(s[skip]); skip++)
		;
	skip++;		/* the "{" */
	if (!has_id)
		publish_uuid_v4(uuid);
	n = snprintf(head, sizeof head, "{%s%s%s%s%s%s",
	    has_id ? "" : "\"id\":\"", has_id ? "" : uuid,
	    has_id ? "" : "\",",
	    has_ts ? "" : "\"timestamp\":\"",
	    has_ts ? "" : publish_timestamp_now(),
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
 * Parses a --field or number value: JSON when it is one complete JSON
 * text, else a string.  Returns a new object.
 */
static json_object *
field_value(json_tokener *tok, const char *s)
{
	json_object *obj;
	const char *why;
	int ok;

	obj = publish_parse_json(tok, s, strlen(s), &ok, &why);
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

	obj = publish_parse_json(tok, s, strlen(s), &ok, &why);
	if (ok && json_object_is_type(obj, json_type_int))
		return obj;
	if (ok && !want_int && json_object_is_type(obj, json_type_double))
		return obj;
	json_object_put(obj);
	fprintf(stderr, "sipeat-publish: --%s: expected %s, got \"%s\"\n", opt,
	    want_int ? "an integer" : "a number", s);
	publish_usage(stderr);
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
json_object *
publish_build_event(int argc, char **argv, const char *topic_arg,
    const char **topicp, const char **keyp)
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
		publish_usage_error("unknown command \"%s\"", argv[0]);

	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	extra = json_object_new_object();
	*topicp = topic_arg;
	optind = 0;	/* GNU: start over on the new argv */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, &li)) != -1) {
		if (ch == '?' || ch == ':')
			publish_usage_error(ch == ':' ?
			    "option \"%s\" needs a value" :
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
				publish_usage_error("--field \"%s\": expected "
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
			publish_usage_error("%s takes no --%s", argv[0],
			    longopts[li].name);
		values[ch - OPT_ADDRESS] = optarg;
	}
	if (optind != argc)
		publish_usage_error("unexpected argument \"%s\"", argv[optind]);

	data = json_object_new_object();
	for (f = cmd->flags; f->name != NULL; f++) {
		const char *v = values[f->opt - OPT_ADDRESS];

		if (v == NULL) {
			if (f->required)
				publish_usage_error("%s needs --%s", argv[0],
				    f->name);
			continue;
		}
		if (f->required && *v == '\0')
			publish_usage_error("--%s must not be empty", f->name);
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
		publish_uuid_v4(uuid);
		id = uuid;
	}
	json_object_object_add(env, "id", json_object_new_string(id));
	json_object_object_add(env, "type", json_object_new_string(cmd->type));
	json_object_object_add(env, "timestamp",
	    json_object_new_string(publish_timestamp_now()));
	json_object_object_add(env, "data", data);

	et = publish_find_type(cmd->type);
	if (*topicp == NULL)
		*topicp = et->topic;
	*keyp = publish_event_key(env, et);
	return env;
}


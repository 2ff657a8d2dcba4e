/*
 * check_embed.c -- tests for embed.c: the exact embeds of SPEC section 4
 * for a success, a failure and an invalid event, humanized names, nested
 * flattening, every Discord limit with multibyte text at the cut points,
 * the 25-field and 6000-character rules, payloads and digests. Lengths are
 * UTF-16 code units, as discord.js counts (issue 9 item 13), checked with
 * a counter written here, independent of utf8.c. Control characters and
 * U+0000 show as U+FFFD, never cutting a value short (item 11).
 *
 * embed.c has one serializer, its own JSON writer; json-c is the oracle
 * here: every embed is parsed with json-c's strict tokener, must be
 * exactly what json-c writes back for the parsed tree (compact, escaped as
 * JSON requires), must have the members of SPEC section 4 in order and
 * every Discord limit (counted here, in UTF-16 units, with textcheck.h).
 * The synthetic embeds (digest, overflow, grouped failures, embed_write())
 * are checked byte for byte.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "embed.h"
#include "notify-core.h"
#include "notify-group.h"
#include "textcheck.h"
#include "util.h"

#define EMOJI	"\xf0\x9f\x98\x80"	/* U+1F600, 4 bytes */
#define CJK	"\xe6\xbc\xa2"		/* U+6F22, 3 bytes */
#define ACUTE	"\xcc\x81"		/* U+0301 combining acute, 2 bytes */
#define E_ACUTE	("e" ACUTE)		/* e + combining acute: 2 code points */
#define ELLIPSIS "\xe2\x80\xa6"		/* "…" */
#define DASH	"\xe2\x80\x94"		/* "—" */
#define REPL	"\xef\xbf\xbd"		/* U+FFFD */

static const char *
str_at(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static size_t
nfields(json_object *e)
{
	json_object *f;

	ck_assert(json_object_object_get_ex(e, "fields", &f));
	return json_object_array_length(f);
}

static json_object *
field(json_object *e, size_t i)
{
	json_object *f;

	ck_assert(json_object_object_get_ex(e, "fields", &f));
	ck_assert_uint_lt(i, json_object_array_length(f));
	return json_object_array_get_idx(f, i);
}

static const char *
fname(json_object *e, size_t i)
{
	return str_at(field(e, i), "name");
}

static const char *
fvalue(json_object *e, size_t i)
{
	return str_at(field(e, i), "value");
}

static const char *
footer(json_object *e)
{
	json_object *f;

	if (!json_object_object_get_ex(e, "footer", &f))
		return NULL;
	return str_at(f, "text");
}

/*
 * Discord's count, done here independently: title, description, field
 * names and values, footer text. Also checks every string is valid UTF-8
 * and every per-part limit holds.
 */
static size_t
discord_chars(json_object *e)
{
	const char *s;
	size_t n = 0, i;

	s = str_at(e, "title");
	ck_assert_ptr_nonnull(s);
	ck_assert(text_utf8_strict(s, strlen(s)));
	ck_assert(!text_has_control(s));
	ck_assert_uint_le(text_units16(s), EMBED_MAX_TITLE);
	n += text_units16(s);
	s = str_at(e, "description");
	if (s != NULL) {
		ck_assert(text_utf8_strict(s, strlen(s)));
		ck_assert_uint_le(text_units16(s), EMBED_MAX_DESC);
		n += text_units16(s);
	}
	s = footer(e);
	if (s != NULL) {
		ck_assert(text_utf8_strict(s, strlen(s)));
		ck_assert_uint_le(text_units16(s), EMBED_MAX_FOOTER);
		n += text_units16(s);
	}
	ck_assert_uint_le(nfields(e), EMBED_MAX_FIELDS);
	for (i = 0; i < nfields(e); i++) {
		ck_assert(text_utf8_strict(fname(e, i), strlen(fname(e, i))));
		ck_assert(text_utf8_strict(fvalue(e, i), strlen(fvalue(e, i))));
		ck_assert(!text_has_control(fname(e, i)));
		ck_assert(!text_has_control(fvalue(e, i)));
		ck_assert_uint_ge(text_units16(fname(e, i)), 1);
		ck_assert_uint_ge(text_units16(fvalue(e, i)), 1);
		ck_assert_uint_le(text_units16(fname(e, i)), EMBED_MAX_FIELD_NAME);
		ck_assert_uint_le(text_units16(fvalue(e, i)), EMBED_MAX_FIELD_VALUE);
		n += text_units16(fname(e, i)) + text_units16(fvalue(e, i));
	}
	return n;
}

/*
 * The oracle for one embed as the writer made it: json-c's strict parse
 * takes all of it; json-c writes the parsed tree back to the same bytes
 * (so the writer's escaping and layout are plain compact JSON); the
 * members are title, description (optional), color, fields, footer
 * (optional), timestamp, in that order, each field exactly name, value,
 * inline; the timestamp is RFC 3339 UTC; every limit holds and chars is
 * Discord's count. Returns the parsed embed (caller puts it).
 */
static json_object *
oracle(const char *json, size_t chars)
{
	static const char *const order[] = { "title", "description", "color",
	    "fields", "footer", "timestamp" };
	struct json_tokener *tok;
	json_object *e, *f, *v;
	const char *back;
	size_t len = strlen(json), i, k = 0, n;
	int year, mon, day, h, m, sec;
	char z;

	ck_assert(text_utf8_strict(json, len));
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	e = json_tokener_parse_ex(tok, json, (int)len);
	ck_assert_msg(e != NULL, "not JSON: %s", json);
	ck_assert_uint_eq(json_tokener_get_parse_end(tok), len);
	json_tokener_free(tok);
	ck_assert(json_object_is_type(e, json_type_object));
	back = json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	ck_assert_msg(strcmp(back, json) == 0, "not canonical:\n writer: %s\n"
	    " json-c: %s", json, back);

	json_object_object_foreach(e, key, val) {
		while (k < 6 && strcmp(order[k], key) != 0)
			k++;
		ck_assert_msg(k < 6, "member %s out of place", key);
		(void)val;
	}
	ck_assert(json_object_object_get_ex(e, "title", &v));
	ck_assert(json_object_is_type(v, json_type_string));
	ck_assert(json_object_object_get_ex(e, "color", &v));
	ck_assert(json_object_is_type(v, json_type_int));
	ck_assert(json_object_object_get_ex(e, "fields", &f));
	ck_assert(json_object_is_type(f, json_type_array));
	n = json_object_array_length(f);
	for (i = 0; i < n; i++) {
		json_object *fi = json_object_array_get_idx(f, i);

		ck_assert(json_object_is_type(fi, json_type_object));
		ck_assert_int_eq(json_object_object_length(fi), 3);
		ck_assert(json_object_object_get_ex(fi, "name", &v));
		ck_assert(json_object_is_type(v, json_type_string));
		ck_assert(json_object_object_get_ex(fi, "value", &v));
		ck_assert(json_object_is_type(v, json_type_string));
		ck_assert(json_object_object_get_ex(fi, "inline", &v));
		ck_assert(json_object_is_type(v, json_type_boolean));
	}
	if (json_object_object_get_ex(e, "description", &v))
		ck_assert(json_object_is_type(v, json_type_string));
	if (json_object_object_get_ex(e, "footer", &v)) {
		ck_assert_int_eq(json_object_object_length(v), 1);
		ck_assert(json_object_object_get_ex(v, "text", &v));
		ck_assert(json_object_is_type(v, json_type_string));
	}
	ck_assert(json_object_object_get_ex(e, "timestamp", &v));
	ck_assert_int_eq(sscanf(json_object_get_string(v), "%4d-%2d-%2dT%2d:%2d:%2d%c",
	    &year, &mon, &day, &h, &m, &sec, &z), 7);
	ck_assert_int_eq(z, 'Z');
	ck_assert_uint_eq(json_object_get_string_len(v), 20);
	ck_assert_uint_eq(chars, discord_chars(e));
	ck_assert_uint_le(chars, EMBED_MAX_TOTAL);
	return e;
}

/* Builds an event's embed and checks it with the oracle. */
static json_object *
build(const struct embed_event *in)
{
	json_object *e;
	size_t chars = 0;
	char *json;

	json = embed_build_json(in, &chars);
	ck_assert_ptr_nonnull(json);
	e = oracle(json, chars);
	free(json);
	return e;
}

/* Asserts the field list is exactly names[i]: values[i]. */
static void
assert_fields(json_object *e, const char *const *names,
    const char *const *values, size_t n)
{
	size_t i;

	ck_assert_uint_eq(nfields(e), n);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(fname(e, i), names[i]);
		ck_assert_str_eq(fvalue(e, i), values[i]);
	}
}

static char *
repeat(const char *unit, size_t times)
{
	size_t len = strlen(unit), i;
	char *s = xmalloc(len * times + 1);

	for (i = 0; i < times; i++)
		memcpy(s + i * len, unit, len);
	s[len * times] = '\0';
	return s;
}

static json_object *
parse(const char *json)
{
	json_object *o = json_tokener_parse(json);

	ck_assert_ptr_nonnull(o);
	return o;
}

START_TEST(test_contact_success)
{
	static const char *const names[] = { "Name", "Email", "Phone",
	    "Company Name", "Message", "Event ID" };
	static const char *const values[] = { "John Doe", "john@example.com",
	    "+1234567890", "Acme Inc", "I'd like to inquire about your services",
	    "3f0c-11" };
	json_object *data, *e, *v;
	struct embed_event in;

	data = parse("{\"name\":\"John Doe\",\"email\":\"john@example.com\","
	    "\"phone\":\"+1234567890\",\"companyName\":\"Acme Inc\","
	    "\"message\":\"I'd like to inquire about your services\"}");
	memset(&in, 0, sizeof in);
	in.type = "contact.created";
	in.icon = "📝";
	in.title = "New Contact Form Submission";
	in.success = 1;
	in.data = data;
	in.event_id = "3f0c-11";
	in.finished = 1689431445;
	e = build(&in);
	ck_assert_str_eq(str_at(e, "title"), "📝 contact.created event processed");
	ck_assert_str_eq(str_at(e, "description"), "📝 New Contact Form Submission");
	ck_assert(json_object_object_get_ex(e, "color", &v));
	ck_assert_int_eq(json_object_get_int(v), 3066993);
	ck_assert_str_eq(footer(e), "✅ Successfully processed");
	ck_assert_str_eq(str_at(e, "timestamp"), "2023-07-15T14:30:45Z");
	assert_fields(e, names, values, 6);
	json_object_put(e);
	json_object_put(data);
}
END_TEST

START_TEST(test_request_failure)
{
	static const char *const names[] = { "Customer Name", "Drink Name",
	    "Machine ID", "Machine Name", "Customer Email", "Quantity", "Price",
	    "Paid", "Options", "Error", "Event ID" };
	static const char *const values[] = { "Ann", "Latte", "m-1", "Lobby",
	    "ann@example.com", "2", "3.50", "false", "[\"oat\",\"hot\"]",
	    "stage charge: HTTP 502 Bad Gateway", "sipeat.request.events/0/17" };
	json_object *data, *e, *v;
	struct embed_event in;

	data = parse("{\"customerName\":\"Ann\",\"drinkName\":\"Latte\","
	    "\"machineId\":\"m-1\",\"machineName\":\"Lobby\","
	    "\"customerEmail\":\"ann@example.com\",\"quantity\":2,\"price\":3.50,"
	    "\"paid\":false,\"options\":[\"oat\",\"hot\"]}");
	memset(&in, 0, sizeof in);
	in.type = "request.created";
	in.icon = "🥤";
	in.title = "New Drink Request";
	in.success = 0;
	in.error = "stage charge: HTTP 502 Bad Gateway";
	in.data = data;
	in.event_id = "sipeat.request.events/0/17";
	in.finished = 0;
	e = build(&in);
	ck_assert_str_eq(str_at(e, "title"), "🥤 request.created event failed");
	ck_assert_str_eq(str_at(e, "description"), "🥤 New Drink Request");
	ck_assert(json_object_object_get_ex(e, "color", &v));
	ck_assert_int_eq(json_object_get_int(v), 15158332);
	ck_assert_str_eq(footer(e), "❌ Processing failed");
	ck_assert_str_eq(str_at(e, "timestamp"), "1970-01-01T00:00:00Z");
	assert_fields(e, names, values, 11);
	/* Short values sit inline, the error never does. */
	ck_assert(json_object_object_get_ex(field(e, 0), "inline", &v));
	ck_assert_int_eq(json_object_get_boolean(v), 1);
	ck_assert(json_object_object_get_ex(field(e, 9), "inline", &v));
	ck_assert_int_eq(json_object_get_boolean(v), 0);
	json_object_put(e);
	json_object_put(data);
}
END_TEST

START_TEST(test_invalid_event)
{
	static const char *const names[] = { "Error", "Event ID" };
	static const char *const values[] = { "not valid JSON: unexpected character",
	    "sipeat.contact.events/1/5" };
	struct embed_event in;
	json_object *e;

	memset(&in, 0, sizeof in);
	in.type = "invalid";
	in.icon = "⚠️";
	in.title = "Invalid event";
	in.error = "not valid JSON: unexpected character";
	in.event_id = "sipeat.contact.events/1/5";
	e = build(&in);
	ck_assert_str_eq(str_at(e, "title"), "⚠️ invalid event failed");
	ck_assert_str_eq(str_at(e, "description"), "⚠️ Invalid event");
	ck_assert_str_eq(footer(e), "❌ Processing failed");
	assert_fields(e, names, values, 2);
	json_object_put(e);
}
END_TEST

START_TEST(test_nested_flattening)
{
	static const char *const names[] = { "Machine ID", "Name", "Location Address",
	    "Location Latitude", "Location Longitude", "Location Geo Zone ID", "Model",
	    "Meta", "Capacity", "List", "Arr", "Event ID" };
	static const char *const values[] = { "m-7", "Lobby", "1 Main St", "52.5200",
	    "13.405", "z1", "X1", DASH, "40", DASH, "[1,{\"a/b\":null}]", "e1" };
	json_object *data, *e;
	struct embed_event in;

	data = parse("{\"machineId\":\"m-7\",\"name\":\"Lobby\",\"location\":"
	    "{\"address\":\"1 Main St\",\"latitude\":52.5200,\"longitude\":13.405,"
	    "\"geo\":{\"zone_id\":\"z1\"}},\"model\":\"X1\",\"meta\":{},\"capacity\":40,\"list\":[],"
	    "\"arr\":[1,{\"a/b\":null}]}");
	memset(&in, 0, sizeof in);
	in.type = "machine.created";
	in.icon = "🏭";
	in.title = "New Machine";
	in.success = 1;
	in.data = data;
	in.event_id = "e1";
	e = build(&in);
	ck_assert_str_eq(str_at(e, "title"), "🏭 machine.created event processed");
	assert_fields(e, names, values, 12);
	json_object_put(e);
	json_object_put(data);
}
END_TEST

START_TEST(test_empty_values)
{
	static const char *const names[] = { "A", "B", "C", DASH, "Error", "Event ID" };
	static const char *const values[] = { DASH, DASH, DASH, "x", DASH, DASH };
	json_object *data, *e;
	struct embed_event in;

	data = parse("{\"a\":\"\",\"b\":null,\"c\":\" \\t\\n\",\"\":\"x\"}");
	memset(&in, 0, sizeof in);
	in.type = "t";
	in.success = 0;
	in.error = "";
	in.data = data;
	in.event_id = NULL;
	e = build(&in);
	/* No icon: no leading space; no handler title: the type. */
	ck_assert_str_eq(str_at(e, "title"), "t event failed");
	ck_assert_str_eq(str_at(e, "description"), "t");
	assert_fields(e, names, values, 6);
	json_object_put(e);
	json_object_put(data);
}
END_TEST

START_TEST(test_invalid_utf8_replaced)
{
	struct embed_event in;
	json_object *data, *e;

	/* json-c can carry bad bytes when built by hand rather than parsed. */
	data = json_object_new_object();
	json_object_object_add(data, "bad\xff", json_object_new_string("a\xc0\xafz\xe2\x82"));
	memset(&in, 0, sizeof in);
	in.type = "t\xed\xa0\x80";
	in.success = 1;
	in.data = data;
	in.event_id = "id\x80";
	e = build(&in);
	ck_assert_str_eq(str_at(e, "title"), "t\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd event processed");
	ck_assert_str_eq(fname(e, 0), "Bad\xef\xbf\xbd");
	ck_assert_str_eq(fvalue(e, 0), "a\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(fvalue(e, 1), "id\xef\xbf\xbd");
	json_object_put(e);
	json_object_put(data);
}
END_TEST

START_TEST(test_humanize)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "companyName", "Company Name" },
		{ "machineId", "Machine ID" },
		{ "customerEmail", "Customer Email" },
		{ "machineID", "Machine ID" },
		{ "machineIDs", "Machine IDs" },
		{ "machine_id", "Machine ID" },
		{ "drink-name", "Drink Name" },
		{ "id", "ID" },
		{ "Id", "ID" },
		{ "_id", "ID" },
		{ "avatarUrl", "Avatar URL" },
		{ "api_key", "API Key" },
		{ "requestUUID", "Request UUID" },
		{ "HTTPServer", "HTTP Server" },
		{ "getHTTPResponseCode", "Get HTTP Response Code" },
		{ "address2", "Address2" },
		{ "line2Text", "Line2 Text" },
		{ "sha256Sum", "Sha256 Sum" },
		{ "EMAIL_ADDRESS", "EMAIL ADDRESS" },
		{ "latitude", "Latitude" },
		{ "__double__under", "Double Under" },
		{ "a b", "A B" },
		{ "idle", "Idle" },
		{ "caf\xc3\xa9Name", "Caf\xc3\xa9Name" },
		{ "", "" },
	};
	size_t i, round;
	char *h, key[40];

	/* Twice: the second round answers from the per-thread cache. */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			h = embed_humanize(cases[i].in);
			ck_assert_msg(strcmp(h, cases[i].out) == 0,
			    "%s -> \"%s\", want \"%s\"", cases[i].in, h,
			    cases[i].out);
			free(h);
		}
	}
	/* Many keys share the cache's slots: each still gets its own name. */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 500; i++) {
			char want[48];

			snprintf(key, sizeof key, "field%zuName", i);
			snprintf(want, sizeof want, "Field%zu Name", i);
			h = embed_humanize(key);
			ck_assert_str_eq(h, want);
			free(h);
		}
	}
	/* Longer than the cache keeps: humanized all the same. */
	h = embed_humanize("aVeryLongFieldNameThatGoesOnAndOnForAWhile");
	ck_assert_str_eq(h, "A Very Long Field Name That Goes On And On For A While");
	free(h);
}
END_TEST

/*
 * Checks that t is s cut to max UTF-16 units: valid UTF-8, a prefix of s
 * on a character boundary, then "…", max units in all, or max - 1 when
 * the next character of s is a surrogate pair that did not fit.
 */
static void
assert_cut(const char *t, const char *s, size_t max)
{
	size_t tl = strlen(t), pl, next;
	char *prefix;

	ck_assert(text_utf8_strict(t, strlen(t)));
	ck_assert_uint_ge(tl, 3);
	ck_assert_str_eq(t + tl - 3, ELLIPSIS);
	pl = tl - 3;
	ck_assert_int_eq(strncmp(t, s, pl), 0);
	prefix = xstrndup(s, pl);
	ck_assert(text_utf8_strict(prefix, strlen(prefix)));	/* no sequence split */
	free(prefix);
	ck_assert_uint_le(text_units16(t), max);
	if (text_units16(t) < max) {
		/* Only a pair may have been left out: it needed 2 units. */
		ck_assert_uint_eq(text_units16(t), max - 1);
		next = (unsigned char)s[pl];
		ck_assert_uint_ge(next, 0xf0);
	}
}

/* embed_text() of a NUL-free literal. */
static char *
embed_text_lit(const char *s, size_t max)
{
	return embed_text(s, strlen(s), max);
}

/* Cuts unit*times to max; checks validity, length and the tail. */
static void
check_cut(const char *unit, size_t times, size_t max, int cut)
{
	char *s = repeat(unit, times), *t;

	t = embed_text(s, strlen(s), max);
	ck_assert(text_utf8_strict(t, strlen(t)));
	if (cut)
		assert_cut(t, s, max);
	else
		ck_assert_str_eq(t, s);
	free(t);
	free(s);
}

START_TEST(test_embed_text)
{
	static const char *const units[] = { "a", EMOJI, CJK, E_ACUTE, ("a" EMOJI CJK) };
	static const size_t maxes[] = { 1, 2, 256, 1024, 2048, 4096 };
	size_t i, j, m, ulen;
	char *t;

	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		ulen = text_units16(units[i]);
		for (j = 0; j < sizeof maxes / sizeof maxes[0]; j++) {
			m = maxes[j];
			/* At the limit (when units fit evenly): unchanged. */
			if (m % ulen == 0)
				check_cut(units[i], m / ulen, m, 0);
			/* One over and far over: cut to m (m - 1 for a pair). */
			check_cut(units[i], m / ulen + 1, m, 1);
			check_cut(units[i], m + 7, m, 1);
		}
	}
	/* Cut between a base letter and its combining mark. */
	t = embed_text_lit("ab" "e" ACUTE "cd", 4);
	ck_assert_str_eq(t, "abe" ELLIPSIS);
	free(t);
	t = embed_text_lit("abcd", 4);
	ck_assert_str_eq(t, "abcd");
	free(t);
	t = embed_text_lit("abcde", 4);
	ck_assert_str_eq(t, "abc" ELLIPSIS);
	free(t);
	t = embed_text_lit("ab", 1);
	ck_assert_str_eq(t, ELLIPSIS);
	free(t);
	t = embed_text_lit("", 10);
	ck_assert_str_eq(t, DASH);
	free(t);
	t = embed_text_lit("abc", 0);
	ck_assert_str_eq(t, "");
	free(t);
	/* Bad bytes become U+FFFD, one per byte, and count as such. */
	t = embed_text_lit("a\xff\xe2\x82z", 10);
	ck_assert_str_eq(t, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
	free(t);
	t = embed_text_lit("\xff\xff\xff\xff", 3);
	ck_assert_str_eq(t, "\xef\xbf\xbd\xef\xbf\xbd" ELLIPSIS);
	free(t);
}
END_TEST

/* An event embed with a type (title), a handler title and one field. */
static json_object *
build_with(const char *type, const char *title, const char *key, const char *value)
{
	struct embed_event in;
	json_object *data, *e;

	data = json_object_new_object();
	json_object_object_add(data, key, json_object_new_string(value));
	memset(&in, 0, sizeof in);
	in.type = type;
	in.icon = "📝";
	in.title = title;
	in.success = 1;
	in.data = data;
	in.event_id = "id";
	e = build(&in);
	json_object_put(data);
	return e;
}

START_TEST(test_embed_part_limits)
{
	static const char *const units[] = { "a", EMOJI, CJK, E_ACUTE };
	/* "📝 " + type + " event processed": 3 + 16 units around the type. */
	const size_t title_extra = 3 + strlen(" event processed");
	size_t i, n;
	char *s, *t, *full;
	json_object *e;

	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		n = text_units16(units[i]);
		/* Title: exactly at the limit, then over. */
		if ((EMBED_MAX_TITLE - title_extra) % n == 0) {
			s = repeat(units[i], (EMBED_MAX_TITLE - title_extra) / n);
			e = build_with(s, "T", "k", "v");
			ck_assert_uint_eq(text_units16(str_at(e, "title")), EMBED_MAX_TITLE);
			ck_assert_ptr_null(strstr(str_at(e, "title"), ELLIPSIS));
			json_object_put(e);
			free(s);
		}
		s = repeat(units[i], EMBED_MAX_TITLE);
		e = build_with(s, "T", "k", "v");
		full = xasprintf("📝 %s event processed", s);
		assert_cut(str_at(e, "title"), full, EMBED_MAX_TITLE);
		json_object_put(e);
		free(full);
		free(s);

		/* Description "📝 " + title. */
		if ((EMBED_MAX_DESC - 3) % n == 0) {
			s = repeat(units[i], (EMBED_MAX_DESC - 3) / n);
			e = build_with("t", s, "k", "v");
			ck_assert_uint_eq(text_units16(str_at(e, "description")), EMBED_MAX_DESC);
			ck_assert_ptr_null(strstr(str_at(e, "description"), ELLIPSIS));
			json_object_put(e);
			free(s);
		}
		s = repeat(units[i], EMBED_MAX_DESC / n + 1);
		e = build_with("t", s, "k", "v");
		full = xasprintf("📝 %s", s);
		assert_cut(str_at(e, "description"), full, EMBED_MAX_DESC);
		json_object_put(e);
		free(full);
		free(s);

		/* Field name: keys have no capitals to change here. */
		/* Not "a" nor "e": humanizing capitalises them. */
		if ((i == 1 || i == 2) && EMBED_MAX_FIELD_NAME % n == 0) {
			s = repeat(units[i], EMBED_MAX_FIELD_NAME / n);
			e = build_with("t", "T", s, "v");
			ck_assert_str_eq(fname(e, 0), s);
			json_object_put(e);
			free(s);
		}
		s = repeat(units[i], EMBED_MAX_FIELD_NAME / n + 1);
		e = build_with("t", "T", s, "v");
		t = (char *)fname(e, 0);
		if (i == 1 || i == 2)
			assert_cut(t, s, EMBED_MAX_FIELD_NAME);
		ck_assert_uint_le(text_units16(t), EMBED_MAX_FIELD_NAME);
		ck_assert_uint_ge(text_units16(t), EMBED_MAX_FIELD_NAME - 1);
		ck_assert_str_eq(t + strlen(t) - 3, ELLIPSIS);
		json_object_put(e);
		free(s);

		/* Field value. */
		if (EMBED_MAX_FIELD_VALUE % n == 0) {
			s = repeat(units[i], EMBED_MAX_FIELD_VALUE / n);
			e = build_with("t", "T", "k", s);
			ck_assert_str_eq(fvalue(e, 0), s);
			json_object_put(e);
			free(s);
		}
		s = repeat(units[i], EMBED_MAX_FIELD_VALUE / n + 1);
		e = build_with("t", "T", "k", s);
		t = (char *)fvalue(e, 0);
		assert_cut(t, s, EMBED_MAX_FIELD_VALUE);
		json_object_put(e);
		free(s);
	}
	/* The footer is fixed text; its limit is embed_text()'s, above. */
}
END_TEST

/*
 * Issue 9 item 13: discord.js counts UTF-16 units, so 1,024 emoji are
 * 2,048 of a value's 1,024. Exactly at the limit (512 emoji) the value is
 * kept whole; one over, it is cut without splitting a pair.
 */
START_TEST(test_emoji_field_value_limit)
{
	struct embed_event in;
	json_object *e;
	char *s, *want;
	size_t chars;

	s = repeat(EMOJI, 512);
	e = build_with("t", "T", "k", s);
	ck_assert_str_eq(fvalue(e, 0), s);
	ck_assert_uint_eq(text_units16(fvalue(e, 0)), 1024);
	json_object_put(e);
	free(s);

	/* 513 emoji: 511 kept (1,022 units) and "…": 1,023, no half pair. */
	s = repeat(EMOJI, 513);
	e = build_with("t", "T", "k", s);
	want = repeat(EMOJI, 511);
	want = xrealloc(want, 511 * 4 + sizeof ELLIPSIS);
	strcpy(want + 511 * 4, ELLIPSIS);
	ck_assert_str_eq(fvalue(e, 0), want);
	ck_assert_uint_eq(text_units16(fvalue(e, 0)), 1023);
	json_object_put(e);
	free(want);
	free(s);

	/* The issue's 2,047-unit value. */
	s = repeat(EMOJI, 1023);
	e = build_with("t", "T", "k", s);
	ck_assert_uint_le(text_units16(fvalue(e, 0)), EMBED_MAX_FIELD_VALUE);
	json_object_put(e);
	free(s);

	/* Mixed text: the cut never lands inside the pair. */
	s = repeat("x", 1022);
	s = xrealloc(s, 1022 + 4 + 2);
	strcpy(s + 1022, EMOJI "y");
	e = build_with("t", "T", "k", s);
	want = repeat("x", 1022);
	want = xrealloc(want, 1022 + 4);
	strcpy(want + 1022, ELLIPSIS);
	ck_assert_str_eq(fvalue(e, 0), want);
	json_object_put(e);
	free(want);
	free(s);

	/* Emoji field names: 128 fit the 256, 129 do not. */
	s = repeat(EMOJI, 128);
	e = build_with("t", "T", s, "v");
	ck_assert_str_eq(fname(e, 0), s);
	json_object_put(e);
	free(s);
	s = repeat(EMOJI, 129);
	e = build_with("t", "T", s, "v");
	ck_assert_uint_eq(text_units16(fname(e, 0)), 255);
	assert_cut(fname(e, 0), s, EMBED_MAX_FIELD_NAME);
	json_object_put(e);
	free(s);

	/* The count handed to the notifier is in UTF-16 units too. */
	memset(&in, 0, sizeof in);
	in.type = "t";
	in.icon = "📝";
	in.title = "T";
	in.success = 1;
	in.event_id = "id";
	in.data = json_object_new_object();
	json_object_object_add(in.data, "k", json_object_new_string(
	    s = repeat(EMOJI, 100)));
	free(embed_build_json(&in, &chars));
	ck_assert_uint_eq(chars, 20 + 4 + 24 + 1 + 200 + 8 + 2);
	ck_assert_uint_eq(chars, text_units16("📝 t event processed") + text_units16("📝 T") +
	    text_units16("✅ Successfully processed") + text_units16("K") + text_units16(s) +
	    text_units16("Event ID") + text_units16("id"));
	json_object_put(in.data);
	free(s);
}
END_TEST

/*
 * Issue 9 items 11 and 13: a message of emoji-heavy fields. In code
 * points ten values of 500 emoji are 5,000 and would pass; in UTF-16
 * units they are 10,000, over the 6,000 of a message: the embed must be
 * shortened and report its size in UTF-16 units, which the notifier adds
 * up per message.
 */
START_TEST(test_total_limit_utf16)
{
	json_object *data, *e;
	struct embed_event in;
	char key[16], *big, *json;
	size_t i, c1;

	big = repeat(EMOJI, 500);
	data = json_object_new_object();
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof key, "f%zu", i);
		json_object_object_add(data, key, json_object_new_string(big));
	}
	memset(&in, 0, sizeof in);
	in.type = "request.created";
	in.icon = "🥤";
	in.title = "New Drink Request";
	in.success = 1;
	in.data = data;
	in.event_id = "ev";
	e = build(&in);		/* checks the count against text_units16() */
	json = embed_build_json(&in, &c1);
	ck_assert_uint_eq(c1, discord_chars(e));
	ck_assert_uint_le(c1, EMBED_MAX_TOTAL);
	ck_assert_uint_ge(c1, EMBED_MAX_TOTAL - 20);
	for (i = 0; i < 10; i++) {
		/* Shortened evenly, each cut on a pair boundary. */
		ck_assert_uint_eq(strlen(fvalue(e, i)), strlen(fvalue(e, 0)));
		ck_assert_uint_lt(text_units16(fvalue(e, i)), 1000);
	}
	free(json);
	json_object_put(e);
	json_object_put(data);
	free(big);
}
END_TEST

/*
 * Issue 9 item 11: "before\u0000after" showed as "before". U+0000 and the
 * other control characters show as U+FFFD and the rest is kept; tab and
 * newline stay. The same through both writers.
 */
START_TEST(test_nul_and_controls_in_values)
{
	static const char *const names[] = { "A", "B", "C", "D", "Event ID" };
	static const char *const values[] = {
		"before" REPL "after",
		"line 1\nline 2\tend",
		"x" REPL "y" REPL "z" REPL "w" REPL "v",
		REPL,
		"e1",
	};
	struct embed_event in;
	json_object *data, *e;
	char *got, *want;

	data = parse("{\"a\":\"before\\u0000after\",\"b\":\"line 1\\nline 2\\tend\","
	    "\"c\":\"x\\u001by\\u007fz\\u0085w\\rv\",\"d\":\"\\u0000\"}");
	ck_assert_int_eq(json_object_get_string_len(
	    json_object_object_get(data, "a")), 12);
	memset(&in, 0, sizeof in);
	in.type = "t";
	in.success = 1;
	in.data = data;
	in.event_id = "e1";
	e = build(&in);
	assert_fields(e, names, values, 5);
	got = embed_build_json(&in, NULL);
	/* Tab and newline kept, written as JSON's short escapes. */
	ck_assert_ptr_nonnull(strstr(got, "\"line 1\\nline 2\\tend\""));
	ck_assert_ptr_nonnull(strstr(got, "\"before" REPL "after\""));
	free(got);
	json_object_put(e);
	json_object_put(data);

	/* A NUL right at the cut point of a long value. */
	got = xmalloc(2000);
	memset(got, 'x', 2000);
	got[1022] = '\0';
	want = embed_text(got, 2000, EMBED_MAX_FIELD_VALUE);
	ck_assert_uint_eq(strlen(want), 1022 + 3 + 3);
	ck_assert_int_eq(memcmp(want + 1022, REPL ELLIPSIS, 6), 0);
	free(want);
	free(got);
}
END_TEST

START_TEST(test_payload_username_utf16)
{
	char *p, *name;
	json_object *o, *v;

	/* 60 emoji: 120 units; Discord's 80 is 39 emoji and "…". */
	name = repeat(EMOJI, 60);
	p = embed_payload_json(NULL, 0, name, NULL);
	o = parse(p);
	ck_assert(json_object_object_get_ex(o, "username", &v));
	ck_assert_uint_le(text_units16(json_object_get_string(v)), 80);
	assert_cut(json_object_get_string(v), name, 80);
	json_object_put(o);
	free(p);
	free(name);
}
END_TEST

/* An event with n fields "f0".."f{n-1}" valued v (or "value i"). */
static json_object *
build_many(size_t n, int success, const char *v)
{
	struct embed_event in;
	json_object *data, *e;
	char key[32], val[32];
	size_t i;

	data = json_object_new_object();
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof key, "f%zu", i);
		snprintf(val, sizeof val, "value %zu", i);
		json_object_object_add(data, key, json_object_new_string(v != NULL ? v : val));
	}
	memset(&in, 0, sizeof in);
	in.type = "request.created";
	in.icon = "🥤";
	in.title = "New Drink Request";
	in.success = success;
	in.error = "boom";
	in.data = data;
	in.event_id = "ev-1";
	e = build(&in);
	json_object_put(data);
	return e;
}

START_TEST(test_field_count_limit)
{
	json_object *e;
	char want[32];
	size_t i;

	/* Failure, 40 data fields: 22 shown, "…", Error, Event ID. */
	e = build_many(40, 0, NULL);
	ck_assert_uint_eq(nfields(e), 25);
	for (i = 0; i < 22; i++) {
		snprintf(want, sizeof want, "F%zu", i);
		ck_assert_str_eq(fname(e, i), want);
	}
	ck_assert_str_eq(fname(e, 22), ELLIPSIS);
	ck_assert_str_eq(fvalue(e, 22), ELLIPSIS " and 18 more fields");
	ck_assert_str_eq(fname(e, 23), "Error");
	ck_assert_str_eq(fvalue(e, 23), "boom");
	ck_assert_str_eq(fname(e, 24), "Event ID");
	ck_assert_str_eq(fvalue(e, 24), "ev-1");
	json_object_put(e);

	/* Success, 40: 23 shown, 17 folded, Event ID. */
	e = build_many(40, 1, NULL);
	ck_assert_uint_eq(nfields(e), 25);
	ck_assert_str_eq(fname(e, 22), "F22");
	ck_assert_str_eq(fvalue(e, 23), ELLIPSIS " and 17 more fields");
	ck_assert_str_eq(fname(e, 24), "Event ID");
	json_object_put(e);

	/* Boundaries: 24 + Event ID fit; 25 do not (23 shown, 2 folded). */
	e = build_many(24, 1, NULL);
	ck_assert_uint_eq(nfields(e), 25);
	ck_assert_str_eq(fname(e, 23), "F23");
	ck_assert_str_eq(fname(e, 24), "Event ID");
	json_object_put(e);
	e = build_many(25, 1, NULL);
	ck_assert_uint_eq(nfields(e), 25);
	ck_assert_str_eq(fname(e, 22), "F22");
	ck_assert_str_eq(fvalue(e, 23), ELLIPSIS " and 2 more fields");
	json_object_put(e);
	e = build_many(23, 0, NULL);
	ck_assert_uint_eq(nfields(e), 25);
	ck_assert_str_eq(fname(e, 22), "F22");
	ck_assert_str_eq(fname(e, 23), "Error");
	json_object_put(e);
	e = build_many(24, 0, NULL);
	ck_assert_uint_eq(nfields(e), 25);
	ck_assert_str_eq(fname(e, 21), "F21");
	ck_assert_str_eq(fvalue(e, 22), ELLIPSIS " and 2 more fields");
	ck_assert_str_eq(fname(e, 23), "Error");
	json_object_put(e);
}
END_TEST

START_TEST(test_total_limit)
{
	json_object *e, *data;
	struct embed_event in;
	char *big, *name, key[300];
	size_t i;

	/* 25 fields (24 data + Event ID) of 2000 characters each. */
	big = repeat("x", 2000);
	e = build_many(24, 1, big);
	ck_assert_uint_eq(nfields(e), 25);
	for (i = 0; i < 24; i++) {
		ck_assert_uint_le(text_units16(fvalue(e, i)), EMBED_MAX_FIELD_VALUE);
		ck_assert_uint_gt(text_units16(fvalue(e, i)), 100);
	}
	/* Shortened evenly: all data values end up the same length. */
	for (i = 1; i < 24; i++)
		ck_assert_uint_eq(text_units16(fvalue(e, i)), text_units16(fvalue(e, 0)));
	ck_assert_str_eq(fvalue(e, 24), "ev-1");
	ck_assert_uint_ge(discord_chars(e), EMBED_MAX_TOTAL - 24);
	json_object_put(e);

	/* Short values are kept while the longest are cut. */
	data = json_object_new_object();
	json_object_object_add(data, "short", json_object_new_string("keep me"));
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof key, "long%zu", i);
		json_object_object_add(data, key, json_object_new_string(big));
	}
	memset(&in, 0, sizeof in);
	in.type = "t";
	in.success = 1;
	in.data = data;
	in.event_id = "ev";
	e = build(&in);
	ck_assert_str_eq(fvalue(e, 0), "keep me");
	ck_assert_uint_lt(text_units16(fvalue(e, 1)), EMBED_MAX_FIELD_VALUE);
	json_object_put(e);
	json_object_put(data);
	free(big);

	/* Even 256-character names and 4-byte values fit, names cut last. */
	data = json_object_new_object();
	big = repeat(EMOJI, 1500);
	for (i = 0; i < 30; i++) {
		name = repeat("n", 280);
		snprintf(key, sizeof key, "%s%zu", name, i);
		free(name);
		json_object_object_add(data, key, json_object_new_string(big));
	}
	memset(&in, 0, sizeof in);
	in.type = "t";
	in.title = repeat(CJK, 5000);
	in.success = 0;
	in.error = big;
	in.data = data;
	in.event_id = "ev";
	e = build(&in);
	ck_assert_uint_ge(discord_chars(e), EMBED_MAX_TOTAL - 30);
	ck_assert_uint_eq(nfields(e), 25);
	ck_assert_str_eq(fname(e, 23), "Error");
	ck_assert_str_eq(fname(e, 24), "Event ID");
	json_object_put(e);
	json_object_put(data);
	free((char *)in.title);
	free(big);
}
END_TEST

START_TEST(test_payload)
{
	static const char embed[] = "{\"title\":\"📝 t event processed\","
	    "\"description\":\"📝 T\",\"color\":3066993,\"fields\":["
	    "{\"name\":\"Note\",\"value\":\"@everyone caf\xc3\xa9 a/b\",\"inline\":true},"
	    "{\"name\":\"Event ID\",\"value\":\"x\",\"inline\":true}],"
	    "\"footer\":{\"text\":\"✅ Successfully processed\"},"
	    "\"timestamp\":\"2023-07-15T14:30:45Z\"}";
	json_object *data;
	struct embed_event in;
	char *e[2], *p, *want;

	data = parse("{\"note\":\"@everyone caf\xc3\xa9 a/b\"}");
	memset(&in, 0, sizeof in);
	in.type = "t";
	in.icon = "📝";
	in.title = "T";
	in.success = 1;
	in.data = data;
	in.event_id = "x";
	in.finished = 1689431445;
	e[0] = embed_build_json(&in, NULL);
	e[1] = embed_build_json(&in, NULL);
	ck_assert_str_eq(e[0], embed);

	p = embed_payload_json((const char *const *)e, 1, NULL, NULL);
	want = xasprintf("{\"embeds\":[%s],\"allowed_mentions\":{\"parse\":[]}}",
	    embed);
	ck_assert_str_eq(p, want);
	free(want);
	free(p);

	/* Twice each: the second answers from the thread's kept envelope. */
	for (int round = 0; round < 2; round++) {
		p = embed_payload_json((const char *const *)e, 2, "SipEat \"\\ /",
		    "https://x.example/a.png");
		want = xasprintf("{\"username\":\"SipEat \\\"\\\\ /\","
		    "\"avatar_url\":\"https://x.example/a.png\",\"embeds\":[%s,%s],"
		    "\"allowed_mentions\":{\"parse\":[]}}", embed, embed);
		ck_assert_str_eq(p, want);
		free(want);
		free(p);
	}
	for (int round = 0; round < 2; round++) {
		p = embed_payload_json(NULL, 0, "", NULL);
		ck_assert_str_eq(p, "{\"embeds\":[],\"allowed_mentions\":{\"parse\":[]}}");
		free(p);
	}

	/* Control characters in a username are cleaned like event text. */
	p = embed_payload_json(NULL, 0, "a\x01" "b", "");
	ck_assert_str_eq(p, "{\"username\":\"a" REPL "b\",\"embeds\":[],"
	    "\"allowed_mentions\":{\"parse\":[]}}");
	free(p);

	p = embed_payload_text("hi \"there\"\n", "SipEat", NULL);
	ck_assert_str_eq(p, "{\"username\":\"SipEat\",\"content\":\"hi \\\"there\\\"\\n\","
	    "\"allowed_mentions\":{\"parse\":[]}}");
	free(p);
	want = repeat(EMOJI, 1001);
	p = embed_payload_text(want, NULL, NULL);
	data = parse(p);
	assert_cut(str_at(data, "content"), want, EMBED_MAX_CONTENT);
	json_object_put(data);
	free(p);
	free(want);

	free(e[0]);
	free(e[1]);
	json_object_put(in.data);
}
END_TEST

/* embed_write() of spec, through the oracle; the parsed embed. */
static json_object *
write_spec(const struct embed_spec *es, char **json)
{
	json_object *e;
	size_t chars;
	char *j;

	j = embed_write(es, &chars);
	e = oracle(j, chars);
	if (json != NULL)
		*json = j;
	else
		free(j);
	return e;
}

/* A synthetic embed, exactly: members, order, inline rule, escapes. */
START_TEST(test_write_exact)
{
	static const struct embed_field f[] = {
		{ "Short", "auto: inline", EMBED_INLINE_AUTO },
		{ "Long", "auto: forty code points or more, not inline", EMBED_INLINE_AUTO },
		{ "No", "x", EMBED_INLINE_NO },
		{ "Yes", "a value of forty code points or more, inline", EMBED_INLINE_YES },
		{ "", NULL, EMBED_INLINE_AUTO },
		{ "Bad \"q\"", "a\x01" "b\xff" "c\td\ne\\", EMBED_INLINE_NO },
	};
	struct embed_spec es;
	json_object *e;
	char *json;
	size_t chars;

	memset(&es, 0, sizeof es);
	es.title = "\xf0\x9f\xa7\xaa Title";
	es.color = 42;
	es.fields = f;
	es.nfields = sizeof f / sizeof f[0];
	es.footer = "Foot";
	es.timestamp = 1689431445;
	json = embed_write(&es, &chars);
	ck_assert_str_eq(json, "{\"title\":\"\xf0\x9f\xa7\xaa Title\",\"color\":42,"
	    "\"fields\":["
	    "{\"name\":\"Short\",\"value\":\"auto: inline\",\"inline\":true},"
	    "{\"name\":\"Long\",\"value\":\"auto: forty code points or more, not "
	    "inline\",\"inline\":false},"
	    "{\"name\":\"No\",\"value\":\"x\",\"inline\":false},"
	    "{\"name\":\"Yes\",\"value\":\"a value of forty code points or more, "
	    "inline\",\"inline\":true},"
	    "{\"name\":\"" DASH "\",\"value\":\"" DASH "\",\"inline\":true},"
	    "{\"name\":\"Bad \\\"q\\\"\",\"value\":\"a" REPL "b" REPL "c\\td\\ne\\\\\","
	    "\"inline\":false}],"
	    "\"footer\":{\"text\":\"Foot\"},\"timestamp\":\"2023-07-15T14:30:45Z\"}");
	/* 8 + 4 + the fields' names and values. */
	ck_assert_uint_eq(chars, 8 + 4 + 5 + 12 + 4 + 43 + 2 + 1 + 3 + 44 +
	    1 + 1 + 7 + 10);
	e = oracle(json, chars);
	json_object_put(e);
	free(json);

	/* No fields, description, no footer. */
	memset(&es, 0, sizeof es);
	es.title = "t";
	es.description = "d";
	es.color = 0;
	json = embed_write(&es, &chars);
	ck_assert_str_eq(json, "{\"title\":\"t\",\"description\":\"d\",\"color\":0,"
	    "\"fields\":[],\"timestamp\":\"1970-01-01T00:00:00Z\"}");
	ck_assert_uint_eq(chars, 2);
	free(json);
}
END_TEST

/* Every limit of SPEC section 4 holds for a synthetic embed too. */
START_TEST(test_write_limits)
{
	struct embed_field f[30];
	struct embed_spec es;
	json_object *e;
	char names[30][16], *big, *title, *desc, *foot, *name;
	size_t i;

	title = repeat(EMOJI, 200);
	desc = repeat(CJK, 5000);
	foot = repeat("f", 3000);
	name = repeat("n", 300);
	big = repeat("v", 2000);
	memset(&es, 0, sizeof es);
	es.title = title;
	es.description = desc;
	es.footer = foot;
	es.fields = f;
	es.nfields = 1;
	f[0] = (struct embed_field){ name, big, EMBED_INLINE_AUTO };
	e = write_spec(&es, NULL);
	/*
	 * 255 + 4096 + 2048 + 256 + 1024 units cut to 6000: the value, then
	 * the name to one unit each, then the description; the title stays.
	 */
	assert_cut(str_at(e, "title"), title, EMBED_MAX_TITLE);
	ck_assert_str_eq(fname(e, 0), ELLIPSIS);
	ck_assert_str_eq(fvalue(e, 0), ELLIPSIS);
	ck_assert_uint_eq(text_units16(str_at(e, "description")),
	    EMBED_MAX_TOTAL - 255 - 2048 - 2);
	ck_assert_uint_eq(discord_chars(e), EMBED_MAX_TOTAL);
	json_object_put(e);

	/* Each part alone at its own limit. */
	es.description = NULL;
	es.footer = NULL;
	es.title = "t";
	e = write_spec(&es, NULL);
	assert_cut(fvalue(e, 0), big, EMBED_MAX_FIELD_VALUE);
	assert_cut(fname(e, 0), name, EMBED_MAX_FIELD_NAME);
	json_object_put(e);
	es.nfields = 0;
	es.description = desc;
	e = write_spec(&es, NULL);
	assert_cut(str_at(e, "description"), desc, EMBED_MAX_DESC);
	json_object_put(e);
	es.description = NULL;
	es.footer = foot;
	e = write_spec(&es, NULL);
	assert_cut(footer(e), foot, EMBED_MAX_FOOTER);
	json_object_put(e);

	/* 30 fields: 24 shown, the 25th counts the 6 others. */
	for (i = 0; i < 30; i++) {
		snprintf(names[i], sizeof names[i], "f%zu", i);
		f[i] = (struct embed_field){ names[i], big, EMBED_INLINE_NO };
	}
	es.footer = NULL;
	es.nfields = 30;
	e = write_spec(&es, NULL);
	ck_assert_uint_eq(nfields(e), 25);
	ck_assert_str_eq(fname(e, 23), "f23");
	ck_assert_str_eq(fname(e, 24), ELLIPSIS);
	ck_assert_str_eq(fvalue(e, 24), ELLIPSIS " and 6 more fields");
	/* 24 values of 2000 in 6000: shortened evenly, the short one kept. */
	for (i = 1; i < 24; i++)
		ck_assert_str_eq(fvalue(e, i), fvalue(e, 0));
	ck_assert_uint_lt(text_units16(fvalue(e, 0)), 250);
	ck_assert_uint_ge(discord_chars(e), EMBED_MAX_TOTAL - 30);
	json_object_put(e);
	/* Exactly 25: all shown. */
	es.nfields = 25;
	e = write_spec(&es, NULL);
	ck_assert_uint_eq(nfields(e), 25);
	ck_assert_str_eq(fname(e, 24), "f24");
	json_object_put(e);

	free(title);
	free(desc);
	free(foot);
	free(name);
	free(big);
}
END_TEST

/* The overload digest (digest.c), byte for byte. */
START_TEST(test_digest)
{
	struct digest d;
	json_object *e;
	char *json, type[16];
	size_t chars, i;

	memset(&d, 0, sizeof d);
	digest_add(&d, "request.created", 120);
	digest_add(&d, "contact.created", 3);
	json = digest_embed_json(&d, 1689431445, &chars);
	ck_assert_str_eq(json, "{\"title\":\"📊 123 events processed\","
	    "\"color\":5793266,\"fields\":["
	    "{\"name\":\"request.created\",\"value\":\"120 processed, 0 failed\","
	    "\"inline\":true},"
	    "{\"name\":\"contact.created\",\"value\":\"3 processed, 0 failed\","
	    "\"inline\":true}],\"timestamp\":\"2023-07-15T14:30:45Z\"}");
	/* "📊" is a surrogate pair: 2 units of the title's 23. */
	ck_assert_uint_eq(chars, 23 + 15 + 23 + 15 + 21);
	json_object_put(oracle(json, chars));
	free(json);

	/* Past 24 types, the rest share "other types": 25 fields, no "…". */
	for (i = 0; i < 30; i++) {
		snprintf(type, sizeof type, "type%zu", i);
		digest_add(&d, type, 1);
	}
	json = digest_embed_json(&d, 0, &chars);
	e = oracle(json, chars);
	ck_assert_str_eq(str_at(e, "title"), "📊 153 events processed");
	ck_assert_uint_eq(nfields(e), 25);
	ck_assert_str_eq(fname(e, 23), "type21");
	ck_assert_str_eq(fname(e, 24), DIGEST_OTHER);
	ck_assert_str_eq(fvalue(e, 24), "8 processed, 0 failed");
	json_object_put(e);
	free(json);
}
END_TEST

/* The "❗ N more failures" embed (digest.c), byte for byte. */
START_TEST(test_overflow_embed)
{
	struct overflow o;
	json_object *e, *f;
	char *json, id[48];
	size_t chars, i, listed = 0;

	memset(&o, 0, sizeof o);
	overflow_add(&o, "sipeat.request.events/0/1");
	overflow_add(&o, NULL);
	overflow_add(&o, "x\xff\"y");
	json = overflow_embed_json(&o, 1689431445, &chars);
	ck_assert_str_eq(json, "{\"title\":\"❗ 3 more failures\","
	    "\"description\":\"Their own embeds did not fit in the notification queue.\","
	    "\"color\":15158332,\"fields\":["
	    "{\"name\":\"Event IDs\",\"value\":\"sipeat.request.events/0/1, x" REPL "\\\"y\","
	    "\"inline\":false},"
	    "{\"name\":\"Not listed\",\"value\":\"1 more: their Event IDs did not fit here\","
	    "\"inline\":false}],"
	    "\"footer\":{\"text\":\"❌ Processing failed\"},"
	    "\"timestamp\":\"2023-07-15T14:30:45Z\"}");
	ck_assert_uint_eq(chars, 181);
	json_object_put(oracle(json, chars));
	free(json);

	/* Thousands: as many ids as fit, every one listed once, in order. */
	for (i = 0; i < 3000; i++) {
		snprintf(id, sizeof id, "sipeat.request.events/%zu/%zu", i % 6, i);
		overflow_add(&o, id);
	}
	json = overflow_embed_json(&o, 1689431445, &chars);
	e = oracle(json, chars);
	ck_assert_uint_le(nfields(e), 25);
	for (i = 0; i + 1 < nfields(e); i++) {
		ck_assert_str_eq(fname(e, i), "Event IDs");
		for (const char *p = fvalue(e, i); p != NULL; p = strstr(p + 1, ", "))
			listed++;
	}
	ck_assert_uint_eq(listed, o.nids);
	ck_assert_str_eq(fname(e, i), "Not listed");
	f = field(e, i);
	ck_assert_ptr_nonnull(f);
	snprintf(id, sizeof id, "%ld more: their Event IDs", o.unlisted);
	ck_assert_int_eq(strncmp(fvalue(e, i), id, strlen(id)), 0);
	json_object_put(e);
	free(json);
	overflow_reset(&o);
}
END_TEST

/* A failure's notice, as a worker hands it to the notifier. */
static struct notice *
failure(const char *type, const char *icon, const char *title,
    const char *id, const char *error, time_t finished)
{
	struct notify_event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = type;
	ev.icon = icon;
	ev.title = title;
	ev.stage = "payment";
	ev.error = error;
	ev.event_id = id;
	ev.finished = finished;
	return notice_create(xstrdup("{}"), 10, &ev);
}

/* Grouped failures (notify-group.c, SPEC section 9), byte for byte. */
START_TEST(test_group_embed)
{
	struct notice *m[500], *g;
	json_object *e;
	char id[48];
	const char *ids;
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(id, sizeof id, "r-%zu", i);
		m[i] = failure("request.created", "🥤", "New Drink Request", id,
		    "payment: HTTP 502", 1689431445 + (time_t)(2 - i));
	}
	g = group_notice(m, 3);
	ck_assert_str_eq(g->json, "{\"title\":\"🥤 request.created event failed ×3\","
	    "\"description\":\"🥤 New Drink Request\",\"color\":15158332,\"fields\":["
	    "{\"name\":\"Error\",\"value\":\"payment: HTTP 502\",\"inline\":false},"
	    "{\"name\":\"First\",\"value\":\"2023-07-15T14:30:45Z\",\"inline\":false},"
	    "{\"name\":\"Last\",\"value\":\"2023-07-15T14:30:47Z\",\"inline\":false},"
	    "{\"name\":\"Event IDs\",\"value\":\"r-0, r-1, r-2\",\"inline\":false}],"
	    "\"footer\":{\"text\":\"❌ Processing failed\"},"
	    "\"timestamp\":\"2023-07-15T14:30:47Z\"}");
	ck_assert_uint_eq(g->chars, 166);
	ck_assert_int_eq(g->count, 3);
	json_object_put(oracle(g->json, g->chars));
	notice_free(g);
	for (i = 0; i < 3; i++)
		notice_free(m[i]);

	/* 500 invalid events, no icon, long type: "×500" always shows. */
	for (i = 0; i < 500; i++) {
		snprintf(id, sizeof id, "sipeat.request.events/0/%zu", i);
		m[i] = failure("invalid", "", "", id, "invalid: no data",
		    1689431445);
	}
	g = group_notice(m, 500);
	e = oracle(g->json, g->chars);
	ck_assert_str_eq(str_at(e, "title"), "invalid event failed ×500");
	ck_assert_str_eq(str_at(e, "description"), "invalid");
	ck_assert_str_eq(fname(e, 3), "Event IDs");
	ids = fvalue(e, 3);
	ck_assert_int_eq(strncmp(ids, "sipeat.request.events/0/0, "
	    "sipeat.request.events/0/1, ", 54), 0);
	ck_assert_ptr_nonnull(strstr(ids, "sipeat.request.events/0/34\n"
	    ELLIPSIS " and 465 more"));
	json_object_put(e);
	notice_free(g);
	for (i = 0; i < 500; i++)
		notice_free(m[i]);
}
END_TEST

START_TEST(test_timestamp)
{
	char buf[32];

	embed_timestamp(0, buf, sizeof buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	embed_timestamp(1689431445, buf, sizeof buf);
	ck_assert_str_eq(buf, "2023-07-15T14:30:45Z");
	embed_timestamp(1689431445, buf, 21);
	ck_assert_str_eq(buf, "2023-07-15T14:30:45Z");
	embed_timestamp(1689431445, buf, 5);
	ck_assert_str_eq(buf, "");
}
END_TEST

/*
 * Oracle test of embed_build_json() on generated inputs: random UTF-8 (ASCII, quotes,
 * backslashes, every control character, DEL, "/", emoji, CJK, combining
 * marks) mixed with ill-formed bytes, nested data, 0 to 60 fields, values
 * over every limit, all JSON types. A fixed seed keeps it reproducible.
 */
static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static size_t
rng_below(size_t n)
{
	return n == 0 ? 0 : (size_t)(rng() % n);
}

/* Random text of up to max units; NULL-free, maybe ill-formed UTF-8. */
static char *
rand_text(size_t max)
{
	static const char *const units[] = {
		"a", "Z", "7", " ", "\"", "\\", "/", "\x7f", "\t", "\n", "\r",
		"\b", "\f", "\x01", "\x1f", "\x1b", EMOJI, CJK, ACUTE, E_ACUTE,
		ELLIPSIS, DASH, "\xe2\x9a\xa0\xef\xb8\x8f", "\xc3\xa9",
		"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\x80",
		"\xf4\x90\x80\x80", "\xf0\x9f\x98", "word", "@everyone",
	};
	size_t n = rng_below(max + 1), i, len = 0, cap = 16, ul;
	char *s = xmalloc(cap);
	const char *u;

	/* Mostly plain ASCII runs, as real data, with the odd unit mixed in. */
	for (i = 0; i < n; i++) {
		if (rng_below(4) == 0)
			u = units[rng_below(sizeof units / sizeof units[0])];
		else
			u = units[rng_below(4)];
		ul = strlen(u);
		if (len + ul + 1 > cap) {
			cap = 2 * (len + ul + 1);
			s = xrealloc(s, cap);
		}
		memcpy(s + len, u, ul);
		len += ul;
	}
	s[len] = '\0';
	return s;
}

static size_t
rand_len(void)
{
	switch (rng_below(6)) {
	case 0:
		return 0;
	case 1:
		return 1200;	/* past a field value's 1024 */
	case 2:
		return 300;	/* past a name's 256 */
	default:
		return 40;
	}
}

static json_object *rand_value(int depth);

static json_object *
rand_object(int depth, size_t maxfields)
{
	json_object *o = json_object_new_object();
	size_t n = rng_below(maxfields + 1), i;
	char *key;

	for (i = 0; i < n; i++) {
		key = rand_text(rng_below(3) == 0 ? 300 : 12);
		json_object_object_add(o, key, rand_value(depth + 1));
		free(key);
	}
	return o;
}

static json_object *
rand_value(int depth)
{
	json_object *v, *a;
	char *s;
	size_t i, n;

	switch (rng_below(depth < 3 ? 12 : 10)) {
	case 0:
		return NULL;
	case 1:
		return json_object_new_boolean((int)rng_below(2));
	case 2:
		switch (rng_below(4)) {
		case 0:
			return json_object_new_int64(INT64_MIN);
		case 1:
			return json_object_new_int64(INT64_MAX);
		case 2:
			return json_object_new_uint64(UINT64_MAX - rng_below(3));
		default:
			return json_object_new_int64((int64_t)rng() >> rng_below(64));
		}
	case 3:
		if (rng_below(2) == 0)
			return json_object_new_double((double)(int64_t)rng() / 1e6);
		/* As parsed: json-c keeps the text of a parsed double. */
		return json_tokener_parse(rng_below(2) ? "1.50" : "-0.0e3");
	case 4:
		a = json_object_new_array();
		n = rng_below(4);
		for (i = 0; i < n; i++)
			json_object_array_add(a, rand_value(depth + 1));
		return a;
	case 5:
		return json_object_new_object();
	default:
		if (depth < 3 && rng_below(3) == 0)
			return rand_object(depth, 6);
		s = rand_text(rand_len());
		v = json_object_new_string(s);
		free(s);
		return v;
	}
}

/* A chain of objects nested deeper than the flattening limit. */
static json_object *
deep_object(int levels)
{
	json_object *o = json_object_new_string("bottom");
	int i;

	for (i = 0; i < levels; i++) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, i % 2 ? "inner" : "level", o);
		o = p;
	}
	return o;
}

START_TEST(test_build_json_oracle)
{
	static const char *const icons[] = { NULL, "", "📝", "\xe2\x9a\xa0\xef\xb8\x8f" };
	struct embed_event in;
	json_object *data, *e, *v;
	char *type, *title, *error, *id, *got, ts[32];
	size_t i, c, nf, n;
	struct tm tm;

	rng_state = UINT64_C(0x5eed5eed5eed5eed);
	for (i = 0; i < 1500; i++) {
		memset(&in, 0, sizeof in);
		type = rng_below(8) == 0 ? NULL : rand_text(rng_below(10) == 0 ? 300 : 20);
		title = rng_below(4) == 0 ? NULL : rand_text(rng_below(10) == 0 ? 5000 : 20);
		error = rand_text(rng_below(5) == 0 ? 1500 : 60);
		id = rand_text(rng_below(8) == 0 ? 1200 : 20);
		in.type = type;
		in.title = title;
		in.icon = icons[rng_below(4)];
		in.success = (int)rng_below(2);
		in.error = rng_below(6) == 0 ? NULL : error;
		in.event_id = rng_below(10) == 0 ? NULL : id;
		in.finished = (time_t)rng_below(4000000000u);
		nf = rng_below(61);
		data = rand_object(0, nf);
		if (rng_below(10) == 0)
			json_object_object_add(data, "deep", deep_object(40));
		if (rng_below(20) == 0) {
			/* Not an object: shows no data fields. */
			json_object_put(data);
			data = rng_below(2) ? json_object_new_array() : NULL;
		}
		in.data = data;

		got = embed_build_json(&in, &c);
		e = oracle(got, c);
		/* What the event decides, beside the limits the oracle checks. */
		ck_assert(json_object_object_get_ex(e, "color", &v));
		ck_assert_int_eq(json_object_get_int(v), in.success ?
		    EMBED_COLOR_OK : EMBED_COLOR_FAIL);
		ck_assert_str_eq(footer(e), in.success ? "✅ Successfully processed" :
		    "❌ Processing failed");
		ck_assert_ptr_nonnull(str_at(e, "description"));
		gmtime_r(&in.finished, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
		ck_assert_str_eq(str_at(e, "timestamp"), ts);
		n = nfields(e);
		ck_assert_uint_ge(n, in.success ? 1 : 2);
		ck_assert_str_eq(fname(e, n - 1), "Event ID");
		if (!in.success) {
			ck_assert_str_eq(fname(e, n - 2), "Error");
			ck_assert(json_object_object_get_ex(field(e, n - 2),
			    "inline", &v));
			ck_assert(!json_object_get_boolean(v));
		}
		json_object_put(e);
		free(got);
		json_object_put(data);
		free(type);
		free(title);
		free(error);
		free(id);
	}
}
END_TEST

/* Every byte that can be in a field value, escaped as json-c escapes it. */
START_TEST(test_build_json_escapes)
{
	struct embed_event in;
	json_object *data, *e;
	char bytes[128], *got;
	size_t chars;
	int i;

	for (i = 1; i < 128; i++)
		bytes[i - 1] = (char)i;
	bytes[127] = '\0';
	data = json_object_new_object();
	json_object_object_add(data, bytes, json_object_new_string(bytes));
	json_object_object_add(data, "u", json_object_new_string(
	    EMOJI CJK ACUTE "\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf"));
	memset(&in, 0, sizeof in);
	in.type = bytes;
	in.title = bytes;
	in.error = bytes;
	in.event_id = bytes;
	in.data = data;
	in.finished = 1689431445;
	got = embed_build_json(&in, &chars);
	e = oracle(got, chars);		/* json-c writes it back the same */
	/* Control characters show as U+FFFD, but tab and newline. */
	ck_assert_ptr_null(strstr(got, "\\u00"));
	ck_assert_ptr_nonnull(strstr(got, "\"\xef\xbf\xbd\xef\xbf\xbd"));
	ck_assert_ptr_nonnull(strstr(got, "\xef\xbf\xbd\\t\\n"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));
	ck_assert_ptr_nonnull(strstr(got, "}~\xef\xbf\xbd\""));
	ck_assert_ptr_nonnull(strstr(got, "!\\\"#"));
	ck_assert_ptr_nonnull(strstr(got, "./0"));
	ck_assert_ptr_nonnull(strstr(got, "[\\\\]"));
	/* U+2028, U+2029 and the BOM are text: written as they are. */
	ck_assert_ptr_nonnull(strstr(got, "\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf\""));
	json_object_put(e);
	free(got);
	json_object_put(data);
}
END_TEST

/*
 * One special byte (or character) at every position of values of 1 to 20
 * bytes: embed_estr()'s word checks, the tail word above all, see each.
 */
START_TEST(test_special_every_position)
{
	static const char *const specials[] = { "\"", "\\", "\x01", "\x7f",
	    ACUTE };
	static const char *const shown[] = { "\"", "\\", "\xef\xbf\xbd",
	    "\xef\xbf\xbd", ACUTE };
	struct embed_event in;
	json_object *data, *e, *f, *v;
	char val[32], want[32], *got;
	size_t chars, len, pos, k, sl;

	for (k = 0; k < sizeof specials / sizeof specials[0]; k++) {
		sl = strlen(specials[k]);
		for (len = sl; len <= 20; len++) {
			for (pos = 0; pos + sl <= len; pos++) {
				memset(val, 'a', len);
				memcpy(val + pos, specials[k], sl);
				val[len] = '\0';
				memset(want, 'a', pos);
				snprintf(want + pos, sizeof want - pos, "%s%s",
				    shown[k], val + pos + sl);
				data = json_object_new_object();
				json_object_object_add(data, "k",
				    json_object_new_string(val));
				memset(&in, 0, sizeof in);
				in.type = "t";
				in.success = 1;
				in.event_id = "x";
				in.data = data;
				in.finished = 1689431445;
				got = embed_build_json(&in, &chars);
				e = oracle(got, chars);
				ck_assert(json_object_object_get_ex(e, "fields", &f));
				v = json_object_object_get(
				    json_object_array_get_idx(f, 0), "value");
				ck_assert_msg(strcmp(json_object_get_string(v),
				    want) == 0, "%zu at %zu of %zu: %s", k, pos,
				    len, got);
				json_object_put(e);
				free(got);
				json_object_put(data);
			}
		}
	}
}
END_TEST

Suite *
suite_embed(void)
{
	Suite *s = suite_create("embed");
	TCase *tc;

	tc = tcase_create("embed");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_contact_success);
	tcase_add_test(tc, test_request_failure);
	tcase_add_test(tc, test_invalid_event);
	tcase_add_test(tc, test_nested_flattening);
	tcase_add_test(tc, test_empty_values);
	tcase_add_test(tc, test_invalid_utf8_replaced);
	tcase_add_test(tc, test_humanize);
	tcase_add_test(tc, test_payload);
	tcase_add_test(tc, test_timestamp);
	suite_add_tcase(s, tc);

	tc = tcase_create("synthetic");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_write_exact);
	tcase_add_test(tc, test_write_limits);
	tcase_add_test(tc, test_digest);
	tcase_add_test(tc, test_overflow_embed);
	tcase_add_test(tc, test_group_embed);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_embed_text);
	tcase_add_test(tc, test_embed_part_limits);
	tcase_add_test(tc, test_field_count_limit);
	tcase_add_test(tc, test_total_limit);
	tcase_add_test(tc, test_emoji_field_value_limit);
	tcase_add_test(tc, test_total_limit_utf16);
	tcase_add_test(tc, test_nul_and_controls_in_values);
	tcase_add_test(tc, test_payload_username_utf16);
	suite_add_tcase(s, tc);

	tc = tcase_create("direct");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_build_json_oracle);
	tcase_add_test(tc, test_build_json_escapes);
	tcase_add_test(tc, test_special_every_position);
	suite_add_tcase(s, tc);
	return s;
}

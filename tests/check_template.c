/*
 * check_template.c -- src/buf.c and src/template.c: templates filled for
 * the place they stand in (SPEC section 3). Injection attempts through
 * JSON bodies, URLs, mail headers and exec arguments; the configuration
 * check of JSON bodies; the one-shot plain text API.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "stage.h"
#include "template.h"
#include "testlib.h"
#include "util.h"

/* A request whose data a hostile contact form filled. */
#define EV "{\"id\":\"ev-1\",\"type\":\"request.created\",\"data\":{" \
	"\"customerName\":\"Ann\"," \
	"\"drinkName\":\"\\\", \\\"admin\\\": true\"," \
	"\"close\":\"\\\"}\"," \
	"\"slashes\":\"a\\\\\\\"b\\\\\"," \
	"\"ctl\":\"x\\u0001\\n\\t\\u001fy\\u2028\"," \
	"\"nul\":\"a\\u0000b\"," \
	"\"uni\":\"Zo\\u00eb \\u2615 \\ud83d\\ude00\"," \
	"\"quantity\":2,\"price\":3.50,\"active\":true,\"none\":null," \
	"\"location\":{\"address\":\"1 Main St\",\"latitude\":52.52}," \
	"\"tags\":[\"a\",\"b\"]," \
	"\"path\":\"../admin\",\"dots\":\"..\",\"q\":\"a b&c=d#e\"," \
	"\"email\":\"ann@example.com\",\"list\":\"ann@example.com, eve@evil.example\"," \
	"\"comma\":\"Doe, John\",\"crlf\":\"a\\r\\nBcc: eve@evil.example\"," \
	"\"ew\":\"=?UTF-8?B?QmNj?=\"," \
	"\"args\":\"a b 'c' * $(id) ;rm\"}}"

static char err[512];

static struct event ev;

static void
ev_setup(void)
{
	char perr[256];

	ck_assert_msg(event_parse(&ev, EV, strlen(EV), "t/0/0", perr,
	    sizeof perr) == 0, "%s", perr);
}

static void
ev_teardown(void)
{
	event_clear(&ev);
}

/* Compiles src for mode (must work) and expands it against ev. */
static char *
fill(const char *src, enum tpl_mode mode)
{
	struct tpl *t;
	char *s;

	err[0] = '\0';
	t = tpl_compile(src, mode, err, sizeof err);
	ck_assert_msg(t != NULL, "%s: %s", src, err);
	s = tpl_expand(t, &ev, err, sizeof err);
	tpl_free(t);
	return s;
}

/* The compile error for src in mode, or "" when it compiles. */
static const char *
compile_err(const char *src, enum tpl_mode mode)
{
	struct tpl *t;

	err[0] = '\0';
	t = tpl_compile(src, mode, err, sizeof err);
	if (t != NULL) {
		ck_assert_str_eq(err, "");
		tpl_free(t);
	} else
		ck_assert_str_ne(err, "");
	return err;
}

/* Parses s as JSON (must work); caller puts it. */
static json_object *
json(const char *s)
{
	json_object *o;
	struct json_tokener *tok = json_tokener_new();

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)strlen(s));
	ck_assert_msg(o != NULL && json_tokener_get_parse_end(tok) == strlen(s),
	    "not JSON: %s", s);
	json_tokener_free(tok);
	return o;
}

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	ck_assert(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

START_TEST(test_buf_basics)
{
	struct buf b = BUF_INIT;
	char *s;
	int i;

	s = buf_take(&b);
	ck_assert_str_eq(s, "");
	free(s);
	buf_adds(&b, "ab");
	buf_addc(&b, 'c');
	buf_add(&b, "d\0e", 3);
	ck_assert_uint_eq(b.len, 6);
	ck_assert_int_eq(memcmp(b.p, "abcd\0e", 7), 0);
	buf_free(&b);
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	ck_assert_uint_eq(b.len, strlen(b.p));
	ck_assert_ptr_nonnull(strstr(b.p, ",999,"));
	ck_assert_int_eq(strncmp(b.p, "0,1,2,", 6), 0);
	s = buf_take(&b);
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
	free(s);
}
END_TEST

START_TEST(test_buf_json)
{
	struct buf b = BUF_INIT;
	static const char in[] = "q\"b\\s/\x01\n\r\t\b\f\x1f\x7f\xc3\xa9"
	    "\xe2\x80\xa8\xe2\x80\xa9\xe2\x82\xac";

	buf_add_json(&b, in, sizeof in - 1);
	ck_assert_str_eq(b.p, "q\\\"b\\\\s/\\u0001\\n\\r\\t\\b\\f\\u001f"
	    "\\u007f\xc3\xa9\\u2028\\u2029\xe2\x82\xac");
	buf_free(&b);
	/* U+0000 is a character, not the end. */
	buf_add_json(&b, "a\0b", 3);
	ck_assert_str_eq(b.p, "a\\u0000b");
	buf_free(&b);
	buf_add_json(&b, "", 0);
	ck_assert_str_eq(b.p, "");
	buf_free(&b);
}
END_TEST

START_TEST(test_buf_pct)
{
	struct buf b = BUF_INIT;

	buf_add_pct(&b, "a b/c?d#e&f=g%h~i-j_k.l", 23);
	ck_assert_str_eq(b.p, "a%20b%2Fc%3Fd%23e%26f%3Dg%25h~i-j_k.l");
	buf_free(&b);
	buf_add_pct(&b, "\xc3\xa9\n", 3);
	ck_assert_str_eq(b.p, "%C3%A9%0A");
	buf_free(&b);
	/* A value can never be a dot segment. */
	buf_add_pct(&b, "..", 2);
	ck_assert_str_eq(b.p, "%2E%2E");
	buf_free(&b);
	buf_add_pct(&b, ".", 1);
	ck_assert_str_eq(b.p, "%2E");
	buf_free(&b);
	buf_add_pct(&b, "...", 3);
	ck_assert_str_eq(b.p, "...");
	buf_free(&b);
}
END_TEST

/* The issue's attack: a drink name that closes the string and adds a member. */
START_TEST(test_json_injection_in_string)
{
	json_object *o;
	char *s;

	s = fill("{\"drink\": \"${data.drinkName}\", \"by\": \"${data.customerName}\"}",
	    TPL_JSON);
	ck_assert_ptr_nonnull(s);
	o = json(s);
	ck_assert_int_eq(json_object_object_length(o), 2);
	ck_assert_str_eq(str_of(o, "drink"), "\", \"admin\": true");
	ck_assert(!json_object_object_get_ex(o, "admin", NULL));
	json_object_put(o);
	free(s);

	s = fill("{\"a\":\"${data.close}\",\"b\":\"<${data.slashes}>\","
	    "\"c\":\"${data.ctl}\",\"d\":\"${data.uni}\"}", TPL_JSON);
	o = json(s);
	ck_assert_int_eq(json_object_object_length(o), 4);
	ck_assert_str_eq(str_of(o, "a"), "\"}");
	ck_assert_str_eq(str_of(o, "b"), "<a\\\"b\\>");
	ck_assert_str_eq(str_of(o, "c"), "x\x01\n\t\x1fy\xe2\x80\xa8");
	ck_assert_str_eq(str_of(o, "d"), "Zo\xc3\xab \xe2\x98\x95 \xf0\x9f\x98\x80");
	json_object_put(o);
	free(s);

	/* U+0000 is kept, escaped, not a cut. */
	s = fill("[\"${data.nul}\"]", TPL_JSON);
	ck_assert_str_eq(s, "[\"a\\u0000b\"]");
	free(s);
	/* Non-strings inside quotes: their JSON text, escaped. */
	s = fill("\"${data.quantity} ${data.tags} ${data.active}\"", TPL_JSON);
	ck_assert_str_eq(s, "\"2 [\\\"a\\\",\\\"b\\\"] true\"");
	free(s);
	/* Escapes in the template itself do not confuse the lexer. */
	s = fill("{\"k\": \"a\\\"${data.customerName}\", \"l\": \"\\\\${data.close}\"}",
	    TPL_JSON);
	o = json(s);
	ck_assert_str_eq(str_of(o, "k"), "a\"Ann");
	ck_assert_str_eq(str_of(o, "l"), "\\\"}");
	json_object_put(o);
	free(s);
	/* Missing inside quotes fails, as in every text place. */
	ck_assert_ptr_null(fill("{\"a\":\"${data.nope}\"}", TPL_JSON));
	ck_assert_str_eq(err, "missing field data.nope");
	ck_assert_ptr_null(fill("{\"a\":\"${data.none}\"}", TPL_JSON));
	ck_assert_str_eq(err, "missing field data.none");
}
END_TEST

START_TEST(test_json_values_outside_quotes)
{
	json_object *o, *v;
	char *s;

	s = fill("{\"q\": ${data.quantity}, \"p\": ${data.price}, "
	    "\"n\": ${data.drinkName}, \"loc\": ${data.location}, "
	    "\"m\": ${data.nope}, \"z\": ${data.none}, \"t\": ${data.active}, "
	    "\"tags\": ${data.tags}, \"id\": ${id}, \"u\": ${data.nul}}", TPL_JSON);
	ck_assert_str_eq(s, "{\"q\": 2, \"p\": 3.50, \"n\": \"\\\", \\\"admin\\\": "
	    "true\", \"loc\": {\"address\":\"1 Main St\",\"latitude\":52.52}, "
	    "\"m\": null, \"z\": null, \"t\": true, \"tags\": [\"a\",\"b\"], "
	    "\"id\": \"ev-1\", \"u\": \"a\\u0000b\"}");
	o = json(s);
	ck_assert_int_eq(json_object_object_length(o), 10);
	ck_assert(json_object_object_get_ex(o, "q", &v));
	ck_assert(json_object_is_type(v, json_type_int));
	ck_assert_str_eq(str_of(o, "n"), "\", \"admin\": true");
	json_object_put(o);
	free(s);
	/* A bare value, and a whole array of them. */
	s = fill("${data.close}", TPL_JSON);
	ck_assert_str_eq(s, "\"\\\"}\"");
	free(s);
	s = fill(" [${data.quantity},${data.ctl}] ", TPL_JSON);
	o = json(s);
	ck_assert_int_eq(json_object_array_length(o), 2);
	json_object_put(o);
	free(s);
}
END_TEST

/* Config time: valid JSON once every ${...} is null (or empty in quotes). */
START_TEST(test_json_compile_errors)
{
	ck_assert_str_eq(compile_err("{\"a\": \"${x}\", \"b\": ${y}}", TPL_JSON), "");
	ck_assert_str_eq(compile_err("${x}", TPL_JSON), "");
	ck_assert_str_eq(compile_err("[${a}, \"$${b}\", 1.5e3, true]\n", TPL_JSON), "");
	ck_assert_str_eq(compile_err("{\"a\": \"${x}\"", TPL_JSON),
	    "not valid JSON once each ${...} is null: unexpected end of data");
	ck_assert_int_eq(strncmp(compile_err("{\"a\": \"x\" ${y}}", TPL_JSON),
	    "not valid JSON once each ${...} is null: ", 41), 0);
	/* null is no key. */
	ck_assert_int_eq(strncmp(compile_err("{${k}: 1}", TPL_JSON),
	    "not valid JSON once each ${...} is null: ", 41), 0);
	/* Text around a value outside quotes: "abc null" is not JSON. */
	ck_assert_int_eq(strncmp(compile_err("{\"a\": x${y}}", TPL_JSON),
	    "not valid JSON", 14), 0);
	ck_assert_int_eq(strncmp(compile_err("{\"a\": 1} ${y}", TPL_JSON),
	    "not valid JSON", 14), 0);
	ck_assert_str_eq(compile_err("", TPL_JSON),
	    "not valid JSON once each ${...} is null: empty");
	ck_assert_str_eq(compile_err("{'a': 1}", TPL_JSON),
	    "not valid JSON once each ${...} is null: single quote at column 2");
	ck_assert_str_eq(compile_err("[\"\\u${x}0000\"]", TPL_JSON),
	    "${x} at column 5 is inside an escape sequence");
	ck_assert_str_eq(compile_err("[\"\\${x}\"]", TPL_JSON),
	    "${x} at column 4 is inside an escape sequence");
	/* A value in a key could repeat an earlier key and override it. */
	ck_assert_str_eq(compile_err("{\"role\": \"user\", \"${data.k}\": 1}",
	    TPL_JSON), "${data.k} at column 19 is in an object key");
	ck_assert_str_eq(compile_err("[{\"a\": {}}, {\"b\": [1, \"${x}\"], "
	    "\"c${y}\": 2}]", TPL_JSON), "${y} at column 34 is in an object key");
	ck_assert_str_eq(compile_err("{\"a\": [{\"b\": \"${x}\"}, \"${y}\"], "
	    "\"c\": \"${z}\"}", TPL_JSON), "");
	ck_assert_str_eq(compile_err("[\"${x\"]", TPL_JSON),
	    "unclosed ${ at column 3");
	/* The same body is fine as text. */
	ck_assert_str_eq(compile_err("{\"a\": x${y}}", TPL_TEXT), "");
}
END_TEST

START_TEST(test_url)
{
	char *s;

	s = fill("http://h/m/${data.path}/x?q=${data.q}&n=${data.quantity}",
	    TPL_URL);
	ck_assert_str_eq(s, "http://h/m/..%2Fadmin/x?q=a%20b%26c%3Dd%23e&n=2");
	free(s);
	s = fill("http://h/m/${data.dots}/${data.uni}", TPL_URL);
	ck_assert_str_eq(s, "http://h/m/%2E%2E/Zo%C3%AB%20%E2%98%95%20"
	    "%F0%9F%98%80");
	free(s);
	s = fill("http://h/${data.nul}", TPL_URL);
	ck_assert_str_eq(s, "http://h/a%00b");
	free(s);
	ck_assert_ptr_null(fill("http://h/${data.nope}", TPL_URL));
	ck_assert_str_eq(err, "missing field data.nope");
}
END_TEST

/* Decodes one "=?UTF-8?B?...?=" word at s into out; returns its length. */
static size_t
ew_decode(const char *s, struct buf *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p, *end;
	unsigned v = 0;
	int bits = 0;

	ck_assert_int_eq(strncmp(s, "=?UTF-8?B?", 10), 0);
	end = strstr(s + 10, "?=");
	ck_assert_ptr_nonnull(end);
	for (p = s + 10; p < end && *p != '='; p++) {
		v = v << 6 | (unsigned)(strchr(tab, *p) - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)((v >> bits) & 0xff));
		}
	}
	return (size_t)(end + 2 - s);
}

/* What a mail reader shows: encoded words decoded, the space between two dropped. */
static char *
mail_decode(const char *s)
{
	struct buf b = BUF_INIT;
	int prev_ew = 0;

	buf_add(&b, "", 0);
	while (*s != '\0') {
		if (strncmp(s, "=?UTF-8?B?", 10) == 0) {
			if (prev_ew && b.len > 0 && b.p[b.len - 1] == ' ')
				b.p[--b.len] = '\0';
			s += ew_decode(s, &b);
			prev_ew = 1;
			continue;
		}
		if (*s != ' ')
			prev_ew = 0;
		buf_addc(&b, *s++);
	}
	return buf_take(&b);
}

START_TEST(test_mail_header)
{
	char *s, *d;
	const char *w;

	s = fill("${data.customerName} <${data.email}>", TPL_MAIL_HEADER);
	ck_assert_str_eq(s, "Ann <ann@example.com>");
	free(s);
	/* A comma would add a recipient: the value goes encoded, as one phrase. */
	s = fill("${data.list}", TPL_MAIL_HEADER);
	ck_assert_int_eq(strncmp(s, "=?UTF-8?B?", 10), 0);
	ck_assert_ptr_null(strchr(s, ','));
	ck_assert_ptr_null(strchr(s, '@'));
	d = mail_decode(s);
	ck_assert_str_eq(d, "ann@example.com, eve@evil.example");
	free(d);
	free(s);
	s = fill("${data.comma} <x@y.example>", TPL_MAIL_HEADER);
	ck_assert_str_eq(s, "=?UTF-8?B?RG9lLCBKb2hu?= <x@y.example>");
	free(s);
	s = fill("Hi ${data.uni}", TPL_MAIL_HEADER);
	ck_assert_str_eq(s, "Hi =?UTF-8?B?Wm/DqyDimJUg8J+YgA==?=");
	free(s);
	/* Something that looks like an encoded word is encoded itself. */
	s = fill("${data.ew}", TPL_MAIL_HEADER);
	d = mail_decode(s);
	ck_assert_str_eq(d, "=?UTF-8?B?QmNj?=");
	free(d);
	free(s);
	/* Line breaks never reach a header. */
	ck_assert_ptr_null(fill("Hello ${data.crlf}", TPL_MAIL_HEADER));
	ck_assert_str_eq(err, "the value holds a line break (refused: header "
	    "injection)");
	/* Literal non-ASCII words are encoded with their inner spaces. */
	s = fill("Merci ${data.customerName} \xe2\x80\x94 \xc3\xa0 bient\xc3\xb4t !",
	    TPL_MAIL_HEADER);
	for (w = s; *w != '\0'; w++)
		ck_assert((unsigned char)*w >= 0x20 && (unsigned char)*w < 0x7f);
	d = mail_decode(s);
	ck_assert_str_eq(d, "Merci Ann \xe2\x80\x94 \xc3\xa0 bient\xc3\xb4t !");
	free(d);
	free(s);
	/* Long values: words of at most 75 characters, UTF-8 never split. */
	s = fill("${data.uni}${data.uni}${data.uni}${data.uni}${data.uni}",
	    TPL_MAIL_HEADER);
	free(s);
	{
		struct buf b = BUF_INIT;
		char *p, *word;
		int i;

		for (i = 0; i < 40; i++)
			buf_adds(&b, "\xe2\x98\x95");
		p = buf_take(&b);
		tpl_rfc2047(&b, p, strlen(p));
		for (word = strtok(b.p, " "); word != NULL;
		    word = strtok(NULL, " ")) {
			struct buf one = BUF_INIT;

			ck_assert_uint_le(strlen(word), 75);
			ew_decode(word, &one);
			ck_assert_uint_eq(one.len % 3, 0);
			buf_free(&one);
		}
		buf_free(&b);
		free(p);
	}
}
END_TEST

START_TEST(test_text_and_arg)
{
	char *s;

	s = fill("${data.args}", TPL_ARG);
	ck_assert_str_eq(s, "a b 'c' * $(id) ;rm");
	free(s);
	s = fill("--id=${id} ${data.nul}", TPL_ARG);
	ck_assert_str_eq(s, "--id=ev-1 a\xef\xbf\xbd" "b");
	free(s);
	s = fill("${data.drinkName} x${data.location}", TPL_TEXT);
	ck_assert_str_eq(s, "\", \"admin\": true x{\"address\":\"1 Main St\","
	    "\"latitude\":52.52}");
	free(s);
	s = fill("$$ $5 $${id} $", TPL_TEXT);
	ck_assert_str_eq(s, "$ $5 ${id} $");
	free(s);
	/* The one-shot API. */
	s = template_expand("${id}/${type}", &ev, err, sizeof err);
	ck_assert_str_eq(s, "ev-1/request.created");
	free(s);
	ck_assert_ptr_null(template_expand("${data.nope}", &ev, err, sizeof err));
	ck_assert_str_eq(err, "missing field data.nope");
	ck_assert_int_eq(template_validate("a ${x.}", err, sizeof err), -1);
	ck_assert_str_eq(err, "invalid path \"x.\" at column 3");
	ck_assert_int_eq(template_validate("${", NULL, 0), -1);
}
END_TEST

START_TEST(test_compiled)
{
	struct tpl *t;

	t = tpl_compile("a ${x} $$ ${y.z}", TPL_URL, err, sizeof err);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(tpl_nfields(t), 2);
	ck_assert_str_eq(tpl_source(t), "a ${x} $$ ${y.z}");
	ck_assert_int_eq(tpl_mode(t), TPL_URL);
	ck_assert_str_eq(tpl_field(t, 0), "x");
	ck_assert_str_eq(tpl_field(t, 1), "y.z");
	ck_assert_ptr_null(tpl_field(t, 2));
	ck_assert(tpl_path_is_envelope("data.x.y"));
	ck_assert(tpl_path_is_envelope("id"));
	ck_assert(tpl_path_is_envelope("timestamp"));
	ck_assert(!tpl_path_is_envelope("HOME"));
	ck_assert(!tpl_path_is_envelope("database.x"));
	ck_assert(!tpl_path_is_envelope("ids"));
	tpl_free(t);
	tpl_free(NULL);
	ck_assert_str_eq(compile_err("Hello ${data", TPL_TEXT),
	    "unclosed ${ at column 7");
	ck_assert_str_eq(compile_err("x${}", TPL_ARG), "empty ${} at column 2");
	ck_assert_str_eq(compile_err("\xc3\xa9\xe2\x82\xac ${x", TPL_MAIL_HEADER),
	    "unclosed ${ at column 4");
}
END_TEST

/* A JSON body that is not JSON is a configuration error naming file:line. */
START_TEST(test_stage_config_errors)
{
	struct diag d = { 0 };
	struct stage *st;

	st = test_stage_compile(&d, "x", "action", "http", "url", "http://h/",
	    "body", "{\"drink\": \"${data.drinkName}\"", (char *)NULL);
	ck_assert_ptr_null(st);
	ck_assert(test_has_msg(&d, "t.conf:4: stage \"x\": body: not valid JSON "
	    "once each ${...} is null"));
	diag_free(&d);
	memset(&d, 0, sizeof d);
	st = test_stage_compile(&d, "x", "action", "kafka", "topic", "t",
	    "body", "{\"drink\": ${data.drinkName} x}", (char *)NULL);
	ck_assert_ptr_null(st);
	ck_assert(test_has_msg(&d, "t.conf:4: stage \"x\": body: not valid JSON"));
	diag_free(&d);
	/* Another Content-Type: the body is text, anything goes. */
	memset(&d, 0, sizeof d);
	st = test_stage_compile(&d, "x", "action", "http", "url", "http://h/",
	    "body", "drink=${data.drinkName}", "header",
	    "Content-Type: text/plain", (char *)NULL);
	ck_assert_ptr_nonnull(st);
	ck_assert_uint_eq(d.n, 0);
	stage_free(st);
	diag_free(&d);
	/* application/problem+json is JSON. */
	memset(&d, 0, sizeof d);
	st = test_stage_compile(&d, "x", "action", "http", "url", "http://h/",
	    "header", "Content-Type: application/problem+json; charset=utf-8",
	    "body", "drink=${data.drinkName}", (char *)NULL);
	ck_assert_ptr_null(st);
	ck_assert(test_has_msg(&d, "t.conf:5: stage \"x\": body: not valid JSON"));
	diag_free(&d);
}
END_TEST

/* An exec argument is one argument, whatever the value holds. */
START_TEST(test_exec_args)
{
	struct diag d = { 0 };
	struct stage *st;
	struct stage_ctx ctx;
	struct stopflag stopping = { 0 };
	char path[] = "/tmp/check_template.XXXXXX", *cmd, *got;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	close(fd);
	cmd = xasprintf("sh -c 'printf \"[%%s]\" \"$@\" > %s' sh "
	    "${data.args} --id=${id} '${data.customerName} x'", path);
	st = test_stage_compile(&d, "x", "action", "exec", "command", cmd, (char *)NULL);
	ck_assert_ptr_nonnull(st);
	memset(&ctx, 0, sizeof ctx);
	ctx.stopping = &stopping;
	ck_assert_int_eq(stage_run(st, &ev, &ctx, err, sizeof err), STAGE_OK);
	got = test_slurp(path);
	ck_assert_str_eq(got, "[a b 'c' * $(id) ;rm][--id=ev-1][Ann x]");
	free(got);
	stage_free(st);
	free(cmd);
	/* A missing field fails before anything runs. */
	cmd = xasprintf("touch %s.ran ${data.nope}", path);
	st = test_stage_compile(&d, "x", "action", "exec", "command", cmd, (char *)NULL);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(stage_run(st, &ev, &ctx, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "argument 2: missing field data.nope");
	free(cmd);
	cmd = xasprintf("%s.ran", path);
	ck_assert_int_ne(access(cmd, F_OK), 0);
	free(cmd);
	stage_free(st);
	/* A shell variable written as a field: a warning, and $$ for the shell. */
	st = test_stage_compile(&d, "x", "action", "exec", "command",
	    "sh -c 'echo ${HOME} $${PATH}' ${data.args}", (char *)NULL);
	ck_assert_ptr_nonnull(st);
	ck_assert_uint_eq(diag_errors(&d), 0);
	ck_assert_uint_eq(d.nwarn, 1);
	ck_assert(test_has_msg(&d, "t.conf:3: warning: stage \"x\": command: "
	    "${HOME} is a field of the event, not a shell variable (write "
	    "$${HOME} for the shell)"));
	stage_free(st);
	diag_free(&d);
	memset(&d, 0, sizeof d);
	/* And a bad one is a configuration error. */
	st = test_stage_compile(&d, "x", "action", "exec", "command", "run ${data..x}",
	    (char *)NULL);
	ck_assert_ptr_null(st);
	ck_assert(test_has_msg(&d, "t.conf:3: stage \"x\": command: invalid path"));
	diag_free(&d);
	unlink(path);
}
END_TEST

Suite *
suite_template(void)
{
	Suite *s = suite_create("template");
	TCase *tc;

	tc = tcase_create("buf");
	tcase_add_test(tc, test_buf_basics);
	tcase_add_test(tc, test_buf_json);
	tcase_add_test(tc, test_buf_pct);
	suite_add_tcase(s, tc);

	tc = tcase_create("modes");
	tcase_add_checked_fixture(tc, ev_setup, ev_teardown);
	tcase_add_test(tc, test_json_injection_in_string);
	tcase_add_test(tc, test_json_values_outside_quotes);
	tcase_add_test(tc, test_json_compile_errors);
	tcase_add_test(tc, test_url);
	tcase_add_test(tc, test_mail_header);
	tcase_add_test(tc, test_text_and_arg);
	tcase_add_test(tc, test_compiled);
	tcase_add_test(tc, test_stage_config_errors);
	tcase_add_test(tc, test_exec_args);
	suite_add_tcase(s, tc);
	return s;
}

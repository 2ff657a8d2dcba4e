/*
 * stage-smtp.c -- the `smtp` action: one e-mail per event (libcurl).
 *
 *	url = smtps://mail.sipeat.example:465
 *	from = SipEat <noreply@sipeat.example>
 *	to = ${data.email}, sales@sipeat.example	(comma-separated)
 *	subject = Thanks for contacting SipEat, ${data.name}
 *	body = Hello ${data.name}, we will get back to you soon.
 *	username = sipeatd				(optional)
 *	password = secret
 *	tls.verify = true				(default)
 *
 * Design. The message is built here, in full, as RFC 5322 wants it: Date,
 * Message-ID, From, To, Subject, MIME-Version and a UTF-8 text/plain body
 * in base64 (any byte is safe, no line is ever too long), CRLF line ends
 * throughout. from, to and subject are mail header templates (template.h):
 * a value that is not plain ASCII words or one address, and literal text
 * that is not ASCII, become RFC 2047 encoded words (=?UTF-8?B?...?=, at
 * most 75 characters, no UTF-8 sequence split), so a value can never add
 * a recipient or a header; the Subject is folded at spaces to 78
 * characters a line. The body is a plain text template. libcurl does the SMTP
 * dialogue (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA with dot-stuffing) on
 * the worker's handle, as the http action does.
 *
 * Header injection: a value with a CR or LF in from, to or subject fails
 * the stage naming the field (an event could otherwise add a Bcc). The Message-ID is derived from the event id and
 * the stage name, so a retry or a replay of the same event carries the same
 * one and receiving systems can drop the duplicate.
 *
 * Transport security: smtps:// is TLS from the start; smtp:// upgrades
 * with STARTTLS when the server offers it, and insists on it when a
 * username is set, so credentials never cross the network in clear.
 *
 * Outcome: accepted by the server. A 4xx reply, a timeout or a connection
 * error is transient; a 5xx reply or a refused login is permanent.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>

#include "buf.h"
#include "stage.h"
#include "stage-curl.h"
#include "template.h"
#include "util.h"

struct smtp {
	char	*url;
	struct tpl	*from;		/* TPL_MAIL_HEADER */
	struct tpl	*to;
	struct tpl	*subject;
	struct tpl	*body;		/* TPL_TEXT; NULL: the event JSON */
	char	*username;
	char	*password;
	int	 verify;
};

/* The message being uploaded, read by libcurl. */
struct smtp_upload {
	const char	*data;
	size_t		 len;
	size_t		 off;
};

/* A growing string. */
struct smtp_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static const char *const smtp_keys[] = {
	"url", "from", "to", "subject", "body", "username", "password",
	"tls.verify", NULL
};

static void
smtp_add(struct smtp_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
smtp_adds(struct smtp_buf *b, const char *s)
{
	smtp_add(b, s, strlen(s));
}

static void
smtp_free(struct stage *st)
{
	struct smtp *m = st->priv;

	if (m == NULL)
		return;
	free(m->url);
	tpl_free(m->from);
	tpl_free(m->to);
	tpl_free(m->subject);
	tpl_free(m->body);
	free(m->username);
	free(m->password);
	free(m);
	st->priv = NULL;
}

/* A required or optional template key: 0, or -1 when reported. */
static int
smtp_template_key(const struct stage *st, const struct stage_conf *sc,
    const char *key, int required, enum tpl_mode mode, struct tpl **out,
    const char *file, struct diag *d)
{
	const char *v;
	char errbuf[256];
	int line = sc->line;

	v = stage_conf_get(sc, key, &line);
	if (v == NULL) {
		if (!required)
			return 0;
		diag_add(d, file, sc->line, "stage \"%s\": smtp needs %s",
		    st->name, key);
		return -1;
	}
	if ((*out = tpl_compile(v, mode, errbuf, sizeof errbuf)) == NULL) {
		diag_add(d, file, line, "stage \"%s\": %s: %s", st->name, key,
		    errbuf);
		return -1;
	}
	return 0;
}

static int
smtp_check_url(const char *url, void *out, char *errbuf, size_t errsz)
{
	if (strncasecmp(url, "smtp://", 7) != 0 &&
	    strncasecmp(url, "smtps://", 8) != 0) {
		snprintf(errbuf, errsz, "must start with smtp:// or smtps://");
		return -1;
	}
	if (strstr(url, "${") != NULL) {
		snprintf(errbuf, errsz, "no ${...} allowed in an smtp url");
		return -1;
	}
	if (stage_curl_check_url(url, errbuf, errsz) != 0)
		return -1;
	*(char **)out = xstrdup(url);
	return 0;
}

static int
smtp_compile(struct stage *st, const struct stage_conf *sc, const char *file,
    struct diag *d)
{
	struct smtp *m;
	const char *v;
	int line = sc->line, rc = 0;

	m = xcalloc(1, sizeof *m);
	m->verify = 1;
	st->priv = m;

	if (stage_curl_conf_url(st, sc, file, d, smtp_check_url, &m->url) != 0)
		rc = -1;

	if (smtp_template_key(st, sc, "from", 1, TPL_MAIL_HEADER, &m->from,
	    file, d) != 0)
		rc = -1;
	if (smtp_template_key(st, sc, "to", 1, TPL_MAIL_HEADER, &m->to,
	    file, d) != 0)
		rc = -1;
	if (smtp_template_key(st, sc, "subject", 1, TPL_MAIL_HEADER,
	    &m->subject, file, d) != 0)
		rc = -1;
	if (smtp_template_key(st, sc, "body", 0, TPL_TEXT, &m->body, file,
	    d) != 0)
		rc = -1;

	v = stage_conf_get(sc, "username", &line);
	if (v != NULL)
		m->username = xstrdup(v);
	v = stage_conf_get(sc, "password", &line);
	if (v != NULL) {
		if (m->username == NULL) {
			diag_add(d, file, line, "stage \"%s\": password "
			    "without username", st->name);
			rc = -1;
		}
		m->password = xstrdup(v);
	}

	if (stage_curl_conf_verify(st, sc, file, d, "the mail server's "
	    "certificate is not checked", &m->verify) != 0)
		rc = -1;

	if (rc != 0)
		smtp_free(st);
	return rc;
}

/*
 * Expands one header template (a value holding CR or LF is refused by
 * the template). NULL with err naming the field.
 */
static char *
smtp_expand_header(const char *field, const struct tpl *tmpl,
    const struct event *ev, char *err, size_t errsz)
{
	char *v, why[256];

	v = tpl_expand(tmpl, ev, why, sizeof why);
	if (v == NULL) {
		snprintf(err, errsz, "%s: %s", field, why);
		return NULL;
	}
	/* Literal text cannot hold one; never let a header be split. */
	if (strpbrk(v, "\r\n") != NULL) {
		snprintf(err, errsz, "%s: the value holds a line break "
		    "(refused: header injection)", field);
		free(v);
		return NULL;
	}
	return v;
}

/*
 * The address of one mailbox: "Name <a@b>" gives a@b, "a@b" itself.
 * Returns a new string, or NULL when it does not look like an address.
 */
static char *
smtp_mailbox_address(const char *s, size_t len)
{
	const char *lt, *gt, *end = s + len;
	size_t i;
	char *addr;

	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	lt = memchr(s, '<', (size_t)(end - s));
	if (lt != NULL) {
		gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL || gt + 1 != end)
			return NULL;
		s = lt + 1;
		end = gt;
	}
	addr = xstrndup(s, (size_t)(end - s));
	if (addr[0] == '\0' || strchr(addr, '@') == NULL ||
	    addr[0] == '@' || addr[strlen(addr) - 1] == '@') {
		free(addr);
		return NULL;
	}
	for (i = 0; addr[i] != '\0'; i++) {
		if (isspace((unsigned char)addr[i]) ||
		    strchr("<>,;\"", addr[i]) != NULL) {
			free(addr);
			return NULL;
		}
	}
	return addr;
}

/* "Date: Tue, 15 Jul 2023 14:30:45 +0000", without the locale. */
static void
smtp_date(char *buf, size_t size)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static uint64_t
smtp_fnv1a(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void
smtp_base64(struct smtp_buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char out[4];
	uint32_t v;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[0] = tab[v >> 18];
		out[1] = tab[(v >> 12) & 63];
		out[2] = tab[(v >> 6) & 63];
		out[3] = tab[v & 63];
		smtp_add(b, out, 4);
	}
	if (i < n) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		out[0] = tab[v >> 18];
		out[1] = tab[(v >> 12) & 63];
		out[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[3] = '=';
		smtp_add(b, out, 4);
	}
}

/*
 * "Subject: ..." with its CRLF. The expanded template is printable ASCII
 * (its non-ASCII text already encoded words): folded at spaces so that no
 * line passes 78 characters where a word allows. Anything else (control
 * characters) is encoded whole as RFC 2047 encoded words, one per line.
 */
static void
smtp_subject(struct smtp_buf *b, const char *s)
{
	struct buf enc = BUF_INIT;
	const char *p, *w;
	size_t col, n, i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			break;
	}
	if (s[i] != '\0') {
		tpl_rfc2047(&enc, s, strlen(s));
		s = enc.p;
	}
	smtp_adds(b, "Subject:");
	col = 8;
	for (p = s;; p = w + 1) {
		w = strchr(p, ' ');
		n = w != NULL ? (size_t)(w - p) : strlen(p);
		/* The space before a word is where a line may fold. */
		if (col > 0 && col + 1 + n > 78) {
			smtp_adds(b, "\r\n");
			col = 0;
		}
		smtp_adds(b, " ");
		smtp_add(b, p, n);
		col += 1 + n;
		if (w == NULL)
			break;
	}
	smtp_adds(b, "\r\n");
	buf_free(&enc);
}

/* The text with every line end (LF, CR or CRLF) made CRLF. */
static void
smtp_crlf(struct smtp_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\r') {
			if (s[1] == '\n')
				s++;
			smtp_adds(b, "\r\n");
		} else if (*s == '\n')
			smtp_adds(b, "\r\n");
		else
			smtp_add(b, s, 1);
	}
}

/* The domain of the From address for the Message-ID, or a safe one. */
static void
smtp_domain(const char *from_addr, char *buf, size_t size)
{
	const char *at = strrchr(from_addr, '@');
	size_t i, n = 0;

	if (at != NULL) {
		for (i = 1; at[i] != '\0' && n + 1 < size; i++) {
			if (isalnum((unsigned char)at[i]) || at[i] == '.' ||
			    at[i] == '-')
				buf[n++] = at[i];
		}
	}
	buf[n] = '\0';
	if (n == 0)
		snprintf(buf, size, "sipeatd.invalid");
}

/* The whole message, headers and base64 body, CRLF throughout. */
static char *
smtp_message(const struct stage *st, const struct event *ev,
    const char *from, const char *from_addr, const char *to,
    const char *subject, const char *body, size_t *len)
{
	struct smtp_buf b = { NULL, 0, 0 }, text = { NULL, 0, 0 };
	char date[64], domain[256], *line;
	uint64_t h1, h2;
	size_t i, n;

	smtp_date(date, sizeof date);
	smtp_domain(from_addr, domain, sizeof domain);
	h1 = smtp_fnv1a(smtp_fnv1a(14695981039346656037ULL, ev->id), st->name);
	h2 = smtp_fnv1a(smtp_fnv1a(h1 ^ 0x5bd1e995ULL, st->name), ev->id);

	smtp_add(&b, "", 0);
	line = xasprintf("Date: %s\r\n"
	    "From: %s\r\n"
	    "To: %s\r\n"
	    "Message-ID: <%016llx%016llx.sipeatd@%s>\r\n",
	    date, from, to, (unsigned long long)h1, (unsigned long long)h2,
	    domain);
	smtp_adds(&b, line);
	free(line);
	smtp_subject(&b, subject);
	smtp_adds(&b, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n");
	/* The same value as http's Idempotency-Key, for the curious. */
	if (strpbrk(ev->id, "\r\n") == NULL) {
		line = xasprintf("X-SipEat-Event: %s/%s\r\n", ev->id, st->name);
		smtp_adds(&b, line);
		free(line);
	}
	smtp_adds(&b, "\r\n");

	smtp_add(&text, "", 0);
	smtp_crlf(&text, body);
	/* 57 bytes make one 76-character base64 line. */
	for (i = 0; i < text.len; i += n) {
		n = text.len - i < 57 ? text.len - i : 57;
		smtp_base64(&b, (const unsigned char *)text.p + i, n);
		smtp_adds(&b, "\r\n");
	}
	free(text.p);
	*len = b.len;
	return b.p;
}

static size_t
smtp_read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct smtp_upload *u = arg;
	size_t len = size * n;

	if (len > u->len - u->off)
		len = u->len - u->off;
	memcpy(buf, u->data + u->off, len);
	u->off += len;
	return len;
}

/*
 * The envelope recipients of to, each "<addr>". NULL with err when one is
 * not an address.
 */
static struct curl_slist *
smtp_recipients(const char *to, char *err, size_t errsz)
{
	struct curl_slist *list = NULL, *n;
	const char *p = to;
	char *addr, *rcpt;
	size_t len;

	for (;;) {
		len = strcspn(p, ",");
		if (strspn(p, " \t") < len) {
			addr = smtp_mailbox_address(p, len);
			if (addr == NULL) {
				snprintf(err, errsz, "to: \"%.*s\" is not an "
				    "e-mail address", (int)(len > 100 ? 100 :
				    len), p);
				curl_slist_free_all(list);
				return NULL;
			}
			rcpt = xasprintf("<%s>", addr);
			n = curl_slist_append(list, rcpt);
			free(rcpt);
			free(addr);
			if (n == NULL) {
				snprintf(err, errsz, "out of memory");
				curl_slist_free_all(list);
				return NULL;
			}
			list = n;
		}
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (list == NULL)
		snprintf(err, errsz, "to: no recipient");
	return list;
}

static enum stage_status
smtp_run(const struct stage *st, const struct event *ev,
    struct stage_ctx *ctx, char *err, size_t errsz)
{
	const struct smtp *m = st->priv;
	struct smtp_upload up = { NULL, 0, 0 };
	struct curl_slist *rcpt = NULL;
	char errbuf[CURL_ERROR_SIZE], why[256], *from = NULL, *to = NULL;
	char *subject = NULL, *body = NULL, *from_addr = NULL, *msg = NULL;
	char *mail_from = NULL;
	enum stage_status status = STAGE_FAIL;
	CURLcode cc;
	CURL *curl = NULL;
	long code = 0;

	from = smtp_expand_header("from", m->from, ev, err, errsz);
	if (from == NULL)
		goto out;
	to = smtp_expand_header("to", m->to, ev, err, errsz);
	if (to == NULL)
		goto out;
	subject = smtp_expand_header("subject", m->subject, ev, err, errsz);
	if (subject == NULL)
		goto out;
	if (m->body != NULL) {
		body = tpl_expand(m->body, ev, why, sizeof why);
		if (body == NULL) {
			snprintf(err, errsz, "body: %s", why);
			goto out;
		}
	} else
		body = xstrdup(event_json(ev));
	from_addr = smtp_mailbox_address(from, strlen(from));
	if (from_addr == NULL || strchr(from, ',') != NULL) {
		snprintf(err, errsz, "from: \"%.100s\" is not one e-mail "
		    "address", from);
		goto out;
	}
	rcpt = smtp_recipients(to, err, errsz);
	if (rcpt == NULL)
		goto out;
	msg = smtp_message(st, ev, from, from_addr, to, subject, body,
	    &up.len);
	up.data = msg;

	curl = stage_curl_begin(st, ctx, "smtp,smtps", m->verify, errbuf, err,
	    errsz);
	if (curl == NULL) {
		status = STAGE_TRANSIENT;
		goto out;
	}
	mail_from = xasprintf("<%s>", from_addr);
	curl_easy_setopt(curl, CURLOPT_URL, m->url);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, smtp_read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
	if (strncasecmp(m->url, "smtp://", 7) == 0)
		curl_easy_setopt(curl, CURLOPT_USE_SSL, m->username != NULL ?
		    (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	if (m->username != NULL)
		curl_easy_setopt(curl, CURLOPT_USERNAME, m->username);
	if (m->password != NULL)
		curl_easy_setopt(curl, CURLOPT_PASSWORD, m->password);

	cc = curl_easy_perform(curl);
	if (cc == CURLE_OK) {
		status = STAGE_OK;
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	status = stage_curl_failure(st, cc, errbuf, err, errsz);
	/* The server's reply code says more than libcurl's error class. */
	if (cc != CURLE_OPERATION_TIMEDOUT && cc != CURLE_ABORTED_BY_CALLBACK) {
		if (code >= 400 && code < 500)
			status = STAGE_TRANSIENT;
		else if (code >= 500 && code < 600)
			status = STAGE_FAIL;
	}

out:
	stage_curl_end(ctx, curl);
	curl_slist_free_all(rcpt);
	free(mail_from);
	free(msg);
	free(from_addr);
	free(body);
	free(subject);
	free(to);
	free(from);
	return status;
}

const struct stage_action stage_smtp_action = {
	.name = "smtp",
	.compile = smtp_compile,
	.run = smtp_run,
	.free = smtp_free,
	.keys = smtp_keys,
};

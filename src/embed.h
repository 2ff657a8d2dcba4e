/*
 * embed.h -- Discord embeds (SPEC section 4) and webhook payloads: titles,
 * humanized field names, and every Discord limit, counted in UTF-16 code
 * units (as discord.js counts) and never cutting a UTF-8 sequence or a
 * surrogate pair. Pure: no I/O.
 *
 * Design: every embed, an event's or a synthetic one (struct embed_spec),
 * goes through one layout and one JSON writer; json-c only reads the
 * event's data, it never writes an embed or a payload.
 *
 * Threads: any; every function works on the caller's data only, beside
 * per-thread memos (_Thread_local, never shared): the last payload
 * envelope, recent titles, humanized keys and the last second's
 * timestamp text. embed_build_json(): the thread owning in->data.
 */
#ifndef SIPEAT_EMBED_H
#define SIPEAT_EMBED_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#define EMBED_COLOR_OK		3066993
#define EMBED_COLOR_FAIL	15158332
#define EMBED_MAX_TITLE		256
#define EMBED_MAX_DESC		4096
#define EMBED_MAX_FIELDS	25
#define EMBED_MAX_FIELD_NAME	256
#define EMBED_MAX_FIELD_VALUE	1024
#define EMBED_MAX_FOOTER	2048
#define EMBED_MAX_TOTAL		6000	/* over all embeds of one message */
#define EMBED_MAX_PER_MESSAGE	10
#define EMBED_MAX_CONTENT	2000	/* a message's plain text */
#define EMBED_COLOR_DIGEST	5793266	/* Discord blurple: neither good nor bad */

struct embed_event {
	const char	*type;		/* event type, "invalid" for invalid events */
	const char	*icon;		/* handler icon; "⚠️" for invalid events */
	const char	*title;		/* handler title; "Invalid event" for invalid */
	int		 success;
	const char	*error;		/* reason, when !success */
	json_object	*data;		/* fields to show, in order; may be NULL */
	const char	*event_id;
	time_t		 finished;	/* when processing finished */
};

/*
 * The embed of one event as compact JSON, every limit applied (a single
 * embed is also kept under EMBED_MAX_TOTAL by shortening the longest
 * values first), written straight from its layout: no json-c tree.
 * Returns a newly allocated string (caller frees) and stores its
 * character count in UTF-16 units, as discord.js counts it (title,
 * description, field names and values, footer text), in *chars (if not
 * NULL): what the notifier adds up against the 6000 of one message. The
 * thread owning in->data only (json-c may cache serialisations inside it).
 */
char		*embed_build_json(const struct embed_event *in, size_t *chars);

/* Whether a field sits beside the others. */
enum embed_inline {
	EMBED_INLINE_AUTO,	/* when its value is short, as an event's fields */
	EMBED_INLINE_NO,
	EMBED_INLINE_YES
};

struct embed_field {
	const char		*name;
	const char		*value;
	enum embed_inline	 inl;
};

/*
 * An embed that stands for no single event (the overload digest, the
 * overflow of failures, a group of failures, --test-discord's rich
 * embed): the caller's text, laid out, limited and written by the same
 * code as an event's embed, so every Discord limit is applied in one
 * place. Strings are borrowed for the call; any of them may be invalid
 * UTF-8 or too long: they are cleaned and cut like event text (an empty
 * one shows as "—").
 */
struct embed_spec {
	const char			*title;
	const char			*description;	/* NULL: none */
	int				 color;
	const struct embed_field	*fields;
	size_t				 nfields;	/* past 25: the 25th is "… and N more fields" */
	const char			*footer;	/* NULL: none */
	time_t				 timestamp;
};

/* The embed of a spec; returns and counts as embed_build_json(). Any thread. */
char		*embed_write(const struct embed_spec *in, size_t *chars);

/*
 * The webhook payload from embeds already serialized as compact JSON (the
 * workers serialize their own embed, so the notifier only concatenates):
 * {"username":..., "avatar_url":..., "embeds":[...],
 * "allowed_mentions":{"parse":[]}}, username (cut to Discord's 80) and
 * avatar_url omitted when NULL or empty. allowed_mentions is always the
 * last member (webhook.c replaces it). Returns a newly allocated string.
 */
char		*embed_payload_json(const char *const *embeds, size_t n,
		     const char *username, const char *avatar_url);
/*
 * embed_payload_json() with tail (tlen bytes) in place of its last
 * member and closing brace: the payload is written once, straight into
 * its one buffer (webhook_payload()). tail must be JSON members and "}".
 */
char		*embed_payload_json_tail(const char *const *embeds, size_t n,
		     const char *username, const char *avatar_url,
		     const char *tail, size_t tlen);
/*
 * A plain-text message, the same envelope with "content" (cut to
 * Discord's 2000) in place of "embeds". Caller frees.
 */
char		*embed_payload_text(const char *content, const char *username,
		     const char *avatar_url);
/* embed_payload_text() with tail in place, as embed_payload_json_tail(). */
char		*embed_payload_text_tail(const char *content,
		     const char *username, const char *avatar_url,
		     const char *tail, size_t tlen);

/* "companyName" -> "Company Name", "machineId" -> "Machine ID". Caller frees. */
char		*embed_humanize(const char *key);
/*
 * Newly allocated copy of s (len bytes; a NUL inside is a character)
 * holding at most max UTF-16 units; when cut, the last one is "…". Never
 * splits a UTF-8 sequence or a surrogate pair. Empty s gives "—". Invalid
 * UTF-8 and control characters other than tab and newline become U+FFFD,
 * one per bad byte or character, so the result is always valid UTF-8
 * without a NUL (Discord rejects anything else).
 */
char		*embed_text(const char *s, size_t len, size_t max);
/* RFC 3339 UTC, "2026-11-26T15:37:17Z"; buf of at least 21 bytes. */
void		 embed_timestamp(time_t t, char *buf, size_t bufsize);

#endif

/*
 * embed.h -- Discord embeds (SPEC section 4) and webhook payloads: titles,
 * humanized field names, and every Discord limit, counted in UTF-16 code
 * units (as discord.js counts) and never cutting a UTF-8 sequence or a
 * surrogate pair. Pure: no I/O.
 *
 * Threads: any; every function works on the caller's data only, beside
 * per-thread memos (_Thread_local, never shared): the last payload
 * envelope, recent titles, humanized keys and the last second's
 * timestamp text.
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
 * Builds one embed with every limit applied (a single embed is also kept
 * under EMBED_MAX_TOTAL by shortening the longest values first). Returns a
 * new object (caller owns) and stores its character count in UTF-16 units,
 * as discord.js counts it (title, description, field names and values,
 * footer text), in *chars: what the notifier adds up against the 6000 of
 * one message.
 */
json_object	*embed_build(const struct embed_event *in, size_t *chars);
/*
 * The same embed as compact JSON, byte for byte embed_to_json() of
 * embed_build(), written straight from the layout without a json-c tree
 * (the workers' hot path). Returns a newly allocated string (caller
 * frees) and the character count in *chars (if not NULL). The thread
 * owning in->data only (json-c may cache serialisations inside it).
 */
char		*embed_build_json(const struct embed_event *in, size_t *chars);

/* One digest entry: how many events of a type were folded. */
struct embed_digest_row {
	const char	*type;
	unsigned long	 processed;	/* succeeded */
	unsigned long	 failed;
};
/* "📊 N events processed" with one field per type ("120 processed, 0 failed"). */
json_object	*embed_digest(const struct embed_digest_row *rows, size_t nrows,
		     time_t end, size_t *chars);

/*
 * The webhook payload: {"username":..., "avatar_url":..., "embeds":[...],
 * "allowed_mentions":{"parse":[]}} (username/avatar_url omitted when NULL).
 * embeds are borrowed. Returns a newly allocated compact JSON string.
 */
char		*embed_payload(json_object *const *embeds, size_t n,
		     const char *username, const char *avatar_url);

/*
 * The same payload from embeds already serialized as compact JSON (the
 * workers serialize their own embed, so the notifier only concatenates).
 */
char		*embed_payload_json(const char *const *embeds, size_t n,
		     const char *username, const char *avatar_url);
/* An embed as compact JSON, as embed_payload() writes it. Caller frees. */
char		*embed_to_json(json_object *embed);

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

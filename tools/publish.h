/*
 * publish.h -- the two halves of sipeat-publish: sipeat-publish.c (the
 * options, the producer, stdin) and publish-gen.c (what an event holds:
 * the envelope built from flags, ids, timestamps and keys). The tool is
 * single-threaded: everything here runs on its main thread.
 */
#ifndef SIPEAT_PUBLISH_H
#define SIPEAT_PUBLISH_H

#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#include "util.h"

#define EX_USAGE_	64
#define EX_UNAVAILABLE_	69

/* An event type, its default topic and the data field used as key. */
struct event_type {
	const char	*type;
	const char	*topic;
	const char	*key;
};

/* sipeat-publish.c */
void		 publish_usage(FILE *fp);
/* Prints "sipeat-publish: MESSAGE" and the usage, and exits 64. */
void		 publish_usage_error(const char *fmt, ...)
		     SIPEAT_PRINTFLIKE(1, 2) __attribute__((noreturn));

/* publish-gen.c */
/* JSON whitespace (RFC 8259). */
int		 publish_is_blank(char c);
/*
 * Parses s as one complete JSON text with tok.  Returns the new object (the
 * caller owns it; NULL is also the JSON null) and sets *ok to 1, or sets
 * *ok to 0 and *why to a static description.
 */
json_object	*publish_parse_json(json_tokener *tok, const char *s,
		     size_t len, int *ok, const char **why);
/* A random (version 4) UUID in its 36-character form into out[37]. */
void		 publish_uuid_v4(char out[37]);
/* The current time as RFC 3339 UTC; a static buffer. */
const char	*publish_timestamp_now(void);
/* The known type named type, or NULL. */
const struct event_type *publish_find_type(const char *type);
/* data.<et->key> of obj as a string (owned by obj), or NULL. */
const char	*publish_event_key(json_object *obj,
		     const struct event_type *et);
/*
 * The object text s (len bytes, just parsed as an object) into *bufp with
 * "id" and "timestamp" put first where missing; returns its length.
 */
size_t		 publish_splice_envelope(char **bufp, size_t *capp,
		     const char *s, size_t len, int has_id, int has_ts);
/*
 * The event of command argv[0] built from its flags: the envelope (the
 * caller owns it), *topicp and *keyp; exits 64 on a usage error.
 */
json_object	*publish_build_event(int argc, char **argv,
		     const char *topic_arg, const char **topicp,
		     const char **keyp);

#endif

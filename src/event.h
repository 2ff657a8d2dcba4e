/*
 * event.h -- the SipEat envelope (SPEC section 2): parsing with json-c under
 * a depth limit and strict UTF-8, field access by path, the required data
 * fields of the three built-in types (templates: template.h).
 *
 * Threads: any; a struct event belongs to the worker that parsed it.
 * event_path_new and event_path_free: main (configuration); a compiled
 * path is read-only after, shared by every worker.
 */
#ifndef SIPEAT_EVENT_H
#define SIPEAT_EVENT_H

#include <stddef.h>
#include <json-c/json.h>

#define EVENT_DEPTH_MAX	64	/* deeper JSON is invalid, never a stack overflow */
#define EVENT_ID_MAX	256

#define EVENT_MEMBERS	12	/* envelope members kept without a root object */

/* One member of the envelope: key (in keys) and value (NULL: JSON null). */
struct event_member {
	const char	*key;
	json_object	*v;
};

/*
 * The envelope is either one json-c tree, root, or -- what the fast
 * parser gives, to spare building and freeing a root object per event --
 * its members, each its own tree, from which event_json() makes root
 * only when it is asked for (root then owns them). Read it through
 * event_lookup() and event_json(), never through root.
 */
struct event {
	json_object	*root;		/* owned: the whole envelope, or NULL */
	struct event_member members[EVENT_MEMBERS];	/* owned while root is NULL */
	size_t		 nmembers;
	json_object	*data;		/* borrowed: the "data" object */
	const char	*type;		/* borrowed from the envelope */
	const char	*id;		/* borrowed from the envelope, or points at idbuf */
	const char	*timestamp;	/* as shown (see event_parse()), or NULL */
	json_object	*idobj;		/* owned: fallback id as a JSON string, or NULL */
	json_object	*tsobj;		/* owned: timestamp text made here, or NULL */
	char		*keys;		/* owned: the envelope's keys (event-fast.c), or NULL */
	char		 idbuf[EVENT_ID_MAX];
};

/*
 * Parses one message value of len bytes (not NUL-terminated). fallback_id
 * ("TOPIC/PARTITION/OFFSET") becomes the id when the envelope has none.
 * Returns 0, or -1 with ev cleared and errstr saying why the event is
 * invalid: "not valid JSON: ...", "not a JSON object", "missing \"type\"",
 * "\"type\" is not a string", "missing \"data\"", "\"data\" is not an object",
 * "\"id\" is not a string or an integer", "invalid UTF-8", "nested deeper
 * than 64 levels"; also "\"type\" is empty", "\"type\" contains a control
 * character", "\"id\" is empty", "\"id\" is longer than 255 bytes", "\"id\"
 * contains a control character". A NUL byte anywhere in buf is invalid
 * JSON (an escaped \u0000 in a string is not). "id" or "timestamp" set to
 * null count as absent. An integer id is ev->id in decimal ("12345");
 * event_lookup(ev, "id") then gives the envelope's number. The timestamp
 * never makes an event invalid (SPEC section 2): ev->timestamp is a
 * string as given, a number as milliseconds since the epoch in ISO 8601
 * UTC ("2023-07-15T14:30:45.123Z", as JavaScript's toISOString()), and
 * anything else (a number outside years 0-9999, true, {}) as its JSON
 * text; event_lookup(ev, "timestamp") gives the envelope's value. After a
 * failure ev->id still points at ev->idbuf holding the best id known (the
 * envelope's if valid, else fallback_id), for the invalid-event
 * notification; event_clear() is then harmless. ev must not be copied by
 * value (id may point into ev->idbuf).
 */
int		 event_parse(struct event *ev, const char *buf, size_t len,
		     const char *fallback_id, char *errstr, size_t errsz);
void		 event_clear(struct event *ev);
/*
 * Checks the required data fields of contact.created, request.created and
 * machine.created (SPEC section 2). Other types have none. Returns 0, or -1
 * with errstr "missing required field data.email".
 */
int		 event_check_required(const struct event *ev, char *errstr, size_t errsz);
/* Value at a dotted path from the envelope root: "data.location.address", "id". */
json_object	*event_lookup(const struct event *ev, const char *path);
/* Path exists and is not null, false, "" , 0-length array or object. */
int		 event_truthy(const struct event *ev, const char *path);
/*
 * A dotted path compiled once, at configuration time, for the stages
 * (validate's fields, `when`): event_lookup_path() gives what
 * event_lookup() gives for the same text, without splitting it per
 * event. event_path_new() never fails (a path with an empty segment
 * finds nothing); free with event_path_free() (NULL is fine).
 */
struct event_path;
struct event_path *event_path_new(const char *path);
void		 event_path_free(struct event_path *p);
/* The text the path was made from. */
const char	*event_path_text(const struct event_path *p);
json_object	*event_lookup_path(const struct event *ev, const struct event_path *p);
int		 event_truthy_path(const struct event *ev, const struct event_path *p);
/* The envelope as compact JSON (owned by ev, valid until event_clear). */
const char	*event_json(const struct event *ev);
/*
 * event-fast.c, for event.c and its tests: the tree json-c's tokener
 * would give for plain JSON (no NUL, valid UTF-8 already checked), or
 * NULL when the bytes are anything else and json-c must decide. The
 * tree's keys live in *keys: free() it after json_object_put() of the
 * root, never before.
 */
json_object	*event_fast_parse(const char *buf, size_t len, char **keys);
/*
 * For event.c: the envelope as members (struct event), no root object
 * built, noting the members event_parse() reads as the parse meets them:
 * each value borrowed from members (NULL for JSON null), its bit in found
 * when the key is present. Returns 1 with *n members in m (the caller owns
 * their values; a repeated key keeps its first place and its last value,
 * as json-c does), 0 when the bytes are not plain JSON (json-c decides),
 * -1 when they are but the envelope has more than EVENT_MEMBERS members
 * or none (then event_fast_parse() builds the tree).
 */
#define EVENT_FAST_ID		0x1
#define EVENT_FAST_TYPE		0x2
#define EVENT_FAST_DATA		0x4
#define EVENT_FAST_TIMESTAMP	0x8
struct event_fast_root {
	json_object	*id, *type, *data, *timestamp;
	unsigned	 found;
};
int		 event_fast_parse_members(const char *buf, size_t len, char **keys,
		     struct event_member *m, size_t *n, struct event_fast_root *r);
/* event-lookup.c, for event.c: a member of obj by key of len bytes. */
int		 event_obj_find(json_object *obj, const char *key, size_t len,
		     json_object **v);
#define EVENT_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

#endif

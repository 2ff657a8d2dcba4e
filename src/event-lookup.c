/*
 * event-lookup.c -- reading a parsed envelope (event.h): values at dotted
 * paths, compiled paths for the stages, truthiness, the envelope as JSON.
 *
 * Design: an envelope is held as one json-c tree (root) or, as the fast
 * parser leaves it, as its members without a root object; every reader
 * here takes either. A path's first segment picks the member ("data"
 * being ev->data, found at parse time), the rest walks json-c objects:
 * a segment of digits indexes an array. The root object is built only
 * when the whole envelope is wanted (event_json(): http, exec and kafka
 * bodies), once per event, on the owning thread.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "util.h"

#define LOOKUP_LINEAR	8	/* objects up to this size: no hashing */

/*
 * json_object_object_get_ex() for a key of len bytes (not NUL-terminated):
 * 1 with *v (NULL for JSON null) when obj has it, else 0. A small object
 * (an envelope, an event's data) is searched in order: cheaper than
 * json-c's hash of the key, same answer (keys are unique in an object).
 */
int
event_obj_find(json_object *obj, const char *key, size_t len, json_object **v)
{
	char	 small[128], *k;
	int	 found;

	if (json_object_object_length(obj) <= LOOKUP_LINEAR) {
		json_object_object_foreach(obj, name, val) {
			/* The first byte settles most mismatches. */
			if (len == 0 ? name[0] == '\0' : name[0] == key[0] &&
			    strncmp(name, key, len) == 0 && name[len] == '\0') {
				*v = val;
				return 1;
			}
		}
		*v = NULL;
		return 0;
	}
	if (len < sizeof small) {
		memcpy(small, key, len);
		small[len] = '\0';
		k = small;
	} else
		k = xstrndup(key, len);
	found = json_object_object_get_ex(obj, k, v);
	if (k != small)
		free(k);
	return found;
}

/* One step of a path: a key of an object, or an index of an array. */
static json_object *
lookup_step(json_object *cur, const char *seg, size_t len)
{
	json_object	*v;
	size_t		 i, idx = 0;

	if (json_object_is_type(cur, json_type_array)) {
		if (len == 0 || len > 9)
			return NULL;
		for (i = 0; i < len; i++) {
			if (!isdigit((unsigned char)seg[i]))
				return NULL;
			idx = idx * 10 + (size_t)(seg[i] - '0');
		}
		if (idx >= json_object_array_length(cur))
			return NULL;
		return json_object_array_get_idx(cur, idx);
	}
	if (!json_object_is_type(cur, json_type_object))
		return NULL;
	return event_obj_find(cur, seg, len, &v) ? v : NULL;
}

/*
 * The envelope's member key (len bytes): 1 with *v, or 0. Members
 * without a root are searched in order (a dozen at most), else the root.
 */
static int
member(const struct event *ev, const char *key, size_t len, json_object **v)
{
	size_t i;

	if (ev->root != NULL)
		return event_obj_find(ev->root, key, len, v);
	for (i = 0; i < ev->nmembers; i++) {
		if (strncmp(ev->members[i].key, key, len) == 0 &&
		    ev->members[i].key[len] == '\0') {
			*v = ev->members[i].v;
			return 1;
		}
	}
	*v = NULL;
	return 0;
}

/*
 * A path's first segment (len bytes): "data", found once by
 * event_parse(), or a member of the envelope. 1 with *v, or 0.
 */
static int
first_member(const struct event *ev, const char *seg, size_t len,
    json_object **v)
{
	if (len == 4 && ev->data != NULL && memcmp(seg, "data", 4) == 0) {
		*v = ev->data;
		return 1;
	}
	return member(ev, seg, len, v);
}

/* Whether ev holds a parsed envelope. */
static int
parsed(const struct event *ev)
{
	return ev->root != NULL || ev->nmembers > 0;
}

/*
 * Value at a dotted path from the root, borrowed from ev (NULL if absent
 * or JSON null). "id" is always there: the envelope's or the fallback.
 * Owning thread (json-c objects are not thread-safe).
 */
json_object *
event_lookup(const struct event *ev, const char *path)
{
	json_object	*cur;
	const char	*p, *dot;
	size_t		 len;

	if (!parsed(ev) || path == NULL || *path == '\0')
		return NULL;
	if (strcmp(path, "id") == 0 && ev->idobj != NULL)
		return ev->idobj;
	dot = strchr(path, '.');
	len = dot != NULL ? (size_t)(dot - path) : strlen(path);
	if (len == 0 || !first_member(ev, path, len, &cur))
		return NULL;
	for (p = dot; cur != NULL && p != NULL; p = dot) {
		p++;
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (len == 0)
			return NULL;
		cur = lookup_step(cur, p, len);
	}
	return cur;
}

struct event_path_seg {
	const char	*s;		/* into text */
	size_t		 len;
};

struct event_path {
	char			*text;
	int			 none;	/* an empty segment: finds nothing */
	int			 id;	/* "id": the fallback id object first */
	size_t			 nseg;
	struct event_path_seg	*seg;
};

/* Splits path at its dots once. Main thread (configuration). */
struct event_path *
event_path_new(const char *path)
{
	struct event_path *p = xcalloc(1, sizeof *p);
	const char *s, *dot;

	p->text = xstrdup(path != NULL ? path : "");
	p->none = p->text[0] == '\0';
	p->id = strcmp(p->text, "id") == 0;
	for (s = p->text; !p->none; s = dot + 1) {
		dot = strchr(s, '.');
		p->seg = xreallocarray(p->seg, p->nseg + 1, sizeof *p->seg);
		p->seg[p->nseg].s = s;
		p->seg[p->nseg].len = dot != NULL ? (size_t)(dot - s) : strlen(s);
		if (p->seg[p->nseg++].len == 0)
			p->none = 1;
		if (dot == NULL)
			break;
	}
	return p;
}

void
event_path_free(struct event_path *p)
{
	if (p == NULL)
		return;
	free(p->seg);
	free(p->text);
	free(p);
}

const char *
event_path_text(const struct event_path *p)
{
	return p->text;
}

/*
 * event_lookup() of p's text, its splitting done (keep the two alike).
 * Owning thread of ev.
 */
json_object *
event_lookup_path(const struct event *ev, const struct event_path *p)
{
	json_object	*cur;
	size_t		 i;

	if (!parsed(ev) || p->none)
		return NULL;
	if (p->id && ev->idobj != NULL)
		return ev->idobj;
	if (!first_member(ev, p->seg[0].s, p->seg[0].len, &cur))
		return NULL;
	for (i = 1; cur != NULL && i < p->nseg; i++)
		cur = lookup_step(cur, p->seg[i].s, p->seg[i].len);
	return cur;
}

/* Whether v, found at some path, counts as given (event_truthy()). */
static int
value_truthy(json_object *v)
{
	if (v == NULL)
		return 0;
	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		return json_object_get_boolean(v) ? 1 : 0;
	case json_type_string:
		return json_object_get_string_len(v) > 0;
	case json_type_array:
		return json_object_array_length(v) > 0;
	case json_type_object:
		return json_object_object_length(v) > 0;
	default:
		return 1;
	}
}

/*
 * 1 if path exists and is not null, false, "", [] or {}; else 0. Note
 * that 0 is true: it is a value that was given. Owning thread.
 */
int
event_truthy(const struct event *ev, const char *path)
{
	return value_truthy(event_lookup(ev, path));
}

/* event_truthy() of a compiled path. Owning thread of ev. */
int
event_truthy_path(const struct event *ev, const struct event_path *p)
{
	return value_truthy(event_lookup_path(ev, p));
}

/*
 * The envelope as compact JSON, with "/" unescaped, its root object made
 * from the members on the first call. The buffer belongs to the root
 * object: valid until event_clear() or the next serialisation of the
 * root. NULL for a cleared event. Owning thread.
 */
const char *
event_json(const struct event *ev)
{
	/* ev is not const underneath: the owning thread made it. */
	struct event *own = (struct event *)ev;
	size_t i;

	if (!parsed(ev))
		return NULL;
	if (own->root == NULL) {
		/* From now on the root owns the members (keys still in keys). */
		own->root = json_object_new_object();
		for (i = 0; i < own->nmembers; i++)
			json_object_object_add_ex(own->root, own->members[i].key,
			    own->members[i].v, JSON_C_OBJECT_ADD_CONSTANT_KEY |
			    JSON_C_OBJECT_ADD_KEY_IS_NEW);
	}
	return json_object_to_json_string_ext(own->root, EVENT_JSON_FLAGS);
}

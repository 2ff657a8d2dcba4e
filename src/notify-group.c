/*
 * notify-group.c -- grouped failure storms; see notify-group.h.
 *
 * The count is a chained hash table keyed by (type, stage, error), its
 * entries holding a copy of the key and how many failures of it wait in
 * the core's failure list; an entry goes when its count reaches zero, so
 * the table is as large as the number of distinct errors waiting. The
 * core asks for a count in O(1) for each failure it packs, and walks its
 * list only for a group that reached the threshold.
 *
 * Lengths are UTF-16 code units (utf8_len16), never fewer than Discord's.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "digest.h"
#include "embed.h"
#include "notify-group.h"
#include "utf8.h"
#include "util.h"

#define GROUP_BUCKETS_MIN	64
#define GROUP_FOOTER		"❌ Processing failed"
#define GROUP_MORE_MAX		32	/* "\n… and N more" at most */

struct group {
	struct group	*next;
	uint64_t	 hash;
	long		 count;
	char		*type;		/* the key: three strings, one allocation */
	char		*stage;
	char		*error;
};

struct groups {
	struct group	**b;
	size_t		 nb;		/* a power of two */
	size_t		 n;		/* entries */
};

/* The three strings as one tuple (util.c's str_hash()). */
uint64_t
group_hash(const char *type, const char *stage, const char *error)
{
	return str_hash(str_hash(str_hash(STR_HASH_INIT, type), stage), error);
}

/* A failure's own embed: the only kind that is grouped. */
static int
groupable(const struct notice *nt)
{
	return nt->kind == NOTICE_OWN && nt->fail != NULL;
}

int
group_alike(const struct notice *a, const struct notice *b)
{
	return groupable(a) && groupable(b) && a->fail->hash == b->fail->hash &&
	    strcmp(a->type, b->type) == 0 &&
	    strcmp(a->fail->stage, b->fail->stage) == 0 &&
	    strcmp(a->fail->error, b->fail->error) == 0;
}

struct groups *
groups_create(void)
{
	struct groups *g = xcalloc(1, sizeof *g);

	g->nb = GROUP_BUCKETS_MIN;
	g->b = xcalloc(g->nb, sizeof g->b[0]);
	return g;
}

void
groups_destroy(struct groups *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->nb; i++) {
		struct group *e, *next;

		for (e = g->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e->type);
			free(e);
		}
	}
	free(g->b);
	free(g);
}

/* The entry of nt's key; with link, where it hangs (to unlink it). */
static struct group *
lookup(const struct groups *g, const struct notice *nt, struct group ***link)
{
	struct group **pp = &g->b[nt->fail->hash & (g->nb - 1)];

	for (; *pp != NULL; pp = &(*pp)->next) {
		struct group *e = *pp;

		if (e->hash == nt->fail->hash && strcmp(e->type, nt->type) == 0 &&
		    strcmp(e->stage, nt->fail->stage) == 0 &&
		    strcmp(e->error, nt->fail->error) == 0) {
			if (link != NULL)
				*link = pp;
			return e;
		}
	}
	return NULL;
}

/* Doubles the buckets once entries outnumber them. */
static void
grow(struct groups *g)
{
	size_t nb = g->nb * 2;
	struct group **b = xcalloc(nb, sizeof b[0]);

	for (size_t i = 0; i < g->nb; i++) {
		struct group *e, *next;

		for (e = g->b[i]; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(g->b);
	g->b = b;
	g->nb = nb;
}

void
groups_add(struct groups *g, const struct notice *nt)
{
	struct group *e;
	size_t lt, ls, le;

	if (!groupable(nt))
		return;
	e = lookup(g, nt, NULL);
	if (e == NULL) {
		lt = strlen(nt->type) + 1;
		ls = strlen(nt->fail->stage) + 1;
		le = strlen(nt->fail->error) + 1;
		e = xcalloc(1, sizeof *e);
		e->hash = nt->fail->hash;
		e->type = xmalloc(lt + ls + le);
		e->stage = e->type + lt;
		e->error = e->stage + ls;
		memcpy(e->type, nt->type, lt);
		memcpy(e->stage, nt->fail->stage, ls);
		memcpy(e->error, nt->fail->error, le);
		e->next = g->b[e->hash & (g->nb - 1)];
		g->b[e->hash & (g->nb - 1)] = e;
		if (++g->n > g->nb)
			grow(g);
	}
	e->count++;
}

void
groups_del(struct groups *g, const struct notice *nt)
{
	struct group *e, **link = NULL;

	if (!groupable(nt) || (e = lookup(g, nt, &link)) == NULL)
		return;
	if (--e->count > 0)
		return;
	*link = e->next;
	free(e->type);
	free(e);
	g->n--;
}

long
groups_count(const struct groups *g, const struct notice *nt)
{
	const struct group *e;

	if (!groupable(nt) || (e = lookup(g, nt, NULL)) == NULL)
		return 0;
	return e->count;
}

/*
 * The Event IDs field: ids joined by ", " while they fit in one field
 * value, with room kept for "\n… and N more" when some do not.
 */
static char *
ids_value(struct notice *const *m, size_t n)
{
	struct buf b = BUF_INIT;
	size_t units = 0, k;

	for (k = 0; k < n; k++) {
		char *id = embed_text(m[k]->fail->id, strlen(m[k]->fail->id),
		    OVERFLOW_ID_MAX);
		size_t len = strlen(id), u = utf8_len16(id, len), sep = k > 0 ? 2 : 0;
		size_t reserve = k + 1 < n ? GROUP_MORE_MAX : 0;

		if (units + sep + u + reserve > EMBED_MAX_FIELD_VALUE) {
			free(id);
			break;
		}
		if (sep > 0)
			buf_add(&b, ", ", 2);
		buf_add(&b, id, len);
		units += sep + u;
		free(id);
	}
	if (k < n)
		buf_printf(&b, "%s… and %zu more", k > 0 ? "\n" : "", n - k);
	return buf_take(&b);
}

struct notice *
group_notice(struct notice *const *m, size_t n)
{
	const struct notice_fail *f0 = m[0]->fail;
	struct notice *nt = xcalloc(1, sizeof *nt);
	struct embed_field f[4];
	struct embed_spec es;
	time_t first = f0->finished, last = f0->finished;
	char *title, *desc, *ids, *s, tfirst[32], tlast[32];

	nt->since = m[0]->since;
	for (size_t i = 1; i < n; i++) {
		if (m[i]->fail->finished < first)
			first = m[i]->fail->finished;
		if (m[i]->fail->finished > last)
			last = m[i]->fail->finished;
		if (m[i]->since < nt->since)
			nt->since = m[i]->since;
	}
	/* "×N" always shows: the icon and type are cut before it. */
	s = xasprintf("%s%s%s event failed", f0->icon,
	    *f0->icon != '\0' ? " " : "", m[0]->type);
	title = embed_text(s, strlen(s), EMBED_MAX_TITLE - GROUP_MORE_MAX);
	free(s);
	s = xasprintf("%s ×%zu", title, n);
	free(title);
	title = s;
	desc = xasprintf("%s%s%s", f0->icon, *f0->icon != '\0' ? " " : "",
	    *f0->title != '\0' ? f0->title : m[0]->type);
	embed_timestamp(first, tfirst, sizeof tfirst);
	embed_timestamp(last, tlast, sizeof tlast);
	ids = ids_value(m, n);
	f[0] = (struct embed_field){ "Error", f0->error, EMBED_INLINE_NO };
	f[1] = (struct embed_field){ "First", tfirst, EMBED_INLINE_NO };
	f[2] = (struct embed_field){ "Last", tlast, EMBED_INLINE_NO };
	f[3] = (struct embed_field){ GROUP_FIELD_IDS, ids, EMBED_INLINE_NO };

	memset(&es, 0, sizeof es);
	es.title = title;
	es.description = desc;
	es.color = EMBED_COLOR_FAIL;
	es.fields = f;
	es.nfields = sizeof f / sizeof f[0];
	es.footer = GROUP_FOOTER;
	es.timestamp = last;
	nt->json = embed_write(&es, &nt->chars);
	free(title);
	free(desc);
	free(ids);
	nt->count = (long)n;
	nt->kind = NOTICE_GROUP;
	str_copy(nt->type, m[0]->type, sizeof nt->type);
	return nt;
}

/*
 * digest.h -- what the notifier sends in place of one embed per event when
 * it cannot keep up (SPEC section 4, "Overload"). Pure: no threads, no I/O.
 *
 * - The digest counts successes only, one row per event type: "📊 N events
 *   processed". At most DIGEST_ROWS rows; types past the first
 *   DIGEST_ROWS - 1 share a last row named DIGEST_OTHER, so every row's
 *   name says what its counts are.
 * - The overflow holds failures whose own embed found no room (the
 *   hand-over ring, or [discord] queue.size failures already waiting): one
 *   red "❗ N more failures" embed listing as many Event IDs as Discord's
 *   limits let one embed hold; the rest are counted (N) but not listed, and
 *   the caller counts them in sipeatd_discord_failures_unlisted_total. A
 *   failure is never folded into the digest.
 *
 * Threads: the notifier for the digest and overflow it owns; workers
 * for the worker digest and the overflow, holding notify.c's
 * wdigest_lock or ovf_lock. The functions themselves take no lock.
 *   digest_embed_json, overflow_embed_json: the notifier
 */
#ifndef SIPEAT_DIGEST_H
#define SIPEAT_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "embed.h"

#define DIGEST_ROWS	EMBED_MAX_FIELDS	/* one field per row, no "… more" */
#define DIGEST_TYPE_MAX	64			/* type names are cut to 63 bytes */
#define DIGEST_OTHER	"other types"

struct digest {
	unsigned long	 processed[DIGEST_ROWS - 1];
	char		 types[DIGEST_ROWS - 1][DIGEST_TYPE_MAX];
	size_t		 n;		/* named rows in use */
	unsigned long	 other;		/* successes of the other types */
	long		 total;		/* successes counted */
};

/* Counts processed successes of type. */
void	 digest_add(struct digest *d, const char *type, long processed);
/* Adds every row of src to d. */
void	 digest_merge(struct digest *d, const struct digest *src);
void	 digest_reset(struct digest *d);
/*
 * The digest as compact embed JSON (embed_write()), ended at end: caller
 * frees; its character count in *chars. d itself is unchanged.
 */
char	*digest_embed_json(const struct digest *d, time_t end, size_t *chars);

/* Event IDs longer than this (UTF-16 units) are cut, with "…". */
#define OVERFLOW_ID_MAX		128
/* Title, description, footer and the "Not listed" field fit in this. */
#define OVERFLOW_RESERVE	400

struct overflow {
	long	 count;		/* failures it stands for */
	long	 unlisted;	/* of which no Event ID is listed */
	char	**ids;		/* the listed ones, in arrival order */
	size_t	 nids;
	size_t	 cap;
	/* The layout so far: "Event IDs" fields of ids joined by ", ". */
	size_t	 fields;	/* fields begun */
	size_t	 last;		/* UTF-16 units in the last field's value */
	size_t	 units;		/* over every field name and value */
	int	 closed;	/* an id did not fit: list no more */
	int64_t	 since;		/* caller's clock at the first failure */
};

/*
 * 1 when no Event ID will be listed any more (skip looking one up): the
 * listed ones are always the first failures, up to the first that did not
 * fit.
 */
int	 overflow_full(const struct overflow *o);
/*
 * Counts one failure, listing id (NULL: none known) when it still fits in
 * one embed. 1 when listed, 0 when only counted.
 */
int	 overflow_add(struct overflow *o, const char *id);
/*
 * Adds src to dst (the notifier takes the workers' overflow so): its
 * listed ids while they fit, the rest counted; src is left empty.
 */
void	 overflow_merge(struct overflow *dst, struct overflow *src);
/* Forgets everything (frees the ids); o stays usable. */
void	 overflow_reset(struct overflow *o);
/*
 * The red "❗ N more failures" embed as compact JSON (caller frees), ended
 * at end, with its character count (UTF-16 units) in *chars: within every
 * per-embed Discord limit, alone under EMBED_MAX_TOTAL. o is unchanged.
 */
char	*overflow_embed_json(const struct overflow *o, time_t end, size_t *chars);


#endif

/*
 * notify-group.h -- grouped failure storms (SPEC section 9, "Grouped
 * failures") for the notifier core: a count of the failures waiting alike
 * -- same type, same failing stage, same error text -- and the one red
 * embed that stands for a group of them:
 *
 *   title        "<icon> <type> event failed ×COUNT"
 *   description  "<icon> <handler title>", as on the failures' own embeds
 *   Error        the error text they share
 *   First, Last  when the first and the last of them finished (RFC 3339)
 *   Event IDs    as many ids as fit in one field, then "… and N more"
 *
 * Pure: no I/O, no clock.
 *
 * Threads: the thread that owns the notifier core (the notifier); a
 * struct groups is that core's.
 */
#ifndef SIPEAT_NOTIFY_GROUP_H
#define SIPEAT_NOTIFY_GROUP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "notify-core.h"

#define GROUP_FIELD_IDS		"Event IDs"

/* The key's hash (notice_create() stores it in struct notice_fail). */
uint64_t	 group_hash(const char *type, const char *stage, const char *error);
/* 1 when a and b are failures' own embeds of the same group. */
int		 group_alike(const struct notice *a, const struct notice *b);

/* The failures waiting in one core, counted by group. */
struct groups;

struct groups	*groups_create(void);
void		 groups_destroy(struct groups *g);
/* nt (a failure's own embed; others are ignored) joins the waiting list. */
void		 groups_add(struct groups *g, const struct notice *nt);
/* nt leaves the waiting list. */
void		 groups_del(struct groups *g, const struct notice *nt);
/* How many failures alike nt wait, nt included; 0 when nt is not a failure's. */
long		 groups_count(const struct groups *g, const struct notice *nt);

/*
 * The grouped embed for members[0..n) (failures alike, in arrival order;
 * borrowed): a new notice of kind NOTICE_GROUP standing for n events,
 * since the earliest member's since; the embed's timestamp is the last
 * member's finish.
 */
struct notice	*group_notice(struct notice *const *members, size_t n);

#endif

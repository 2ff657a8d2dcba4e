/*
 * stage.c -- the table of stage actions, the parsing of the keys every
 * stage shares, and the retry policy around one stage run.
 *
 * Each action lives in its own stage-NAME.c and exports one const struct
 * stage_action; stage_actions[] below lists them, as tmux's cmd.c lists its
 * commands. stage_compile() reads the generic keys (action, when, undo,
 * timeout.ms, retries, retry.backoff.ms), rejects any key that neither the
 * generic set nor the action knows, then lets the action compile its own
 * keys. Every problem goes to the diag list with FILE:LINE so that
 * --check-config reports the whole file at once.
 *
 * A stage is compiled once per handler that uses it, because the handler's
 * pattern decides whether `when` and `undo` are allowed. A compiled stage is
 * read-only afterwards and is run by many workers at once: actions keep
 * per-run state on the stack, never in st->priv.
 *
 * stage_run() retries transient failures only. The wait between attempts is
 * the exponential back-off or the server's Retry-After (an attempt reports
 * it in ctx->retry_after_ms), whichever is longer, slept in short slices so
 * that a shutdown is never held up by a back-off. Actions themselves bound
 * each attempt by timeout.ms and end it early once the daemon is stopping
 * (stage_ctx_stopping()).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "stage.h"
#include "utf8.h"
#include "util.h"

/* Longest single sleep while backing off: bounds the shutdown delay. */
#define STAGE_SLEEP_SLICE_MS	100
/* No back-off is longer than this, whatever the exponent says. */
#define STAGE_BACKOFF_MAX_MS	3600000

/* Every action, in the order "unknown action" lists them. */
static const struct stage_action *const stage_actions[] = {
	&stage_validate_action,
	&stage_log_action,
	&stage_exec_action,
	&stage_http_action,
	&stage_smtp_action,
	&stage_kafka_action,
};
#define NACTIONS (sizeof stage_actions / sizeof stage_actions[0])

/* Keys every stage may carry, whatever its action. */
static const char *const stage_generic_keys[] = {
	"action",
	"when",
	"undo",
	"timeout.ms",
	"retries",
	"retry.backoff.ms",
	NULL
};

/*
 * Returns the action called name, or NULL. The table is constant: any
 * thread.
 */
const struct stage_action *
stage_action_find(const char *name)
{
	size_t i;

	for (i = 0; i < NACTIONS; i++) {
		if (strcmp(stage_actions[i]->name, name) == 0)
			return stage_actions[i];
	}
	return NULL;
}

static int
stage_key_listed(const char *const *keys, const char *key)
{
	if (keys == NULL)
		return 0;
	for (; *keys != NULL; keys++) {
		if (strcmp(*keys, key) == 0)
			return 1;
	}
	return 0;
}

/* "validate log exec": the names of every action, for error messages. */
static void
stage_action_names(char *buf, size_t size)
{
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < NACTIONS && off < size; i++) {
		n = snprintf(buf + off, size - off, "%s%s", i == 0 ? "" : " ",
		    stage_actions[i]->name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/*
 * Parses an integer key into *out when present. Returns 0 (absent keys
 * leave *out alone) or -1 after adding a diagnostic.
 */
static int
stage_int_key(const struct stage_conf *sc, const char *key, long min,
    long max, int *out, const char *file, struct diag *d)
{
	const char *value;
	char *end;
	long n;
	int line = 0;

	value = stage_conf_get(sc, key, &line);
	if (value == NULL)
		return 0;
	errno = 0;
	n = strtol(value, &end, 10);
	if (value[0] == '\0' || *end != '\0' || errno != 0 || n < min ||
	    n > max) {
		diag_add(d, file, line, "stage \"%s\": %s must be an integer "
		    "from %ld to %ld, not \"%s\"", sc->name, key, min, max,
		    value);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/*
 * Reports generic keys given more than once: the first would silently win,
 * which surprises whoever wrote the second.
 */
static int
stage_check_repeats(const struct stage_conf *sc, const char *file,
    struct diag *d)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; i < sc->nkv; i++) {
		if (!stage_key_listed(stage_generic_keys, sc->kv[i].key))
			continue;
		for (j = 0; j < i; j++) {
			if (strcmp(sc->kv[j].key, sc->kv[i].key) == 0)
				break;
		}
		if (j < i) {
			diag_add(d, file, sc->kv[i].line, "stage \"%s\": %s "
			    "is given more than once", sc->name,
			    sc->kv[i].key);
			rc = -1;
		}
	}
	return rc;
}

/*
 * Builds a stage from its section for a handler of the given pattern.
 * Returns a new stage owned by the caller (stage_free()), or NULL with every
 * problem appended to d. *undo_name is set to the `undo` value (borrowed
 * from sc) or NULL. A section without `action` only returns NULL:
 * config_load() reports that. Startup only (d is not locked).
 */
struct stage *
stage_compile(const struct stage_conf *sc, enum handler_pattern pattern,
    const char *file, struct diag *d, const char **undo_name)
{
	struct stage *st;
	const char *action, *when, *undo;
	char names[128];
	size_t errors = diag_errors(d), i;
	int line, failed = 0;

	*undo_name = NULL;
	st = xcalloc(1, sizeof *st);
	st->name = xstrdup(sc->name);
	st->timeout_ms = 10000;
	st->retries = 2;
	st->retry_backoff_ms = 200;

	/*
	 * A missing action is reported by config_load(), which sees every
	 * section, used or not; saying it again here would double it.
	 */
	action = stage_conf_get(sc, "action", &line);
	if (action == NULL)
		failed = 1;
	else {
		st->action = stage_action_find(action);
		if (st->action == NULL) {
			stage_action_names(names, sizeof names);
			diag_add(d, file, line, "stage \"%s\": unknown action "
			    "\"%s\" (expected one of: %s)", sc->name, action,
			    names);
		}
	}

	when = stage_conf_get(sc, "when", &line);
	if (when != NULL) {
		if (pattern != PATTERN_STRATEGY) {
			diag_add(d, file, line, "stage \"%s\": when is only "
			    "allowed in strategy handlers (used here by a %s "
			    "handler)", sc->name, pattern_name(pattern));
		} else if (when[0] == '\0' || strpbrk(when, " \t") != NULL) {
			diag_add(d, file, line, "stage \"%s\": when must be "
			    "one field path, such as data.email", sc->name);
		} else
			st->when = event_path_new(when);
	}

	undo = stage_conf_get(sc, "undo", &line);
	if (undo != NULL) {
		if (pattern != PATTERN_COMMAND) {
			diag_add(d, file, line, "stage \"%s\": undo is only "
			    "allowed in command handlers (used here by a %s "
			    "handler)", sc->name, pattern_name(pattern));
		} else if (undo[0] == '\0') {
			diag_add(d, file, line, "stage \"%s\": undo needs a "
			    "stage name", sc->name);
		} else
			*undo_name = undo;
	}

	stage_int_key(sc, "timeout.ms", 1, 3600000, &st->timeout_ms, file, d);
	stage_int_key(sc, "retries", 0, 100, &st->retries, file, d);
	stage_int_key(sc, "retry.backoff.ms", 0, 600000, &st->retry_backoff_ms,
	    file, d);
	stage_check_repeats(sc, file, d);

	/* Unknown keys can only be told apart once the action is known. */
	if (st->action != NULL) {
		for (i = 0; i < sc->nkv; i++) {
			if (stage_key_listed(stage_generic_keys,
			    sc->kv[i].key) ||
			    stage_key_listed(st->action->keys, sc->kv[i].key))
				continue;
			diag_add(d, file, sc->kv[i].line, "stage \"%s\": "
			    "unknown key \"%s\" for action %s", sc->name,
			    sc->kv[i].key, st->action->name);
		}
		if (st->action->compile(st, sc, file, d) != 0 &&
		    diag_errors(d) == errors) {
			/* An action must explain; never fail silently. */
			diag_add(d, file, sc->line, "stage \"%s\": invalid",
			    sc->name);
		}
	}

	if (failed || diag_errors(d) != errors) {
		*undo_name = NULL;
		stage_free(st);
		return NULL;
	}
	return st;
}

/*
 * Frees st and the action's compiled state. st->undo is borrowed and left
 * alone. NULL is allowed. Not while another thread runs st.
 */
void
stage_free(struct stage *st)
{
	if (st == NULL)
		return;
	if (st->action != NULL && st->action->free != NULL &&
	    st->priv != NULL)
		st->action->free(st);
	event_path_free(st->when);
	free(st->name);
	free(st);
}

/* xorshift32 step: a per-call PRNG, so workers share no state. */
static uint32_t
stage_xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/*
 * The wait before retry n (1-based): backoff * 2^(n-1), capped, plus up to
 * 20% jitter so that workers failing together do not retry together.
 */
static int64_t
stage_backoff_ms(const struct stage *st, int n, uint32_t *seed)
{
	int64_t delay = st->retry_backoff_ms;
	int i;

	for (i = 1; i < n && delay < STAGE_BACKOFF_MAX_MS; i++)
		delay *= 2;
	if (delay > STAGE_BACKOFF_MAX_MS)
		delay = STAGE_BACKOFF_MAX_MS;
	if (delay >= 5)
		delay += stage_xorshift(seed) % (uint32_t)(delay / 5 + 1);
	return delay;
}

/*
 * Non-zero once the daemon is stopping. The flag is written by another
 * thread (the one orchestrating shutdown). Any thread, with its own ctx.
 */
int
stage_ctx_stopping(const struct stage_ctx *ctx)
{
	return stop_flag_get(ctx->stopping);
}

/*
 * Cuts s in place to at most max bytes, never inside a UTF-8 sequence (a
 * cut one gets "..." room only if there is some), and turns control
 * characters into spaces so that a remote server's text is one log line.
 * Trailing blanks go. Any thread.
 */
void
stage_clean_reason(char *s, size_t max)
{
	size_t len, i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
	}
	len = i;
	if (len > max) {
		len = utf8_cut_bytes(s, len, max);
		s[len] = '\0';
	}
	while (len > 0 && s[len - 1] == ' ')
		s[--len] = '\0';
}

/*
 * Runs st for ev with the retry policy described in stage.h. Returns
 * STAGE_OK or the status of the last attempt, with its reason in err. Called
 * by any worker; ctx belongs to the calling worker.
 */
enum stage_status
stage_run(const struct stage *st, const struct event *ev,
    struct stage_ctx *ctx, char *err, size_t errsz)
{
	enum stage_status status;
	int64_t delay, until, left;
	uint32_t seed = 1;	/* set at the first retry */
	int attempt;

	if (errsz > 0)
		err[0] = '\0';
	for (attempt = 0;; attempt++) {
		ctx->retry_after_ms = 0;
		status = st->action->run(st, ev, ctx, err, errsz);
		if (status != STAGE_TRANSIENT)
			return status;
		if (attempt >= st->retries || stage_ctx_stopping(ctx))
			return status;
		if (attempt == 0) {
			/*
			 * Any non-zero seed will do; mix in what differs
			 * between calls. Made only when a retry needs it: no
			 * clock read per stage that succeeds.
			 */
			seed = (uint32_t)now_ms() ^ (uint32_t)(uintptr_t)&seed ^
			    ((uint32_t)ctx->worker * 2654435761u);
			if (seed == 0)
				seed = 1;
		}

		delay = stage_backoff_ms(st, attempt + 1, &seed);
		/* The server knows best when it will be ready (HTTP 429/503). */
		if (ctx->retry_after_ms > delay)
			delay = ctx->retry_after_ms < STAGE_BACKOFF_MAX_MS ?
			    ctx->retry_after_ms : STAGE_BACKOFF_MAX_MS;
		log_warn("stage", "%s: %s (event %s); retry %d of %d in "
		    "%lld ms", st->name, err, ev->id, attempt + 1, st->retries,
		    (long long)delay);
		until = now_ms() + delay;
		for (left = delay; left > 0; left = until - now_ms()) {
			if (stage_ctx_stopping(ctx))
				return status;
			sleep_ms(left < STAGE_SLEEP_SLICE_MS ? left :
			    STAGE_SLEEP_SLICE_MS);
		}
		if (stage_ctx_stopping(ctx))
			return status;
	}
}

int
stage_parse_bool(const char *value, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };
	size_t i;

	for (i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
	}
	for (i = 0; no[i] != NULL; i++) {
		if (strcasecmp(value, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/*
 * sipeat-replay.c -- replays dead letters to their source topics after a
 * fix (SPEC section 9).
 *
 * Design: one consumer of the dead-letter topic and one producer, both fed
 * from the main thread, which also serves the producer's delivery reports
 * (rd_kafka_poll()), so every counter here is plain. The consumer does not
 * join its group: it assigns every partition itself, from the group's
 * committed offset (or the beginning), and reads up to the high watermark
 * seen at start, so a run ends even while sipeatd keeps writing dead
 * letters. Each dead letter read is tracked per partition (offsets.c, the
 * daemon's completion tracker); one that is skipped is finished at once,
 * one that is replayed when the broker acknowledged its replay. Only the
 * contiguous finished prefix is committed, every half second and at the
 * end: at least once, and a run killed at any point resumes where the
 * acknowledged replays end. A replay that failed is never finished, so
 * nothing after it in its partition is committed and the next run tries
 * it (and those after it) again.
 *
 * replay-core.c decides what becomes of each dead letter.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "diag.h"
#include "kafka.h"
#include "log.h"
#include "offsets.h"
#include "replay.h"
#include "tool.h"
#include "util.h"

#define EX_USAGE_		64
#define DEFAULT_GROUP		"sipeat-replay"
#define DEFAULT_DLQ		"sipeat.dlq"
#define META_TIMEOUT_MS		10000
#define COMMIT_EVERY_MS		500
#define PROGRESS_EVERY_MS	200
/* A progress line on a terminal from this many dead letters on. */
#define PROGRESS_FROM		5000
/* Dead letters named one by one on stderr before they are only counted. */
#define MAX_REPORTED		100

struct part {
	int32_t		 id;
	int64_t		 start;		/* first offset to read */
	int64_t		 end;		/* high watermark at start */
	int64_t		 committed;	/* what this run committed last */
	struct offsets	*trk;
	int		 reading;
};

struct replay {
	rd_kafka_t		*consumer;
	rd_kafka_t		*producer;	/* NULL with --dry-run */
	const char		*dlq;
	const char		*group;
	struct replay_filter	 filter;
	int			 dry_run;
	struct replay_table	*table;		/* --dry-run */

	struct part		*parts;
	int			 nparts;
	int			 reading;	/* parts still reading */

	uint64_t		 total;		/* to read, at start */
	uint64_t		 read;
	uint64_t		 n[REPLAY_GO + 1];	/* by verdict; GO: produced */
	uint64_t		 acked;		/* replays acknowledged */
	uint64_t		 failed;	/* replays that failed */
	uint64_t		 reported;
	int			 commit_failed;
	int			 progress;	/* a progress line is shown */
	int64_t			 next_progress;
};

/* A replay in flight: its dead letter's place. */
struct sent {
	struct part	*part;
	int64_t		 offset;
};

static volatile sig_atomic_t interrupted;

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: sipeat-replay -b brokers [-nhV] [-g group] [--dlq topic] [--type type]\n"
"                     [--error regex] [--since time] [--until time]\n"
"                     [--max-replays n] [--dry-run] [-X prop=value]...\n"
"time: RFC 3339 (2026-12-05T09:30:00Z) or a duration ago (30m, 2h, 7d)\n");
}

static void usage_error(const char *, ...) SIPEAT_PRINTFLIKE(1, 2)
    __attribute__((noreturn));

/* Prints "sipeat-replay: MESSAGE" and the usage, and exits 64. */
static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sipeat-replay: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	exit(EX_USAGE_);
}

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Ends the progress line, if one is shown, before other output. */
static void
progress_clear(struct replay *r)
{
	if (r->progress)
		fprintf(stderr, "\r\033[K");
}

static void
progress(struct replay *r, int force)
{
	if (!r->progress || (!force && now_ms() < r->next_progress))
		return;
	r->next_progress = now_ms() + PROGRESS_EVERY_MS;
	fprintf(stderr, "\rsipeat-replay: %ju of %ju dead letters read, %ju "
	    "replayed\033[K", (uintmax_t)r->read, (uintmax_t)r->total,
	    (uintmax_t)r->acked);
}

static void report(struct replay *, const struct part *, int64_t,
    const char *, ...) SIPEAT_PRINTFLIKE(4, 5);

/* "sipeat-replay: DLQ/PARTITION/OFFSET: MESSAGE" on stderr, while few. */
static void
report(struct replay *r, const struct part *p, int64_t offset,
    const char *fmt, ...)
{
	va_list ap;

	if (r->reported++ >= MAX_REPORTED)
		return;
	progress_clear(r);
	fprintf(stderr, "sipeat-replay: %s/%" PRId32 "/%" PRId64 ": ", r->dlq,
	    p->id, offset);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* Delivery report, served by rd_kafka_poll()/flush() on the main thread. */
static void
dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	struct replay *r = opaque;
	struct sent *s = rkm->_private;

	(void)rk;
	if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		r->acked++;
		offsets_done(s->part->trk, s->offset);
	} else {
		/* Never finished: the commit stays below it. */
		r->failed++;
		report(r, s->part, s->offset, "replay to %s failed: %s",
		    rd_kafka_topic_name(rkm->rkt), rd_kafka_err2str(rkm->err));
	}
	free(s);
}

/* Produces dl's replay; 0, or -1 (reported, counted failed). */
static int
produce(struct replay *r, struct part *p, const rd_kafka_message_t *rkm,
    const struct dead_letter *dl)
{
	rd_kafka_headers_t *src = NULL, *h;
	rd_kafka_resp_err_t err;
	struct sent *s;

	if (rd_kafka_message_headers(rkm, &src) != RD_KAFKA_RESP_ERR_NO_ERROR)
		src = NULL;
	h = replay_headers(src, dl->replays);
	s = xmalloc(sizeof *s);
	s->part = p;
	s->offset = rkm->offset;
	for (;;) {
		err = rd_kafka_producev(r->producer,
		    RD_KAFKA_V_TOPIC(dl->source_topic),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_VALUE(rkm->payload, rkm->len),
		    RD_KAFKA_V_KEY(rkm->key, rkm->key_len),
		    RD_KAFKA_V_HEADERS(h),
		    RD_KAFKA_V_OPAQUE(s),
		    RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		/* Serve delivery reports until the queue has room. */
		rd_kafka_poll(r->producer, 100);
	}
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		return 0;	/* h belongs to the message now */
	rd_kafka_headers_destroy(h);
	free(s);
	r->failed++;
	report(r, p, rkm->offset, "replay to %s failed: %s", dl->source_topic,
	    rd_kafka_err2str(err));
	return -1;
}

static struct part *
find_part(struct replay *r, int32_t id)
{
	if (id >= 0 && id < r->nparts && r->parts[id].id == id)
		return &r->parts[id];
	for (int i = 0; i < r->nparts; i++) {
		if (r->parts[i].id == id)
			return &r->parts[i];
	}
	return NULL;
}

static void
part_finished_reading(struct replay *r, struct part *p)
{
	if (p->reading) {
		p->reading = 0;
		r->reading--;
	}
}

/* One dead letter (or consumer event) from the consumer. */
static void
handle(struct replay *r, const rd_kafka_message_t *rkm)
{
	struct part *p = find_part(r, rkm->partition);
	struct dead_letter dl;
	enum replay_verdict v;

	if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		if (p != NULL)
			part_finished_reading(r, p);
		return;
	}
	if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		progress_clear(r);
		fprintf(stderr, "sipeat-replay: kafka: %s\n",
		    rd_kafka_message_errstr(rkm));
		return;
	}
	/* Past the end seen at start: a later run's. */
	if (p == NULL || !p->reading || rkm->offset >= p->end)
		return;
	if (offsets_track(p->trk, rkm->offset) != 0)
		return;		/* read twice: already tracked */
	r->read++;
	replay_dl_read(&dl, rkm);
	v = replay_verdict(&r->filter, &dl);
	if (v == REPLAY_GO && r->dry_run)
		replay_table_add(r->table, dl.type, dl.error);
	r->n[v]++;
	switch (v) {
	case REPLAY_GO:
		/* A replay finishes when acknowledged; a failed one never. */
		if (r->dry_run)
			offsets_done(p->trk, rkm->offset);
		else
			produce(r, p, rkm, &dl);
		break;
	case REPLAY_AT_MAX:
		report(r, p, rkm->offset, "%s: skipped, replayed %" PRId64
		    " times already (--max-replays %" PRId64 "): %s", dl.type,
		    dl.replays, r->filter.max_replays, dl.error);
		offsets_done(p->trk, rkm->offset);
		break;
	case REPLAY_NO_SOURCE:
	case REPLAY_EMPTY:
	case REPLAY_TRUNCATED:
		report(r, p, rkm->offset, "%s: not replayed: %s", dl.type,
		    replay_verdict_name(v));
		offsets_done(p->trk, rkm->offset);
		break;
	case REPLAY_FILTERED:
		offsets_done(p->trk, rkm->offset);
		break;
	}
	replay_dl_free(&dl);
	if (rkm->offset + 1 >= p->end)
		part_finished_reading(r, p);
}

/* Commits every partition's finished prefix (not with --dry-run). */
static void
commit(struct replay *r)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t err;
	int64_t c;

	if (r->dry_run)
		return;
	list = rd_kafka_topic_partition_list_new(r->nparts);
	for (int i = 0; i < r->nparts; i++) {
		c = offsets_committable(r->parts[i].trk);
		if (c > r->parts[i].committed)
			rd_kafka_topic_partition_list_add(list, r->dlq,
			    r->parts[i].id)->offset = c;
	}
	if (list->cnt > 0) {
		err = rd_kafka_commit(r->consumer, list, 0);
		for (int i = 0; i < list->cnt; i++) {
			rd_kafka_topic_partition_t *tp = &list->elems[i];
			rd_kafka_resp_err_t e = err != RD_KAFKA_RESP_ERR_NO_ERROR ?
			    err : tp->err;

			if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
				find_part(r, tp->partition)->committed = tp->offset;
				continue;
			}
			r->commit_failed = 1;
			progress_clear(r);
			fprintf(stderr, "sipeat-replay: %s/%" PRId32 ": commit of "
			    "offset %" PRId64 " failed (the next run replays "
			    "from the last commit): %s\n", r->dlq, tp->partition,
			    tp->offset, rd_kafka_err2str(e));
		}
	}
	rd_kafka_topic_partition_list_destroy(list);
}

/*
 * The dead-letter topic's partitions with where to start (the group's
 * committed offset, or the low watermark) and where to end (the high
 * watermark now). Returns 0, or -1 with the reason printed.
 */
static int
plan(struct replay *r)
{
	const rd_kafka_metadata_t *md = NULL;
	rd_kafka_topic_partition_list_t *list = NULL;
	rd_kafka_topic_t *rkt;
	rd_kafka_resp_err_t err;
	int64_t lo, hi, c;
	int rc = -1;

	rkt = rd_kafka_topic_new(r->consumer, r->dlq, NULL);
	err = rd_kafka_metadata(r->consumer, 0, rkt, &md, META_TIMEOUT_MS);
	rd_kafka_topic_destroy(rkt);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1)
		err = md->topics[0].err;
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "sipeat-replay: %s: %s\n", r->dlq,
		    rd_kafka_err2str(err));
		goto out;
	}
	r->nparts = md->topics[0].partition_cnt;
	r->parts = xcalloc((size_t)(r->nparts > 0 ? r->nparts : 1),
	    sizeof *r->parts);
	list = rd_kafka_topic_partition_list_new(r->nparts);
	for (int i = 0; i < r->nparts; i++) {
		r->parts[i].id = md->topics[0].partitions[i].id;
		rd_kafka_topic_partition_list_add(list, r->dlq, r->parts[i].id);
	}
	err = rd_kafka_committed(r->consumer, list, META_TIMEOUT_MS);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "sipeat-replay: %s: offsets of group %s: %s\n",
		    r->dlq, r->group, rd_kafka_err2str(err));
		goto out;
	}
	for (int i = 0; i < r->nparts; i++) {
		struct part *p = &r->parts[i];

		err = rd_kafka_query_watermark_offsets(r->consumer, r->dlq, p->id,
		    &lo, &hi, META_TIMEOUT_MS);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			fprintf(stderr, "sipeat-replay: %s/%" PRId32 ": %s\n",
			    r->dlq, p->id, rd_kafka_err2str(err));
			goto out;
		}
		c = rd_kafka_topic_partition_list_find(list, r->dlq,
		    p->id)->offset;
		/* Never committed, or committed below what is kept. */
		p->start = c >= lo ? c : lo;
		p->end = hi;
		p->committed = p->start;
		p->trk = offsets_create();
		if (p->start < p->end) {
			p->reading = 1;
			r->reading++;
			r->total += (uint64_t)(p->end - p->start);
		}
	}
	rc = 0;
out:
	if (list != NULL)
		rd_kafka_topic_partition_list_destroy(list);
	if (md != NULL)
		rd_kafka_metadata_destroy(md);
	return rc;
}

/* Assigns the partitions still to read, each at its start. */
static int
assign(struct replay *r)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t err;

	list = rd_kafka_topic_partition_list_new(r->nparts);
	for (int i = 0; i < r->nparts; i++) {
		if (r->parts[i].reading)
			rd_kafka_topic_partition_list_add(list, r->dlq,
			    r->parts[i].id)->offset = r->parts[i].start;
	}
	err = rd_kafka_assign(r->consumer, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "sipeat-replay: %s: %s\n", r->dlq,
		    rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

/* Reads to the end, replaying; then waits for every delivery report. */
static void
run(struct replay *r)
{
	rd_kafka_message_t *rkm;
	int64_t next_commit = now_ms() + COMMIT_EVERY_MS;

	while (r->reading > 0 && !interrupted) {
		rkm = rd_kafka_consumer_poll(r->consumer, 100);
		if (rkm != NULL) {
			handle(r, rkm);
			rd_kafka_message_destroy(rkm);
		}
		if (r->producer != NULL)
			rd_kafka_poll(r->producer, 0);
		if (now_ms() >= next_commit) {
			commit(r);
			next_commit = now_ms() + COMMIT_EVERY_MS;
		}
		progress(r, 0);
	}
	/* Each replay ends in a report within message.timeout.ms. */
	while (r->producer != NULL && rd_kafka_outq_len(r->producer) > 0) {
		rd_kafka_flush(r->producer, COMMIT_EVERY_MS);
		commit(r);
		progress(r, 0);
	}
	commit(r);
	progress(r, 1);
	progress_clear(r);
}

/* The summary on stdout; returns the exit status. */
static int
summary(struct replay *r)
{
	uint64_t skipped = r->n[REPLAY_EMPTY] + r->n[REPLAY_TRUNCATED];
	int status = 0;

	if (r->reported > MAX_REPORTED)
		fprintf(stderr, "sipeat-replay: %ju more dead letters not "
		    "named\n", (uintmax_t)(r->reported - MAX_REPORTED));
	if (r->dry_run) {
		if (r->n[REPLAY_GO] > 0)
			replay_table_print(r->table, stdout);
		printf("sipeat-replay: dry run: %ju read, %ju to replay, %ju "
		    "filtered out, %ju at max replays (%" PRId64 "), %ju empty "
		    "or cut, %ju without source topic; nothing produced or "
		    "committed\n", (uintmax_t)r->read, (uintmax_t)r->n[REPLAY_GO],
		    (uintmax_t)r->n[REPLAY_FILTERED],
		    (uintmax_t)r->n[REPLAY_AT_MAX], r->filter.max_replays,
		    (uintmax_t)skipped, (uintmax_t)r->n[REPLAY_NO_SOURCE]);
	} else
		printf("sipeat-replay: %ju read, %ju replayed, %ju filtered out, "
		    "%ju at max replays (%" PRId64 "), %ju empty or cut, %ju "
		    "without source topic, %ju failed\n", (uintmax_t)r->read,
		    (uintmax_t)r->acked, (uintmax_t)r->n[REPLAY_FILTERED],
		    (uintmax_t)r->n[REPLAY_AT_MAX], r->filter.max_replays,
		    (uintmax_t)skipped, (uintmax_t)r->n[REPLAY_NO_SOURCE],
		    (uintmax_t)r->failed);
	if (interrupted) {
		fprintf(stderr, "sipeat-replay: interrupted after %ju of %ju "
		    "dead letters; run again to go on\n", (uintmax_t)r->read,
		    (uintmax_t)r->total);
		status = 1;
	}
	if (r->failed > 0 || r->n[REPLAY_NO_SOURCE] > 0 || r->commit_failed)
		status = 1;
	return status;
}

/* The two handles, from -b, -g and -X; exits 64 on a bad property. */
static void
make_handles(struct replay *r, struct config *cfg)
{
	rd_kafka_conf_t *cconf, *pconf = NULL;
	struct diag d = { 0 };
	char err[512];

	cconf = kafka_conf_build(cfg, KAFKA_CONSUMER, &d);
	if (!r->dry_run)
		pconf = kafka_conf_build(cfg, KAFKA_PRODUCER, &d);
	if (cconf == NULL || (!r->dry_run && pconf == NULL)) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "sipeat-replay: %s\n", d.msgs[i]);
		diag_free(&d);
		usage(stderr);
		exit(EX_USAGE_);
	}
	diag_free(&d);
	/* What the guarantees rest on: -X cannot change these. */
	kafka_conf_must(cconf, "group.id", r->group);
	kafka_conf_must(cconf, "enable.auto.commit", "false");
	kafka_conf_must(cconf, "enable.auto.offset.store", "false");
	kafka_conf_must(cconf, "enable.partition.eof", "true");
	r->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, err, sizeof err);
	if (r->consumer == NULL) {
		fprintf(stderr, "sipeat-replay: %s\n", err);
		exit(1);
	}
	if (pconf == NULL)
		return;
	rd_kafka_conf_set_opaque(pconf, r);
	rd_kafka_conf_set_dr_msg_cb(pconf, dr_msg_cb);
	r->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof err);
	if (r->producer == NULL) {
		fprintf(stderr, "sipeat-replay: %s\n", err);
		exit(1);
	}
}

/* --since or --until (opt) ARG into *ms; exits 64 when it is no time. */
static void
time_opt(const char *opt, const char *arg, int64_t *ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (replay_parse_time(arg, (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000, ms) != 0)
		usage_error("%s \"%s\": not an RFC 3339 time or a duration "
		    "such as 30m, 2h, 7d", opt, arg);
}

int
main(int argc, char **argv)
{
	enum { OPT_DLQ = 256, OPT_TYPE, OPT_ERROR, OPT_SINCE, OPT_UNTIL,
	    OPT_MAX };
	static const struct option longopts[] = {
		{ "brokers",	 required_argument,	NULL, 'b' },
		{ "dlq",	 required_argument,	NULL, OPT_DLQ },
		{ "dry-run",	 no_argument,		NULL, 'n' },
		{ "error",	 required_argument,	NULL, OPT_ERROR },
		{ "group",	 required_argument,	NULL, 'g' },
		{ "help",	 no_argument,		NULL, 'h' },
		{ "max-replays", required_argument,	NULL, OPT_MAX },
		{ "since",	 required_argument,	NULL, OPT_SINCE },
		{ "type",	 required_argument,	NULL, OPT_TYPE },
		{ "until",	 required_argument,	NULL, OPT_UNTIL },
		{ "version",	 no_argument,		NULL, 'V' },
		{ NULL,		 0,			NULL, 0 }
	};
	struct replay r;
	struct config *cfg = config_new();
	struct sigaction sa;
	const char *brokers = NULL, *pval;
	char err[256], *prop;
	int ch, status;

	memset(&r, 0, sizeof r);
	replay_filter_init(&r.filter);
	r.dlq = DEFAULT_DLQ;
	r.group = DEFAULT_GROUP;
	log_set_level(LOG_LVL_WARN);
	/* Defaults -X may change; the partitioner is kafka.c's. */
	config_set_kafka(cfg, "client.id", "sipeat-replay");
	config_set_kafka(cfg, "linger.ms", "10");
	config_set_kafka(cfg, "message.timeout.ms", "30000");
	/*
	 * The dead letters of one key are read in order (one partition) and
	 * must reach the source topic in that order: no reordering on retry.
	 */
	config_set_kafka(cfg, "enable.idempotence", "true");

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":b:g:hnVX:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			brokers = optarg;
			break;
		case 'g':
			if (*optarg == '\0')
				usage_error("-g: empty group");
			r.group = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'n':
			r.dry_run = 1;
			break;
		case 'V':
			tool_version("sipeat-replay");
			return 0;
		case 'X':
			if (tool_prop(optarg, &prop, &pval) != 0)
				usage_error("-X \"%s\": expected prop=value",
				    optarg);
			config_set_kafka(cfg, prop, pval);
			free(prop);
			break;
		case OPT_DLQ:
			if (*optarg == '\0')
				usage_error("--dlq: empty topic name");
			r.dlq = optarg;
			break;
		case OPT_TYPE:
			r.filter.type = optarg;
			break;
		case OPT_ERROR:
			if (replay_filter_error(&r.filter, optarg, err,
			    sizeof err) != 0)
				usage_error("--error \"%s\": %s", optarg, err);
			break;
		case OPT_SINCE:
			time_opt("--since", optarg, &r.filter.since_ms);
			break;
		case OPT_UNTIL:
			time_opt("--until", optarg, &r.filter.until_ms);
			break;
		case OPT_MAX:
			if (replay_parse_count(optarg, &r.filter.max_replays) != 0)
				usage_error("--max-replays \"%s\": not a whole "
				    "number", optarg);
			break;
		case ':':
			usage_error("option \"%s\" needs a value",
			    argv[optind - 1]);
		default:
			usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind != argc)
		usage_error("unexpected argument \"%s\"", argv[optind]);
	if (brokers != NULL)
		config_set_kafka(cfg, "bootstrap.servers", brokers);
	else if (config_kafka(cfg, "bootstrap.servers") == NULL)
		usage_error("no brokers: give -b BROKERS");

	make_handles(&r, cfg);
	config_free(cfg);
	if (r.dry_run)
		r.table = replay_table_new();

	/* The first signal stops reading; a second one kills. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (plan(&r) != 0) {
		status = 1;
		goto out;
	}
	fprintf(stderr, "sipeat-replay: %s: %ju dead letters to read (group "
	    "%s%s)\n", r.dlq, (uintmax_t)r.total, r.group,
	    r.dry_run ? ", dry run" : "");
	r.progress = r.total > PROGRESS_FROM && isatty(STDERR_FILENO);
	if (r.reading > 0 && assign(&r) != 0) {
		status = 1;
		goto out;
	}
	run(&r);
	status = summary(&r);
out:
	rd_kafka_consumer_close(r.consumer);
	rd_kafka_destroy(r.consumer);
	if (r.producer != NULL)
		rd_kafka_destroy(r.producer);
	for (int i = 0; i < r.nparts; i++)
		offsets_destroy(r.parts[i].trk);
	free(r.parts);
	replay_table_free(r.table);
	replay_filter_free(&r.filter);
	return status;
}

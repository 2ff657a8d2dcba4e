/*
 * sipeatd.c -- the daemon's main: options, configuration, start and stop of
 * the threads, signals.
 *
 * Threads (see doc/threads.txt): one consumer ("sipeatd-consume"), N workers
 * ("sipeatd-wrkN"), one notifier ("sipeatd-notify"), librdkafka's own, and
 * the producer's delivery-report thread ("sipeatd-dr"). Every signal the
 * daemon receives (TERM, INT, HUP, and USR1, USR2 which it ignores) is
 * blocked before the first thread starts, so all threads inherit the mask
 * and only this thread reads them, from a signalfd. The consumer thread
 * wakes this thread when it stops by itself through an eventfd, never a
 * signal.
 *
 * This file is the daemon's one lifecycle owner: main is the options, the
 * configuration, then daemon_start(), daemon_run() (the signals) and
 * daemon_stop(). Start order: notifier, producer, pool, consumer (each
 * needs the ones before it). daemon_stop() undoes it in the reverse order
 * -- drain the consumer, stop and join the pool, close the consumer, flush
 * the notifier and the producer -- all within one deadline,
 * shutdown.timeout.ms from the first SIGTERM or SIGINT; a second one stops
 * at once. The modules start and stop only themselves.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>

#include "config.h"
#include "consumer.h"
#include "diag.h"
#include "discord.h"
#include "handler.h"
#include "kafka.h"
#include "keygate.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "pool.h"
#include "producer.h"
#include "queue.h"
#include "util.h"
#include "webhook.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/sipeatd/sipeatd.conf"
#define DEFAULT_MESSAGE_MAX_BYTES 1000000
#define SHUTDOWN_LAST_MS 50	/* flush time left even past the deadline */
#define SHUTDOWN_FLUSH_MS 1000	/* most of shutdown.timeout.ms kept for flushes */
#define EX_SIGINT	130	/* 128 + SIGINT, as a shell reports Ctrl-C */

enum {
	OPT_SYSLOG = 256,
	OPT_LOG_FILE,
	OPT_WEBHOOK,
	OPT_TEST_DISCORD,
	OPT_METRICS,
};

static const struct option long_options[] = {
	{ "config",		required_argument,	NULL, 'c' },
	{ "brokers",		required_argument,	NULL, 'b' },
	{ "group",		required_argument,	NULL, 'g' },
	{ "workers",		required_argument,	NULL, 'w' },
	{ "dry-run",		no_argument,		NULL, 'n' },
	{ "exit-eof",		no_argument,		NULL, 'e' },
	{ "log-level",		required_argument,	NULL, 'l' },
	{ "syslog",		no_argument,		NULL, OPT_SYSLOG },
	{ "log-file",		required_argument,	NULL, OPT_LOG_FILE },
	{ "webhook",		required_argument,	NULL, OPT_WEBHOOK },
	{ "test-discord",	no_argument,		NULL, OPT_TEST_DISCORD },
	{ "metrics",		required_argument,	NULL, OPT_METRICS },
	{ "check-config",	no_argument,		NULL, 't' },
	{ "version",		no_argument,		NULL, 'V' },
	{ "help",		no_argument,		NULL, 'h' },
	{ NULL,			0,			NULL, 0 }
};

struct options {
	const char	*config;
	const char	*brokers;
	const char	*group;
	int		 workers;	/* -1: from the config */
	char		**props;	/* -X name=value */
	size_t		 nprops;
	int		 dry_run;
	int		 exit_eof;
	enum log_level	 level;
	int		 use_syslog;
	const char	*log_file;
	int		 check_config;
	const char	*webhook;	/* --webhook */
	int		 test_discord;
	const char	*metrics;	/* --metrics ADDR:PORT */
};

static int wake_fd = -1;	/* eventfd: the consumer thread stopped reading */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: sipeatd [-c FILE] [-b BROKERS] [-g GROUP] [-w N] [-X prop=value]...\n"
	    "               [--webhook URL] [-n] [-e] [--metrics ADDR:PORT] [-l LEVEL]\n"
	    "               [--syslog | --log-file FILE] [-t] [--test-discord] [-V] [-h]\n"
	    "\n"
	    "  -c, --config FILE     config file (default " DEFAULT_CONFIG ",\n"
	    "                        or $SIPEATD_CONFIG)\n"
	    "  -b, --brokers LIST    bootstrap.servers, overrides the config\n"
	    "  -g, --group ID        consumer group (default sipeatd)\n"
	    "  -w, --workers N       worker threads (default: CPUs, at least 2)\n"
	    "  -X prop=value         librdkafka property (-X list shows them)\n"
	    "  -n, --dry-run         print webhook payloads on stdout, send nothing\n"
	    "  -e, --exit-eof        exit once every partition is at its end and all work is done\n"
	    "      --metrics ADDR:PORT\n"
	    "                        serve /metrics (Prometheus) and /healthz\n"
	    "  -l, --log-level LEVEL error, warn, info (default) or debug\n"
	    "      --syslog          log to syslog\n"
	    "      --log-file FILE   log to FILE (reopened on SIGHUP)\n"
	    "      --webhook URL     Discord webhook (else $DISCORD_WEBHOOK, else the config)\n"
	    "  -t, --check-config    validate the configuration and exit\n"
	    "      --test-discord    send the five test messages to every webhook and exit\n"
	    "  -V, --version         print the version and exit\n"
	    "  -h, --help            print this help and exit\n");
}

static int
parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	if (*s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static void
parse_options(int argc, char **argv, struct options *opt)
{
	int ch;

	opt->workers = -1;
	opt->level = LOG_LVL_INFO;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:b:g:w:X:nel:tVh", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			opt->config = optarg;
			break;
		case 'b':
			opt->brokers = optarg;
			break;
		case 'g':
			opt->group = optarg;
			break;
		case 'w':
			if (parse_int(optarg, 1, 1024, &opt->workers) != 0) {
				fprintf(stderr, "sipeatd: -w: expected 1..1024, got \"%s\"\n", optarg);
				goto bad;
			}
			break;
		case 'X':
			if (strcmp(optarg, "list") == 0) {
				rd_kafka_conf_properties_show(stdout);
				exit(0);
			}
			if (strchr(optarg, '=') == NULL || *optarg == '=') {
				fprintf(stderr, "sipeatd: -X: expected prop=value, got \"%s\"\n", optarg);
				goto bad;
			}
			opt->props = xreallocarray(opt->props, opt->nprops + 1, sizeof *opt->props);
			opt->props[opt->nprops++] = optarg;
			break;
		case 'n':
			opt->dry_run = 1;
			break;
		case 'e':
			opt->exit_eof = 1;
			break;
		case 'l':
			if (log_level_parse(optarg, &opt->level) != 0) {
				fprintf(stderr, "sipeatd: -l: expected error, warn, info or debug, got \"%s\"\n",
				    optarg);
				goto bad;
			}
			break;
		case OPT_SYSLOG:
			opt->use_syslog = 1;
			break;
		case OPT_LOG_FILE:
			opt->log_file = optarg;
			break;
		case OPT_WEBHOOK:
			opt->webhook = optarg;
			break;
		case OPT_TEST_DISCORD:
			opt->test_discord = 1;
			break;
		case OPT_METRICS:
			if (metrics_addr_valid(optarg) != 0) {
				fprintf(stderr, "sipeatd: --metrics: expected ADDR:PORT, "
				    "[ADDR6]:PORT or :PORT, got \"%s\"\n", optarg);
				goto bad;
			}
			opt->metrics = optarg;
			break;
		case 't':
			opt->check_config = 1;
			break;
		case 'V':
			printf("sipeatd %s (librdkafka %s)\n", PACKAGE_VERSION, rd_kafka_version_str());
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "sipeatd: option %s needs a value\n", argv[optind - 1]);
			goto bad;
		default:
			if (optopt != 0)
				fprintf(stderr, "sipeatd: unknown option -%c\n", optopt);
			else
				fprintf(stderr, "sipeatd: unknown option %s\n", argv[optind - 1]);
			goto bad;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sipeatd: unexpected argument \"%s\"\n", argv[optind]);
		goto bad;
	}
	if (opt->use_syslog && opt->log_file != NULL) {
		fprintf(stderr, "sipeatd: --syslog and --log-file exclude each other\n");
		goto bad;
	}
	return;
bad:
	usage(stderr);
	exit(EX_USAGE);
}

/* Applies the command line over the file: -b, -g, -X, -w. */
static void
apply_overrides(struct config *cfg, const struct options *opt)
{
	if (opt->brokers != NULL)
		config_set_kafka(cfg, "bootstrap.servers", opt->brokers);
	if (opt->group != NULL)
		config_set_kafka(cfg, "group.id", opt->group);
	for (size_t i = 0; i < opt->nprops; i++) {
		char *name = xstrdup(opt->props[i]);
		char *eq = strchr(name, '=');

		*eq = '\0';
		config_set_kafka(cfg, name, eq + 1);
		free(name);
	}
	if (opt->workers > 0)
		cfg->workers = opt->workers;
}

/* Everything --check-config checks, beyond the file itself. */
static struct handlers *
check_all(const struct config *cfg, struct diag *d)
{
	struct handlers *hs = handlers_build(cfg, d);
	rd_kafka_conf_t *conf;

	if (config_kafka(cfg, "bootstrap.servers") == NULL &&
	    config_kafka(cfg, "metadata.broker.list") == NULL)
		diag_add(d, cfg->path, 0,
		    "no brokers: set bootstrap.servers in [kafka] or use -b");
	if (hs != NULL && hs->n == 0)
		diag_add(d, cfg->path, 0, "no [handler TYPE] section: nothing to consume");
	if ((conf = kafka_conf_build(cfg, KAFKA_CONSUMER, d)) != NULL)
		rd_kafka_conf_destroy(conf);
	return hs;
}

static void
consumer_stopped(void *arg)
{
	uint64_t one = 1;

	(void)arg;
	while (write(wake_fd, &one, sizeof one) == -1 && errno == EINTR)
		;
}

static int
worker_count(const struct config *cfg)
{
	long n;

	if (cfg->workers > 0)
		return cfg->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 2 ? 2 : (int)n;
}

static size_t
message_max_bytes(const struct config *cfg)
{
	const char *v = config_kafka(cfg, "message.max.bytes");
	int n;

	if (v != NULL && parse_int(v, 1000, 1000000000, &n) == 0)
		return (size_t)n;
	return DEFAULT_MESSAGE_MAX_BYTES;
}

/*
 * Signals as the process starts: a parent may leave SIGCHLD ignored (then
 * the kernel reaps every child itself, waitpid() fails with ECHILD and each
 * exec stage "times out"), other dispositions changed, or signals blocked.
 * Start from the defaults with exactly set blocked (inherited by every
 * thread), SIGPIPE ignored (a child that closed its stdin must not kill
 * the daemon; the exec stage restores it in its children).
 */
static void
signals_init(const sigset_t *set)
{
	static const int dfl[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1,
	    SIGUSR2, SIGALRM, SIGQUIT };

	/* Blocked first: a SIGTERM now waits for the signal loop. */
	pthread_sigmask(SIG_SETMASK, set, NULL);
	for (size_t i = 0; i < sizeof dfl / sizeof dfl[0]; i++)
		signal(dfl[i], SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Everything the daemon holds while it runs. main fills the configuration
 * part (cfg, hs, hooks), daemon_start() the rest, daemon_stop()
 * empties it; main frees the configuration part last.
 */
struct daemon {
	struct config		*cfg;
	struct handlers		*hs;
	struct webhook		*hooks;		/* "default" first, if set */
	size_t			 nhooks;
	int			 hooks_bad;	/* the default URL is invalid */
	struct job_stack	 done;
	struct pipeline		 pl;
	struct notifier		*nt;
	struct producer		*prod;
	struct pool		*pool;
	struct consumer		*cons;
	struct metrics_server	*ms;
	int			 sfd;		/* signalfd; -1: none */
	int64_t			 deadline;	/* of the shutdown; 0: none yet */
	int			 signalled;	/* a SIGTERM or SIGINT came */
	int			 aborted;	/* a second one came */
};

/*
 * What is left of the shutdown's budget (the whole of shutdown.timeout.ms
 * when there is no deadline yet), never less than a moment for the last
 * notifications: a signalled stop ends within shutdown.timeout.ms plus
 * that moment. After a second signal nothing more is waited for.
 */
static int
shutdown_left(const struct daemon *dm)
{
	int64_t left = dm->cfg->shutdown_timeout_ms;

	if (dm->aborted)
		return 0;
	if (dm->deadline != 0)
		left = dm->deadline - now_ms();
	return left < SHUTDOWN_LAST_MS ? SHUTDOWN_LAST_MS : (int)left;
}

/*
 * When running events are cut short: the deadline less what is kept, out
 * of shutdown.timeout.ms, for what follows the drain -- the final commit,
 * leaving the group, the notifier's and the producer's flushes.
 */
static int64_t
shutdown_cut(const struct daemon *dm)
{
	int64_t reserve = dm->cfg->shutdown_timeout_ms / 5;

	if (reserve > SHUTDOWN_FLUSH_MS)
		reserve = SHUTDOWN_FLUSH_MS;
	return dm->deadline - reserve;
}

/*
 * The first SIGTERM or SIGINT, or the consumer stopping by itself: the
 * one deadline is set here, once, and no event starts from now on -- the
 * pool starts none, the consumer reads no more.
 */
static void
stop_intake(struct daemon *dm)
{
	if (dm->deadline == 0)
		dm->deadline = now_ms() + dm->cfg->shutdown_timeout_ms;
	if (dm->pool != NULL)
		pool_drain(dm->pool, dm->deadline);
	if (dm->cons != NULL)
		consumer_stop(dm->cons, dm->deadline);
}

/*
 * Reads one signal from the signalfd, if one is there: SIGHUP reopens the
 * log, the first SIGTERM or SIGINT starts the shutdown, a second one cuts
 * it short (every remaining wait ends at once); any other signal (SIGUSR1,
 * SIGUSR2) does nothing. Returns 0 when a signal was read, else -1.
 */
static int
take_signal(struct daemon *dm)
{
	struct signalfd_siginfo si;
	const char *name;

	if (dm->sfd == -1 || read(dm->sfd, &si, sizeof si) != (ssize_t)sizeof si)
		return -1;
	name = si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT";
	switch (si.ssi_signo) {
	case SIGHUP:
		if (log_reopen() != 0)
			log_error("main", "SIGHUP: cannot reopen the log file");
		else
			log_info("main", "SIGHUP: log reopened");
		break;
	case SIGTERM:
	case SIGINT:
		if (!dm->signalled) {
			dm->signalled = 1;
			log_info("main", "%s: finishing in-flight events, then exiting",
			    name);
			stop_intake(dm);
		} else if (!dm->aborted) {
			dm->aborted = 1;
			log_warn("main", "%s again: stopping now; running events "
			    "are left for the next run", name);
			if (dm->pool != NULL)
				pool_abort(dm->pool);
			if (dm->cons != NULL)
				consumer_abort(dm->cons);
		}
		break;
	default:
		log_debug("main", "signal %u ignored", si.ssi_signo);
		break;
	}
	return 0;
}

/*
 * Start, in dependency order: the notifier, the producer (when a dead
 * letter topic or a kafka stage needs one), the queue, key gate and
 * pipeline, the metrics server, the pool, the consumer -- each needs the
 * ones before it. Returns 0 with the consumer thread running, or the exit
 * status; daemon_stop() undoes whatever was started in either case.
 * dm->sfd is -1 until daemon_run() makes the signalfd.
 */
static int
daemon_start(struct daemon *dm, const struct options *opt, struct diag *d)
{
	struct consumer_opts co = { 0 };
	struct notifier_opts no = { 0 };
	const struct config *cfg = dm->cfg;
	char err[512];
	int workers = worker_count(cfg);

	no.dry_run = opt->dry_run;
	no.out = stdout;
	no.linger_ms = cfg->linger_ms;
	no.queue_size = cfg->discord_queue_size;
	if (dm->nhooks == 0) {
		/*
		 * No webhook: the default one without URL, with [discord]'s
		 * username and avatar for what --dry-run prints.
		 */
		dm->hooks = xreallocarray(dm->hooks, 1, sizeof *dm->hooks);
		webhook_init(&dm->hooks[0], WEBHOOK_DEFAULT_NAME);
		if (cfg->username != NULL)
			dm->hooks[0].username = xstrdup(cfg->username);
		if (cfg->avatar_url != NULL)
			dm->hooks[0].avatar_url = xstrdup(cfg->avatar_url);
		dm->nhooks = 1;
	}
	no.hooks = dm->hooks;
	no.nhooks = dm->nhooks;
	no.group_failures = cfg->group_failures;
	dm->nt = notifier_create(&no);
	if (dm->nt == NULL || notifier_start(dm->nt) != 0)
		return 1;
	/* One producer serves the dead-letter topic and every kafka stage. */
	if ((cfg->dlq_topic != NULL && *cfg->dlq_topic != '\0') ||
	    handlers_use_action(dm->hs, &stage_kafka_action)) {
		dm->prod = producer_create(cfg, err, sizeof err);
		if (dm->prod == NULL) {
			log_error("main", "producer: %s", err);
			return 1;
		}
	}
	dm->pl.handlers = dm->hs;
	dm->pl.queue = queue_create(cfg->queue_size);
	dm->pl.gate = cfg->ordering == ORDERING_NONE ? NULL : keygate_create(0);
	dm->pl.done = &dm->done;
	dm->pl.notifier = dm->nt;
	dm->pl.producer = dm->prod;
	dm->pl.dlq_topic = cfg->dlq_topic;
	dm->pl.max_message_bytes = message_max_bytes(cfg);
	metrics_init(dm->hs, dm->pl.queue);
	if (opt->metrics != NULL &&
	    (dm->ms = metrics_server_start(opt->metrics, err, sizeof err)) == NULL) {
		log_error("main", "%s", err);
		return 1;
	}
	wake_fd = eventfd(0, EFD_CLOEXEC);
	if (wake_fd == -1) {
		log_error("main", "eventfd: %m");
		return 1;
	}
	dm->pool = pool_start(&dm->pl, workers);
	if (dm->pool == NULL)
		return 1;
	co.cfg = cfg;
	co.handlers = dm->hs;
	co.pl = &dm->pl;
	co.workers = workers;
	co.exit_eof = opt->exit_eof;
	co.on_stop = consumer_stopped;
	co.metrics = opt->metrics != NULL;
	dm->cons = consumer_create(&co, d);
	if (dm->cons == NULL) {
		diag_print(d, stderr);
		return EX_CONFIG;
	}
	log_info("main", "sipeatd %s started: %d workers, %zu handlers, queue %zu, "
	    "max.inflight %zu, ordering %s%s", PACKAGE_VERSION, workers, dm->hs->n,
	    cfg->queue_size, cfg->max_inflight,
	    cfg->ordering == ORDERING_KEY ? "key" :
	    cfg->ordering == ORDERING_PARTITION ? "partition" : "none",
	    opt->dry_run ? ", dry run" : "");
	if (consumer_start(dm->cons) != 0)
		return 1;
	return 0;
}

/*
 * Runs until the first SIGTERM or SIGINT, or until the consumer thread
 * stops by itself (-e, a fatal error): polls the signalfd, which
 * daemon_stop() keeps reading, and the consumer's eventfd. Without a
 * signalfd (logged) it stops at once.
 */
static void
daemon_run(struct daemon *dm, const sigset_t *set)
{
	struct pollfd pfd[2];

	dm->sfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (dm->sfd == -1) {
		log_error("main", "signalfd: %m");
		return;
	}
	pfd[0].fd = dm->sfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = wake_fd;
	pfd[1].events = POLLIN;
	while (!dm->signalled) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno != EINTR) {
				log_error("main", "poll: %m");
				sleep_ms(100);
			}
			continue;
		}
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents != 0)
			take_signal(dm);
	}
}

/*
 * Stop: the one place the daemon shuts down, in the reverse of the start
 * order, all by the one deadline (dm->deadline: set at the first SIGTERM
 * or SIGINT, or here when the consumer stopped by itself or the start
 * failed). Safe after a partial daemon_start(). Returns the exit status:
 * status, or the consumer's failure.
 *
 *  1. Intake: no event starts (pool_drain()), no message is read
 *     (consumer_stop()) -- done at the signal already.
 *  2. consumer_drain(): the running events finish, until the cut (the
 *     deadline less a reserve for the flushes); those still running then
 *     are cut short (pool_abort()): neither notified nor committed.
 *  3. pool_stop(), pool_join(): the workers end, every job is back on the
 *     completion stack.
 *  4. consumer_close(): the watermarks stored and committed, the group
 *     left (its revoke bounded by the deadline).
 *  5. The metrics server, then the notifier and the producer, flushing
 *     with what is left of the deadline (shutdown_left()); then all freed.
 *
 * The consumer's steps run on its thread (librdkafka's callbacks and the
 * completions stay there) while this one waits on its eventfd and on the
 * signalfd: a second SIGTERM or SIGINT aborts -- the pool's stages give
 * up, the consumer's waits end, nothing more is flushed -- and the exit
 * status stays 0, with only finished events committed.
 */
static int
daemon_stop(struct daemon *dm, int status)
{
	long left;
	int rc;

	stop_intake(dm);
	if (dm->cons != NULL) {
		while ((left = consumer_drain(dm->cons, shutdown_cut(dm), dm->sfd)) < 0)
			take_signal(dm);
		if (left > 0) {
			log_warn("main", "shutdown: %s with %ld events still running; "
			    "cutting them short, they will be processed again",
			    dm->aborted ? "second signal" : "out of shutdown.timeout.ms",
			    left);
			pool_abort(dm->pool);
		}
	}
	if (dm->pool != NULL) {
		pool_stop(dm->pool);
		pool_join(dm->pool);
	}
	if (dm->cons != NULL) {
		while ((rc = consumer_close(dm->cons, dm->sfd)) < 0)
			take_signal(dm);
		if (status == 0)
			status = rc;
	}
	while (take_signal(dm) == 0)
		;
	metrics_server_stop(dm->ms);
	if (dm->nt != NULL) {
		notifier_stop(dm->nt, shutdown_left(dm));
		notifier_destroy(dm->nt);
	}
	if (dm->prod != NULL)
		producer_destroy(dm->prod, shutdown_left(dm));
	if (dm->cons != NULL) {
		log_info("main", "exiting: %lu events processed (%lu ok, %lu failed, "
		    "%lu invalid); %lu embeds in %lu payloads, %lu digested, "
		    "%lu dropped; "
		    "%lu dead-lettered, %lu dead-letter errors",
		    metrics_get(M_EVENTS_OK) + metrics_get(M_EVENTS_FAILED) +
		    metrics_get(M_EVENTS_INVALID), metrics_get(M_EVENTS_OK),
		    metrics_get(M_EVENTS_FAILED), metrics_get(M_EVENTS_INVALID),
		    metrics_get(M_EMBEDS_SENT), metrics_get(M_PAYLOADS),
		    metrics_get(M_EMBEDS_DIGESTED),
		    metrics_get(M_EMBEDS_DROPPED), metrics_get(M_DLQ_PRODUCED),
		    metrics_get(M_DLQ_ERRORS));
		consumer_destroy(dm->cons);
	}
	pool_free(dm->pool);
	if (wake_fd != -1)
		close(wake_fd);
	if (dm->sfd != -1)
		close(dm->sfd);
	if (dm->pl.gate != NULL)
		keygate_destroy(dm->pl.gate);
	if (dm->pl.queue != NULL)
		queue_destroy(dm->pl.queue);
	return status;
}

/*
 * What main does before starting: --test-discord, -t, configuration errors
 * and the log destination. Returns -1 to go on, else the exit status.
 */
static int
before_start(struct daemon *dm, const struct options *opt, struct diag *d)
{
	if (opt->test_discord) {
		if (!dm->hooks_bad && dm->nhooks > 0)
			return discord_test_run(dm->hooks, dm->nhooks, stdout);
		diag_print(d, stderr);
		fprintf(stderr, "sipeatd: --test-discord: %s\n", dm->hooks_bad ?
		    "the webhook URL is invalid" : "no webhook (--webhook, "
		    "DISCORD_WEBHOOK, [discord] webhook or a [webhook NAME] url)");
		return EX_CONFIG;
	}
	dm->hs = check_all(dm->cfg, d);
	if (opt->check_config) {
		diag_print(d, stdout);
		if (diag_errors(d) > 0)
			return EX_CONFIG;
		printf("%s: configuration OK (%zu handlers)\n", dm->cfg->path,
		    dm->hs != NULL ? dm->hs->n : 0);
		return 0;
	}
	if (diag_errors(d) > 0) {
		diag_print(d, stderr);
		return EX_CONFIG;
	}
	if (opt->log_file != NULL && log_to_file(opt->log_file) != 0) {
		fprintf(stderr, "sipeatd: cannot open log file %s\n", opt->log_file);
		return 1;
	}
	if (opt->use_syslog)
		log_to_syslog("sipeatd");
	for (size_t i = 0; i < d->n; i++)
		log_warn("config", "%s", d->msgs[i]);
	if (!opt->dry_run && dm->nhooks == 0)
		log_warn("main", "no Discord webhook configured: notifications are "
		    "counted, not sent");
	return -1;
}

int
main(int argc, char **argv)
{
	struct options opt = { 0 };
	struct diag d = { 0 };
	struct daemon dm = { .sfd = -1 };
	const char *path;
	sigset_t set;
	int status;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	signals_init(&set);
	/* Not thread-safe: once, before any thread (libcurl-thread(3)). */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	parse_options(argc, argv, &opt);
	log_set_level(opt.level);
	path = opt.config;
	if (path == NULL)
		path = getenv("SIPEATD_CONFIG");
	if (path == NULL || *path == '\0')
		path = DEFAULT_CONFIG;
	dm.cfg = config_load(path, &d);
	if (dm.cfg == NULL) {
		diag_print(&d, stderr);
		diag_free(&d);
		return EX_CONFIG;
	}
	apply_overrides(dm.cfg, &opt);
	dm.hooks_bad = webhooks_resolve(dm.cfg, opt.webhook, &dm.hooks,
	    &dm.nhooks, &d) != 0;
	if ((status = before_start(&dm, &opt, &d)) < 0) {
		status = daemon_start(&dm, &opt, &d);
		if (status == 0)
			daemon_run(&dm, &set);
		status = daemon_stop(&dm, status);
	}
	handlers_free(dm.hs);
	webhooks_free(dm.hooks, dm.nhooks);
	config_free(dm.cfg);
	diag_free(&d);
	free(opt.props);
	metrics_free();
	log_close();
	return status;
}

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
 * wakes this thread when it ends through an eventfd, never a signal.
 *
 * main is the options, the configuration, then daemon_start(),
 * daemon_run() and daemon_stop(). Start order: notifier, producer, pool,
 * consumer (each needs the ones before it). Stop order is the reverse,
 * driven by the consumer thread for its part (drain, stop the pool,
 * commit, close), then daemon_stop() flushes the notifier and flushes and
 * destroys the producer -- all within one deadline, shutdown.timeout.ms
 * from the first SIGTERM or SIGINT; a second one stops at once.
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

static int wake_fd = -1;	/* eventfd: the consumer thread has ended */

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
consumer_ended(void *arg)
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
 * What is left of the shutdown's budget at deadline (the whole of
 * shutdown.timeout.ms when there is none yet: a failure before the
 * consumer ran), never less than a moment for the last notifications: a
 * signalled stop ends within shutdown.timeout.ms plus that moment. After a
 * second signal nothing more is waited for.
 */
static int
shutdown_left(const struct config *cfg, int64_t deadline, int aborted)
{
	int64_t left = cfg->shutdown_timeout_ms;

	if (aborted)
		return 0;
	if (deadline != 0)
		left = deadline - now_ms();
	return left < SHUTDOWN_LAST_MS ? SHUTDOWN_LAST_MS : (int)left;
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
 * Waits until the consumer thread has ended, reading signals from a
 * signalfd: SIGHUP reopens the log, the first SIGTERM or SIGINT starts the
 * shutdown with its deadline, a second one stops at once (*aborted set);
 * any other signal (SIGUSR1, SIGUSR2) does nothing. Returns 0, or -1 when
 * the signalfd cannot be made (the caller stops the consumer).
 */
static int
signal_loop(struct consumer *c, const struct config *cfg, const sigset_t *set,
    int *aborted)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	int64_t deadline;
	int sfd, stopping = 0;
	ssize_t n;

	sfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd == -1) {
		log_error("main", "signalfd: %m");
		return -1;
	}
	pfd[0].fd = sfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = wake_fd;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_error("main", "poll: %m");
			sleep_ms(100);
			continue;
		}
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents == 0)
			continue;
		n = read(sfd, &si, sizeof si);
		if (n != (ssize_t)sizeof si)
			continue;
		switch (si.ssi_signo) {
		case SIGHUP:
			if (log_reopen() != 0)
				log_error("main", "SIGHUP: cannot reopen the log file");
			else
				log_info("main", "SIGHUP: log reopened");
			break;
		case SIGTERM:
		case SIGINT:
			if (!stopping) {
				stopping = 1;
				deadline = now_ms() + cfg->shutdown_timeout_ms;
				log_info("main", "%s: finishing in-flight events, then exiting",
				    si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
				consumer_stop(c, deadline);
			} else if (!*aborted) {
				*aborted = 1;
				log_warn("main", "%s again: stopping now; running events "
				    "are left for the next run",
				    si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
				consumer_abort(c);
			}
			break;
		default:
			log_debug("main", "signal %u ignored", si.ssi_signo);
			break;
		}
	}
	close(sfd);
	return 0;
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
	int64_t			 deadline;	/* of the shutdown; 0: none yet */
	int			 aborted;	/* a second signal came */
};

/*
 * Start, in dependency order: the notifier, the producer (when a dead
 * letter topic or a kafka stage needs one), the queue, key gate and
 * pipeline, the metrics server, the pool, the consumer -- each needs the
 * ones before it. Returns 0 with the consumer thread running, or the exit
 * status; daemon_stop() undoes whatever was started in either case.
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
	co.pool = dm->pool;
	co.exit_eof = opt->exit_eof;
	co.on_exit = consumer_ended;
	co.metrics = opt->metrics != NULL;
	dm->cons = consumer_create(&co, d);
	if (dm->cons == NULL) {
		diag_print(d, stderr);
		pool_stop(dm->pool);
		pool_join(dm->pool);
		return EX_CONFIG;
	}
	log_info("main", "sipeatd %s started: %d workers, %zu handlers, queue %zu, "
	    "max.inflight %zu, ordering %s%s", PACKAGE_VERSION, workers, dm->hs->n,
	    cfg->queue_size, cfg->max_inflight,
	    cfg->ordering == ORDERING_KEY ? "key" :
	    cfg->ordering == ORDERING_PARTITION ? "partition" : "none",
	    opt->dry_run ? ", dry run" : "");
	if (consumer_start(dm->cons) != 0) {
		pool_stop(dm->pool);
		pool_join(dm->pool);
		return 1;
	}
	return 0;
}

/*
 * Runs until the consumer thread ends: by itself (-e, a fatal error) or
 * after a signal, when it has drained and joined the pool, committed and
 * closed (consumer.c shutdown_consumer()). Returns its exit status and
 * keeps the shutdown's deadline for daemon_stop().
 */
static int
daemon_run(struct daemon *dm, const sigset_t *set)
{
	int status;

	if (signal_loop(dm->cons, dm->cfg, set, &dm->aborted) != 0)
		consumer_stop(dm->cons, now_ms() + dm->cfg->shutdown_timeout_ms);
	status = consumer_join(dm->cons);	/* the pool is joined by now */
	dm->deadline = consumer_deadline(dm->cons);
	return status;
}

/*
 * Stop, in the reverse order, all within the one deadline of the shutdown
 * (what is left of it: shutdown_left()): the metrics server, the notifier
 * (flushing what it holds), the producer (flushing), then everything is
 * freed. Safe after a partial daemon_start().
 */
static void
daemon_stop(struct daemon *dm)
{
	metrics_server_stop(dm->ms);
	if (dm->nt != NULL) {
		notifier_stop(dm->nt, shutdown_left(dm->cfg, dm->deadline, dm->aborted));
		notifier_destroy(dm->nt);
	}
	if (dm->prod != NULL)
		producer_destroy(dm->prod, shutdown_left(dm->cfg, dm->deadline,
		    dm->aborted));
	if (dm->cons != NULL) {
		log_info("main", "exiting: %lu events processed (%lu ok, %lu failed, "
		    "%lu invalid); %lu embeds in %lu payloads, %lu digested, "
		    "%lu dropped; "
		    "%lu dead-lettered, %lu dead-letter errors",
		    METRIC_GET(events_ok) + METRIC_GET(events_failed) +
		    METRIC_GET(events_invalid), METRIC_GET(events_ok),
		    METRIC_GET(events_failed), METRIC_GET(events_invalid),
		    METRIC_GET(embeds_sent), METRIC_GET(payloads),
		    METRIC_GET(embeds_digested), METRIC_GET(embeds_dropped),
		    METRIC_GET(dlq_produced),
		    METRIC_GET(dlq_errors));
		consumer_destroy(dm->cons);
	}
	pool_free(dm->pool);
	if (wake_fd != -1)
		close(wake_fd);
	if (dm->pl.gate != NULL)
		keygate_destroy(dm->pl.gate);
	if (dm->pl.queue != NULL)
		queue_destroy(dm->pl.queue);
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
	struct daemon dm = { 0 };
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
			status = daemon_run(&dm, &set);
		daemon_stop(&dm);
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

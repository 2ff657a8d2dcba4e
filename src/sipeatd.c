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
 * Start order: notifier, producer, pool, consumer (each needs the ones
 * before it). Stop order is the reverse, driven by the consumer thread for
 * its part (drain, stop the pool, commit, close), then the notifier is
 * flushed and the producer flushed and destroyed -- all within one
 * deadline, shutdown.timeout.ms from the first SIGTERM or SIGINT; a second
 * one stops at once.
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
	    "      --test-discord    send the five test messages to the webhook and exit\n"
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
 * --test-discord runs in this thread, in the foreground: Ctrl-C (SIGINT)
 * ends it at once with 130, SIGTERM with 143, as a shell expects.
 */
static void
test_discord_signal(int sig)
{
	_exit(128 + sig);
}

static int
run_test_discord(const struct discord_webhook *wh, const struct config *cfg)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = test_discord_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return discord_send_test(wh, cfg->username, cfg->avatar_url, stdout);
}

int
main(int argc, char **argv)
{
	struct options opt = { 0 };
	struct diag d = { 0 };
	struct config *cfg;
	struct handlers *hs = NULL;
	struct job_stack done = { NULL };
	struct pipeline pl = { 0 };
	struct notifier *nt = NULL;
	struct producer *prod = NULL;
	struct pool *pool = NULL;
	struct consumer *cons = NULL;
	struct consumer_opts co = { 0 };
	struct metrics_server *ms = NULL;
	struct notifier_opts no = { 0 };
	struct discord_webhook wh = { NULL };
	const char *webhook, *path;
	sigset_t set;
	int64_t deadline = 0;
	char err[512];
	int status = 1, workers, aborted = 0;

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
	cfg = config_load(path, &d);
	if (cfg == NULL) {
		diag_print(&d, stderr);
		diag_free(&d);
		return EX_CONFIG;
	}
	apply_overrides(cfg, &opt);
	/* --webhook > DISCORD_WEBHOOK > [discord] webhook: a secret from here on. */
	webhook = opt.webhook;
	if (webhook == NULL || *webhook == '\0')
		webhook = getenv("DISCORD_WEBHOOK");
	if (webhook == NULL || *webhook == '\0')
		webhook = cfg->webhook;
	if (webhook != NULL && *webhook == '\0')
		webhook = NULL;
	log_add_secret(webhook);
	if (webhook != NULL) {
		if (discord_webhook_parse(webhook, &wh, err, sizeof err) == 0)
			log_add_secret(wh.token);
		else
			diag_add(&d, opt.webhook != NULL ? "--webhook" :
			    webhook == cfg->webhook ? cfg->path : "DISCORD_WEBHOOK",
			    webhook == cfg->webhook ? cfg->webhook_line : 0, "%s", err);
	}
	if (opt.test_discord) {
		if (webhook == NULL || wh.url == NULL) {
			diag_print(&d, stderr);
			fprintf(stderr, "sipeatd: --test-discord: %s\n", webhook == NULL ?
			    "no webhook (--webhook, DISCORD_WEBHOOK or [discord] webhook)" :
			    "the webhook URL is invalid");
			status = EX_CONFIG;
		} else
			status = run_test_discord(&wh, cfg);
		goto out;
	}
	hs = check_all(cfg, &d);
	if (opt.check_config) {
		diag_print(&d, stdout);
		status = diag_errors(&d) > 0 ? EX_CONFIG : 0;
		if (status == 0)
			printf("%s: configuration OK (%zu handlers)\n", cfg->path,
			    hs != NULL ? hs->n : 0);
		goto out;
	}
	if (diag_errors(&d) > 0) {
		diag_print(&d, stderr);
		status = EX_CONFIG;
		goto out;
	}

	if (opt.log_file != NULL && log_to_file(opt.log_file) != 0) {
		fprintf(stderr, "sipeatd: cannot open log file %s\n", opt.log_file);
		status = 1;
		goto out;
	}
	if (opt.use_syslog)
		log_to_syslog("sipeatd");
	for (size_t i = 0; i < d.n; i++)
		log_warn("config", "%s", d.msgs[i]);
	if (!opt.dry_run && webhook == NULL)
		log_warn("main", "no Discord webhook configured: notifications are "
		    "counted, not sent");

	workers = worker_count(cfg);
	no.dry_run = opt.dry_run;
	no.out = stdout;
	no.username = cfg->username;
	no.avatar_url = cfg->avatar_url;
	no.linger_ms = cfg->linger_ms;
	no.queue_size = cfg->discord_queue_size;
	no.webhook = webhook != NULL ? &wh : NULL;
	nt = notifier_create(&no);
	if (nt == NULL || notifier_start(nt) != 0)
		goto out;

	/* One producer serves the dead-letter topic and every kafka stage. */
	if ((cfg->dlq_topic != NULL && *cfg->dlq_topic != '\0') ||
	    handlers_use_action(hs, &stage_kafka_action)) {
		prod = producer_create(cfg, err, sizeof err);
		if (prod == NULL) {
			log_error("main", "producer: %s", err);
			goto out;
		}
	}

	pl.handlers = hs;
	pl.queue = queue_create(cfg->queue_size);
	pl.gate = cfg->ordering == ORDERING_NONE ? NULL : keygate_create(0);
	pl.done = &done;
	pl.notifier = nt;
	pl.producer = prod;
	pl.dlq_topic = cfg->dlq_topic;
	pl.max_message_bytes = message_max_bytes(cfg);
	metrics_init(hs, pl.queue);
	if (opt.metrics != NULL &&
	    (ms = metrics_server_start(opt.metrics, err, sizeof err)) == NULL) {
		log_error("main", "%s", err);
		goto out;
	}
	wake_fd = eventfd(0, EFD_CLOEXEC);
	if (wake_fd == -1) {
		log_error("main", "eventfd: %m");
		goto out;
	}
	pool = pool_start(&pl, workers);
	if (pool == NULL)
		goto out;

	co.cfg = cfg;
	co.handlers = hs;
	co.pl = &pl;
	co.pool = pool;
	co.exit_eof = opt.exit_eof;
	co.on_exit = consumer_ended;
	co.metrics = opt.metrics != NULL;
	cons = consumer_create(&co, &d);
	if (cons == NULL) {
		diag_print(&d, stderr);
		pool_stop(pool);
		pool_join(pool);
		status = EX_CONFIG;
		goto out;
	}
	log_info("main", "sipeatd %s started: %d workers, %zu handlers, queue %zu, "
	    "max.inflight %zu, ordering %s%s", PACKAGE_VERSION, workers, hs->n,
	    cfg->queue_size, cfg->max_inflight,
	    cfg->ordering == ORDERING_KEY ? "key" :
	    cfg->ordering == ORDERING_PARTITION ? "partition" : "none",
	    opt.dry_run ? ", dry run" : "");
	if (consumer_start(cons) != 0) {
		pool_stop(pool);
		pool_join(pool);
		goto out;
	}
	if (signal_loop(cons, cfg, &set, &aborted) != 0)
		consumer_stop(cons, now_ms() + cfg->shutdown_timeout_ms);
	status = consumer_join(cons);	/* the pool is joined by now */
	deadline = consumer_deadline(cons);

out:
	metrics_server_stop(ms);
	if (nt != NULL) {
		notifier_stop(nt, shutdown_left(cfg, deadline, aborted));
		notifier_destroy(nt);
	}
	if (prod != NULL)
		producer_destroy(prod, shutdown_left(cfg, deadline, aborted));
	if (cons != NULL) {
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
		consumer_destroy(cons);
	}
	pool_free(pool);
	if (wake_fd != -1)
		close(wake_fd);
	if (pl.gate != NULL)
		keygate_destroy(pl.gate);
	if (pl.queue != NULL)
		queue_destroy(pl.queue);
	handlers_free(hs);
	discord_webhook_free(&wh);
	config_free(cfg);
	diag_free(&d);
	free(opt.props);
	metrics_free();
	log_close();
	return status;
}

/*
 * sipeat-devbroker.c -- an in-memory Kafka broker for development and tests.
 *
 * Design: librdkafka ships a mock cluster (rdkafka_mock.h, experimental) that
 * speaks enough of the Kafka protocol for producers, consumer groups and
 * offset commits.  It needs an rd_kafka_t for its bookkeeping, so this
 * program creates an idle producer handle, attaches a mock cluster of -n
 * brokers with rd_kafka_mock_cluster_new() (which, unlike the
 * test.mock.num.brokers property, hands back the cluster handle that fault
 * injection needs), creates the SipEat topics and waits.
 *
 * The mock brokers listen on ephemeral ports of 127.0.0.1, so the bootstrap
 * list is only known at run time: it is printed on stdout and, with -f,
 * written to a file by rename() so that a script polling for the file never
 * reads half of it.
 *
 * Threads: librdkafka and the mock cluster run their own threads.  SIGINT
 * and SIGTERM are blocked before any of them start, so they inherit the
 * mask, and the main thread takes the signal with sigwait(); then it
 * destroys the cluster before the handle it hangs off, and exits 0.
 *
 * Fault control (-c FIFO): a control thread reads commands line by line
 * from a named pipe (reopened at each end of file, so every writer's lines
 * are read) and applies them to the cluster: brokers down and up, round
 * trip time, partition leaders, and request errors pushed onto the mock's
 * per-API error stack.  Every command is answered by one line, "ok: CMD"
 * or "error: CMD: REASON", written after the command has taken effect
 * (the mock cluster applies broker commands synchronously on its own
 * thread and returns), to -C FILE (appended, flushed per line) or else to
 * stderr; a test counts the lines of FILE to know its command was applied
 * before it goes on.  The cluster is destroyed by the main thread under
 * ctl_lock after setting ctl_stopping, so a command never touches a freed
 * cluster; the control thread is not joined (it may be blocked in open()
 * waiting for a writer) and ends with the process.
 *
 * Nothing is stored on disk: every message is lost on exit.  This is not a
 * broker for production and says so loudly on every start.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define EX_USAGE_	64
#define EX_SOFTWARE_	70
#define EX_CANTCREAT_	73

static const char *default_topics[] = {
	"sipeat.contact.events",
	"sipeat.request.events",
	"sipeat.machine.events",
	"sipeat.dlq",
};

static int	quiet;

/* Fault control: the cluster, shared with the control thread. */
static pthread_mutex_t		 ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static rd_kafka_mock_cluster_t	*ctl_cluster;	/* under ctl_lock */
static int			 ctl_stopping;	/* under ctl_lock */
static int			 ctl_brokers;
static const char		*ctl_fifo;
static FILE			*ctl_reply;	/* NULL: stderr */

/* Kafka protocol API keys by name, for the "error" and "clear" commands. */
static const struct api_name {
	const char	*name;
	int16_t		 key;
} api_names[] = {
	{ "Produce", 0 },		{ "Fetch", 1 },
	{ "ListOffsets", 2 },		{ "Metadata", 3 },
	{ "OffsetCommit", 8 },		{ "OffsetFetch", 9 },
	{ "FindCoordinator", 10 },	{ "JoinGroup", 11 },
	{ "Heartbeat", 12 },		{ "LeaveGroup", 13 },
	{ "SyncGroup", 14 },		{ "DescribeGroups", 15 },
	{ "ListGroups", 16 },		{ "SaslHandshake", 17 },
	{ "ApiVersions", 18 },		{ "CreateTopics", 19 },
	{ "DeleteTopics", 20 },		{ "DeleteRecords", 21 },
	{ "InitProducerId", 22 },	{ "OffsetForLeaderEpoch", 23 },
	{ "AddPartitionsToTxn", 24 },	{ "AddOffsetsToTxn", 25 },
	{ "EndTxn", 26 },		{ "TxnOffsetCommit", 28 },
	{ "DescribeConfigs", 32 },	{ "AlterConfigs", 33 },
	{ "SaslAuthenticate", 36 },	{ "DeleteGroups", 42 },
	{ "OffsetDelete", 47 },
};

#define CTL_MAX_ERRORS	100000	/* largest COUNT of one "error" command */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: sipeat-devbroker [-hqV] [-C reply-file] [-c fifo] "
	    "[-f file] [-n brokers]\n"
	    "                        [-p partitions] [-r replication] "
	    "[-t topic]...\n");
}

/*
 * Parses a decimal integer in [min, max] for option opt; exits with a usage
 * error otherwise.
 */
static int
parse_int(int opt, const char *s, int min, int max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "sipeat-devbroker: -%c: expected a number from "
		    "%d to %d, got \"%s\"\n", opt, min, max, s);
		usage(stderr);
		exit(EX_USAGE_);
	}
	return (int)v;
}

/*
 * librdkafka log callback.  Called from librdkafka threads; one fprintf per
 * line keeps lines whole.
 */
static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (quiet && level > 3)
		return;
	/*
	 * The handle only hosts the cluster and never connects anywhere, so
	 * the warning that it has no bootstrap.servers is noise.
	 */
	if (strcmp(fac, "CONFWARN") == 0 &&
	    strstr(buf, "bootstrap.servers") != NULL)
		return;
	fprintf(stderr, "sipeat-devbroker: kafka: %s: %s\n", fac, buf);
}

/*
 * Writes "bootstraps\n" to path through path.tmp and rename().  Returns 0,
 * or -1 with a message printed.
 */
static int
write_bootstraps(const char *path, const char *bootstraps)
{
	char *tmp;
	FILE *fp;
	int ret = -1;

	tmp = xasprintf("%s.tmp", path);
	fp = fopen(tmp, "w");
	if (fp == NULL) {
		fprintf(stderr, "sipeat-devbroker: %s: %s\n", tmp,
		    strerror(errno));
		goto out;
	}
	if (fprintf(fp, "%s\n", bootstraps) < 0 || fflush(fp) != 0 ||
	    fsync(fileno(fp)) != 0) {
		fprintf(stderr, "sipeat-devbroker: %s: %s\n", tmp,
		    strerror(errno));
		fclose(fp);
		unlink(tmp);
		goto out;
	}
	if (fclose(fp) != 0) {
		fprintf(stderr, "sipeat-devbroker: %s: %s\n", tmp,
		    strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "sipeat-devbroker: rename %s: %s\n", path,
		    strerror(errno));
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(tmp);
	return ret;
}

/* Creates one topic on the mock cluster; returns 0 or -1 with a message. */
static int
create_topic(rd_kafka_mock_cluster_t *mcluster, const char *topic,
    int partitions, int replication)
{
	rd_kafka_resp_err_t err;

	err = rd_kafka_mock_topic_create(mcluster, topic, partitions,
	    replication);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "sipeat-devbroker: topic %s: %s\n", topic,
		    rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

/*
 * Writes one reply line for command cmd: "ok: CMD" when fmt is NULL, else
 * "error: CMD: MESSAGE".  Called on the control thread only.
 */
static void ctl_answer(const char *, const char *, ...)
    SIPEAT_PRINTFLIKE(2, 3);

static void
ctl_answer(const char *cmd, const char *fmt, ...)
{
	FILE *fp = ctl_reply != NULL ? ctl_reply : stderr;
	char msg[512];
	va_list ap;

	if (fmt == NULL) {
		fprintf(fp, "ok: %s\n", cmd);
	} else {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		fprintf(fp, "error: %s: %s\n", cmd, msg);
	}
	fflush(fp);
}

/* Parses a decimal integer in [min, max]; returns 0, or -1. */
static int
ctl_int(const char *s, long min, long max, long *v)
{
	char *end;

	if (s == NULL)
		return -1;
	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *v < min || *v > max)
		return -1;
	return 0;
}

/* Looks up an API by name (case-insensitive) or number; 0, or -1. */
static int
ctl_api(const char *s, int16_t *key)
{
	long v;
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof api_names / sizeof *api_names; i++) {
		if (strcasecmp(s, api_names[i].name) == 0) {
			*key = api_names[i].key;
			return 0;
		}
	}
	if (ctl_int(s, 0, INT16_MAX, &v) != 0)
		return -1;
	*key = (int16_t)v;
	return 0;
}

/*
 * Looks up an error code by librdkafka name (NOT_COORDINATOR, with or
 * without the RD_KAFKA_RESP_ERR_ prefix, any case) or number; 0, or -1.
 */
static int
ctl_errcode(const char *s, rd_kafka_resp_err_t *code)
{
	static const char prefix[] = "RD_KAFKA_RESP_ERR_";
	const struct rd_kafka_err_desc *descs;
	size_t i, n;
	long v;
	int by_number;

	if (s == NULL)
		return -1;
	if (strncasecmp(s, prefix, sizeof prefix - 1) == 0)
		s += sizeof prefix - 1;
	by_number = ctl_int(s, -1000, 10000, &v) == 0;
	rd_kafka_get_err_descs(&descs, &n);
	for (i = 0; i < n; i++) {
		if (descs[i].name == NULL)
			continue;
		if (by_number ? (long)descs[i].code == v :
		    strcasecmp(s, descs[i].name) == 0) {
			*code = descs[i].code;
			return 0;
		}
	}
	return -1;
}

/* Sets broker id (or every broker when id is -1) down or up. */
static rd_kafka_resp_err_t
ctl_updown(rd_kafka_mock_cluster_t *mc, long id, int up)
{
	rd_kafka_resp_err_t err;
	int32_t b, first = (int32_t)id, last = (int32_t)id;

	if (id == -1) {
		first = 1;
		last = ctl_brokers;
	}
	for (b = first; b <= last; b++) {
		err = up ? rd_kafka_mock_broker_set_up(mc, b) :
		    rd_kafka_mock_broker_set_down(mc, b);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
			return err;
	}
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

/*
 * Applies one command line to the cluster and answers it.  Called on the
 * control thread with ctl_lock held and the cluster alive.
 */
static void
ctl_apply(rd_kafka_mock_cluster_t *mc, const char *cmd, char *line)
{
	rd_kafka_resp_err_t err, code, *codes;
	char *argv[6], *save = NULL, *tok;
	const char *verb;
	long id, v, count;
	int16_t api;
	int argc = 0;
	size_t i;

	for (tok = strtok_r(line, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (argc == (int)(sizeof argv / sizeof *argv)) {
			ctl_answer(cmd, "too many arguments");
			return;
		}
		argv[argc++] = tok;
	}
	if (argc == 0)
		return;		/* ctl_line never passes an empty line */
	verb = argv[0];
#define ARGS(n, u) do {							\
	if (argc != (n) + 1) {						\
		ctl_answer(cmd, "usage: %s", (u));			\
		return;							\
	}								\
} while (0)
#define BROKER(s) do {							\
	if (ctl_int((s), 1, ctl_brokers, &id) != 0) {			\
		ctl_answer(cmd, "no broker \"%s\": brokers are 1 to %d",	\
		    (s), ctl_brokers);					\
		return;							\
	}								\
} while (0)
	if (strcmp(verb, "down") == 0 || strcmp(verb, "up") == 0) {
		ARGS(1, strcmp(verb, "up") == 0 ? "up ID" : "down ID");
		BROKER(argv[1]);
		err = ctl_updown(mc, id, strcmp(verb, "up") == 0);
	} else if (strcmp(verb, "alldown") == 0 ||
	    strcmp(verb, "allup") == 0) {
		ARGS(0, verb);
		err = ctl_updown(mc, -1, strcmp(verb, "allup") == 0);
	} else if (strcmp(verb, "rtt") == 0) {
		ARGS(2, "rtt ID MS");
		BROKER(argv[1]);
		if (ctl_int(argv[2], 0, 3600000, &v) != 0) {
			ctl_answer(cmd, "MS: expected 0 to 3600000, got \"%s\"",
			    argv[2]);
			return;
		}
		err = rd_kafka_mock_broker_set_rtt(mc, (int32_t)id, (int)v);
	} else if (strcmp(verb, "leader") == 0) {
		ARGS(3, "leader TOPIC PARTITION ID");
		if (ctl_int(argv[2], 0, INT32_MAX, &v) != 0) {
			ctl_answer(cmd, "PARTITION: expected a number, got "
			    "\"%s\"", argv[2]);
			return;
		}
		/* -1 leaves the partition without a leader. */
		if (strcmp(argv[3], "-1") == 0)
			id = -1;
		else
			BROKER(argv[3]);
		err = rd_kafka_mock_partition_set_leader(mc, argv[1],
		    (int32_t)v, (int32_t)id);
	} else if (strcmp(verb, "error") == 0) {
		if (argc != 3 && argc != 4) {
			ctl_answer(cmd, "usage: error API CODE [COUNT]");
			return;
		}
		if (ctl_api(argv[1], &api) != 0) {
			ctl_answer(cmd, "unknown API \"%s\"", argv[1]);
			return;
		}
		if (ctl_errcode(argv[2], &code) != 0) {
			ctl_answer(cmd, "unknown error code \"%s\"", argv[2]);
			return;
		}
		count = 1;
		if (argc == 4 &&
		    ctl_int(argv[3], 1, CTL_MAX_ERRORS, &count) != 0) {
			ctl_answer(cmd, "COUNT: expected 1 to %d, got \"%s\"",
			    CTL_MAX_ERRORS, argv[3]);
			return;
		}
		codes = xreallocarray(NULL, (size_t)count, sizeof *codes);
		for (i = 0; i < (size_t)count; i++)
			codes[i] = code;
		rd_kafka_mock_push_request_errors_array(mc, api,
		    (size_t)count, codes);
		free(codes);
		err = RD_KAFKA_RESP_ERR_NO_ERROR;
	} else if (strcmp(verb, "clear") == 0) {
		ARGS(1, "clear API");
		if (ctl_api(argv[1], &api) != 0) {
			ctl_answer(cmd, "unknown API \"%s\"", argv[1]);
			return;
		}
		rd_kafka_mock_clear_request_errors(mc, api);
		err = RD_KAFKA_RESP_ERR_NO_ERROR;
	} else {
		ctl_answer(cmd, "unknown command (down, up, alldown, allup, "
		    "rtt, leader, error, clear)");
		return;
	}
#undef ARGS
#undef BROKER
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		ctl_answer(cmd, "%s", rd_kafka_err2str(err));
	else
		ctl_answer(cmd, NULL);
}

/*
 * Handles one line read from the FIFO: trims it, skips blank lines and
 * comments, and applies it unless the cluster is going away.
 */
static void
ctl_line(char *line)
{
	char *cmd, *end;

	while (isspace((unsigned char)*line))
		line++;
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (*line == '\0' || *line == '#')
		return;
	cmd = xstrdup(line);	/* line is cut up by strtok_r */
	pthread_mutex_lock(&ctl_lock);
	if (ctl_stopping || ctl_cluster == NULL)
		ctl_answer(cmd, "stopping");
	else
		ctl_apply(ctl_cluster, cmd, line);
	pthread_mutex_unlock(&ctl_lock);
	free(cmd);
}

/*
 * The control thread: opens the FIFO (blocking until a writer comes),
 * reads its lines until every writer has closed it, and opens it again.
 */
static void *
ctl_thread(void *arg)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *fp;
	int fd;

	(void)arg;
	for (;;) {
		fd = open(ctl_fifo, O_RDONLY | O_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "sipeat-devbroker: %s: %s; fault "
			    "control disabled\n", ctl_fifo, strerror(errno));
			break;
		}
		fp = fdopen(fd, "r");
		if (fp == NULL) {
			close(fd);
			break;
		}
		while (getline(&line, &cap, fp) != -1)
			ctl_line(line);
		fclose(fp);
	}
	free(line);
	return NULL;
}

/*
 * Creates the FIFO at path unless it exists as one; sets *created.  Returns
 * 0, or -1 with a message printed.
 */
static int
ctl_make_fifo(const char *path, int *created)
{
	struct stat sb;

	*created = 0;
	if (mkfifo(path, 0600) == 0) {
		*created = 1;
		return 0;
	}
	if (errno != EEXIST) {
		fprintf(stderr, "sipeat-devbroker: mkfifo %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (stat(path, &sb) != 0 || !S_ISFIFO(sb.st_mode)) {
		fprintf(stderr, "sipeat-devbroker: %s: exists and is not a "
		    "FIFO\n", path);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "brokers",		required_argument,	NULL, 'n' },
		{ "control",		required_argument,	NULL, 'c' },
		{ "control-reply",	required_argument,	NULL, 'C' },
		{ "file",		required_argument,	NULL, 'f' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "partitions",		required_argument,	NULL, 'p' },
		{ "quiet",		no_argument,		NULL, 'q' },
		{ "replication",	required_argument,	NULL, 'r' },
		{ "topic",		required_argument,	NULL, 't' },
		{ "version",		no_argument,		NULL, 'V' },
		{ NULL,			0,			NULL, 0 }
	};
	rd_kafka_mock_cluster_t *mcluster = NULL;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk = NULL;
	const char *file = NULL, *bootstraps, *reply = NULL;
	const char **extra = NULL;
	char errstr[512];
	sigset_t set;
	size_t i, nextra = 0;
	int brokers = 1, partitions = 6, replication = -1;
	int ch, sig, status = EX_SOFTWARE_, file_written = 0;
	int fifo_created = 0;
	pthread_t ctl_tid;

	while ((ch = getopt_long(argc, argv, "C:c:f:hn:p:qr:t:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			reply = optarg;
			break;
		case 'c':
			ctl_fifo = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'n':
			brokers = parse_int(ch, optarg, 1, 64);
			break;
		case 'p':
			partitions = parse_int(ch, optarg, 1, 10000);
			break;
		case 'q':
			quiet = 1;
			break;
		case 'r':
			replication = parse_int(ch, optarg, 1, 64);
			break;
		case 't':
			if (*optarg == '\0') {
				fprintf(stderr, "sipeat-devbroker: -t: empty "
				    "topic name\n");
				usage(stderr);
				return EX_USAGE_;
			}
			extra = xreallocarray(extra, nextra + 1,
			    sizeof *extra);
			extra[nextra++] = optarg;
			break;
		case 'V':
			printf("sipeat-devbroker %s (librdkafka %s)\n",
			    PACKAGE_VERSION, rd_kafka_version_str());
			return 0;
		default:
			usage(stderr);
			return EX_USAGE_;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sipeat-devbroker: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return EX_USAGE_;
	}
	/*
	 * Replication as in a small real cluster: 3 when there are 3 brokers
	 * or more, else one replica per broker.
	 */
	if (replication == -1)
		replication = brokers < 3 ? brokers : 3;
	if (replication > brokers) {
		fprintf(stderr, "sipeat-devbroker: -r %d: more replicas than "
		    "brokers (%d)\n", replication, brokers);
		usage(stderr);
		return EX_USAGE_;
	}

	fprintf(stderr, "sipeat-devbroker: IN-MEMORY development broker for "
	    "development and tests only -- never for production; data is lost "
	    "on exit\n");

	/*
	 * Block the stop signals before librdkafka starts its threads, so
	 * that they inherit the mask and only sigwait() below sees them.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, log_cb);
	if (rd_kafka_conf_set(conf, "client.id", "sipeat-devbroker", errstr,
	    sizeof errstr) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "sipeat-devbroker: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		goto out;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	if (rk == NULL) {
		fprintf(stderr, "sipeat-devbroker: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		goto out;
	}
	conf = NULL;	/* owned by rk now */

	mcluster = rd_kafka_mock_cluster_new(rk, brokers);
	if (mcluster == NULL) {
		fprintf(stderr, "sipeat-devbroker: cannot create the mock "
		    "cluster\n");
		goto out;
	}
	for (i = 0; i < sizeof default_topics / sizeof *default_topics; i++) {
		if (create_topic(mcluster, default_topics[i], partitions,
		    replication) != 0)
			goto out;
	}
	for (i = 0; i < nextra; i++) {
		if (create_topic(mcluster, extra[i], partitions,
		    replication) != 0)
			goto out;
	}

	/*
	 * Fault control is ready before the bootstrap file appears, so a
	 * script that waited for the file may send commands at once.
	 */
	if (reply != NULL) {
		ctl_reply = fopen(reply, "a");
		if (ctl_reply == NULL) {
			fprintf(stderr, "sipeat-devbroker: %s: %s\n", reply,
			    strerror(errno));
			status = EX_CANTCREAT_;
			goto out;
		}
	}
	if (ctl_fifo != NULL) {
		if (ctl_make_fifo(ctl_fifo, &fifo_created) != 0) {
			status = EX_CANTCREAT_;
			goto out;
		}
		ctl_cluster = mcluster;
		ctl_brokers = brokers;
		if (pthread_create(&ctl_tid, NULL, ctl_thread, NULL) != 0) {
			fprintf(stderr, "sipeat-devbroker: cannot start the "
			    "control thread\n");
			goto out;
		}
		pthread_detach(ctl_tid);
	}

	bootstraps = rd_kafka_mock_cluster_bootstraps(mcluster);
	if (file != NULL) {
		if (write_bootstraps(file, bootstraps) != 0) {
			status = EX_CANTCREAT_;
			goto out;
		}
		file_written = 1;
	}
	if (!quiet)
		fprintf(stderr, "sipeat-devbroker: %d broker%s, %d partitions "
		    "per topic, replication %d\n", brokers,
		    brokers == 1 ? "" : "s", partitions, replication);
	printf("%s\n", bootstraps);
	fflush(stdout);

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	if (!quiet)
		fprintf(stderr, "sipeat-devbroker: %s, stopping\n",
		    sig == SIGINT ? "SIGINT" : "SIGTERM");
	status = 0;

out:
	/* The file names ports that are about to close: do not leave it. */
	if (file_written)
		unlink(file);
	/* No command may reach the cluster from here on. */
	pthread_mutex_lock(&ctl_lock);
	ctl_stopping = 1;
	ctl_cluster = NULL;
	pthread_mutex_unlock(&ctl_lock);
	if (fifo_created)
		unlink(ctl_fifo);
	/* The cluster hangs off rk: destroy it first. */
	if (mcluster != NULL)
		rd_kafka_mock_cluster_destroy(mcluster);
	if (rk != NULL)
		rd_kafka_destroy(rk);
	free(extra);
	return status;
}

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
 * Nothing is stored on disk: every message is lost on exit.  This is not a
 * broker for production and says so loudly on every start.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: sipeat-devbroker [-hqV] [-f file] [-n brokers] "
	    "[-p partitions]\n"
	    "                        [-r replication] [-t topic]...\n");
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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "brokers",		required_argument,	NULL, 'n' },
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
	const char *file = NULL, *bootstraps;
	const char **extra = NULL;
	char errstr[512];
	sigset_t set;
	size_t i, nextra = 0;
	int brokers = 1, partitions = 6, replication = -1;
	int ch, sig, status = EX_SOFTWARE_, file_written = 0;

	while ((ch = getopt_long(argc, argv, "f:hn:p:qr:t:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
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
	/* The cluster hangs off rk: destroy it first. */
	if (mcluster != NULL)
		rd_kafka_mock_cluster_destroy(mcluster);
	if (rk != NULL)
		rd_kafka_destroy(rk);
	free(extra);
	return status;
}

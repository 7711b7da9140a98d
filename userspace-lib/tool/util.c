// SPDX-License-Identifier: GPL-2.0
/*
 * The kctx tool: messages, durations, errno and signal names.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tool.h"

const char *tool_cmd = "kctx";
int usage_status = EXIT_USAGE;

/* One line on stderr: "kctx run: <message>". */
void tool_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", tool_cmd);
	return usage_status;
}

/*
 * getopt_long() with GNU's forms (--opt=VALUE, --opt VALUE, -oVALUE,
 * -o VALUE) and kctx's messages. @shortopts starts with ':' (after a '+'
 * where options end at the first operand). Returns the next option, -1
 * after the last, or '?' after a one-line usage error: then the caller
 * returns usage_status.
 */
int tool_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	const char *word;
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	/* A long option's word, or a short one's when it ended the word. */
	word = optind > 1 && optind <= argc ? argv[optind - 1] : "";
	if (c == ':')
		usage_error("%s wants a value", word);
	else if (!optopt)
		usage_error("unknown option '%s'", word);
	else if (!strncmp(word, "--", 2) && strchr(word, '='))
		usage_error("option '%.*s' takes no value", (int)strcspn(word, "="), word);
	else
		usage_error("unknown option '-%c'", optopt);
	return '?';
}

/* "--timeout" for 't', for messages about an option's value. */
const char *option_name(int opt, const struct option *longopts, char *buf, size_t len)
{
	for (; longopts->name; longopts++)
		if (longopts->val == opt) {
			snprintf(buf, len, "--%s", longopts->name);
			return buf;
		}
	snprintf(buf, len, "-%c", opt);
	return buf;
}

int is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "ms", 1000000 },
	{ "s", 1000000000ull }, { "m", 60000000000ull }, { "h", 3600000000000ull },
	{ "d", 86400000000000ull },
};

/*
 * A duration: Go's syntax ("1h30m", "1.5s", "250ms") or timeout(1)'s (a
 * number of seconds, "2.5", or one unit letter, "10m"). 0 or -EINVAL.
 */
int parse_duration(const char *s, uint64_t *ns)
{
	const char *p = s;
	long double total = 0;

	if (!*p)
		return -EINVAL;
	while (*p) {
		long double v = 0, scale = 1;
		const char *start = p;
		size_t i, best = 0, best_len = 0;

		while (*p >= '0' && *p <= '9')
			v = v * 10 + (*p++ - '0');
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9') {
				scale /= 10;
				v += (*p++ - '0') * scale;
			}
		}
		if (p == start || (p == start + 1 && *start == '.'))
			return -EINVAL;
		if (!*p && start == s) {	/* a bare number: seconds */
			total = v * 1e9L;
			break;
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t len = strlen(units[i].name);

			if (!strncmp(p, units[i].name, len) && len > best_len) {
				best = i;
				best_len = len;
			}
		}
		if (!best_len)
			return -EINVAL;
		p += best_len;
		total += v * (long double)units[best].ns;
	}
	if (total >= 18446744073709551615.0L)
		return -EINVAL;
	*ns = (uint64_t)total;
	return 0;
}

void format_duration(int64_t ns, char *buf, size_t len)
{
	const char *sign = ns < 0 ? "-" : "";
	uint64_t a = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;

	if (a >= 1000000000ull)
		snprintf(buf, len, "%s%" PRIu64 ".%03" PRIu64 "s", sign,
			 a / 1000000000u, a % 1000000000u / 1000000);
	else
		snprintf(buf, len, "%s%" PRIu64 ".%03" PRIu64 "ms", sign,
			 a / 1000000, a % 1000000 / 1000);
}

static const struct {
	const char *name;
	int err;
} errnos[] = {
#define E(x) { #x, x }
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(EBUSY), E(EEXIST), E(ENODEV), E(ENOTDIR), E(EISDIR),
	E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(EFBIG), E(ENOSPC), E(EMLINK),
	E(ESPIPE), E(EROFS), E(EPIPE), E(ERANGE), E(EDEADLK), E(ENOSYS),
	E(ENODATA), E(ETIME), E(EPROTO), E(EOVERFLOW), E(EBADMSG),
	E(ENOTSUP), E(EADDRINUSE), E(ENETDOWN), E(ENETUNREACH),
	E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS), E(ETIMEDOUT),
	E(ECONNREFUSED), E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS),
	E(ESTALE), E(EDQUOT), E(ECANCELED), E(EOWNERDEAD), E(ENOTRECOVERABLE),
	E(EKEYEXPIRED), E(EHWPOISON), E(ESHUTDOWN),
#undef E
};

/* "EIO" for -EIO or EIO; NULL if it is not one we know. */
const char *errno_name(long long err)
{
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	return NULL;
}

/* A cause: a number (42, -5, 0x10) or an errno name (EIO or -EIO: -5). */
int parse_cause(const char *s, int64_t *cause)
{
	const char *name = *s == '-' ? s + 1 : s;
	char *end;
	size_t i;

	if (*name == 'E') {
		for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
			if (!strcmp(name, errnos[i].name)) {
				*cause = -errnos[i].err;
				return 0;
			}
		return -EINVAL;
	}
	errno = 0;
	*cause = strtoll(s, &end, 0);
	if (!*s || *end || errno)
		return -EINVAL;
	return 0;
}

/* "-5 (EIO)", or "42". */
void format_cause(int64_t cause, char *buf, size_t len)
{
	const char *name = cause < 0 && cause >= -4095 ? errno_name(cause) : NULL;

	if (name)
		snprintf(buf, len, "%" PRId64 " (-%s)", cause, name);
	else
		snprintf(buf, len, "%" PRId64, cause);
}

/* A signal by number, name or SIG-name (9, KILL, SIGKILL); -1 if none. */
int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
		{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
		{ "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CONT", SIGCONT },
		{ "STOP", SIGSTOP },
	};
	char *end;
	long n;
	size_t i;

	if (*s >= '0' && *s <= '9') {
		n = strtol(s, &end, 10);
		return *end || n < 1 || n >= NSIG ? -1 : (int)n;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcasecmp(s, sigs[i].name))
			return sigs[i].sig;
	return -1;
}

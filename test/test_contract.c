/* SPDX-License-Identifier: ISC */
/*
 * What the man pages promise, tried as a program outside the repo would
 * try it: the host policy in layers that a program cannot switch off,
 * policy files only an admin could have written, host files that cannot
 * block, inputs as admins and kernels write them, and sentences that stay
 * one printable line whatever the input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

/* Every test gets its own scratch directory, removed after. */
static char scratch[64];
static char start_dir[4096];	/* the tests chdir; this is home */

static const char *in_scratch(const char *name)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", scratch, name);
	return p;
}

static void write_file(const char *path, const char *text, size_t len,
		       mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void write_text(const char *path, const char *text)
{
	write_file(path, text, strlen(text), 0644);
}

static int setup(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/portpool-contract-XXXXXX");
	assert_non_null(mkdtemp(scratch));
	/* No host policy unless a test makes one. */
	setenv("PORTPOOL_CONF", "/nonexistent/portpool.conf", 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	assert_int_equal(chdir(start_dir), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* One line of printable text: no byte below 0x20, no DEL. */
static void assert_one_printable_line(const char *s)
{
	for (const unsigned char *c = (const void *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			fail_msg("control byte 0x%02x at %zu in \"%s\"", *c,
				 (size_t)(c - (const unsigned char *)s), s);
}

/* Issue 10 item 1: a program's file adds to the host's, never replaces. */
static void program_file_adds_to_host(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	struct portpool_census census;

	(void)state;
	write_text(in_scratch("host.conf"), "reserved_ports = 50000\n");
	write_text(in_scratch("empty.conf"), "");
	write_text(in_scratch("own.conf"), "reserved_ports = 50001\n");
	setenv("PORTPOOL_CONF", in_scratch("host.conf"), 1);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	assert_int_equal(portpool_is_excluded(cfg, 50000), 1);
	/* an empty file of the program's own drops nothing */
	assert_int_equal(portpool_config_set_policy_file(cfg,
		in_scratch("empty.conf")), 0);
	assert_int_equal(portpool_is_excluded(cfg, 50000), 1);
	assert_int_equal(portpool_config_set_policy_file(cfg,
		in_scratch("own.conf")), 0);
	assert_int_equal(portpool_is_excluded(cfg, 50000), 1);
	assert_int_equal(portpool_is_excluded(cfg, 50001), 1);
	assert_int_equal(portpool_is_excluded(cfg, 50002), 0);
	assert_int_equal(portpool_census(cfg, &census, sizeof(census)), 0);
	assert_int_equal(census.removed[PORTPOOL_SOURCE_POLICY], 2);
	/* /dev/null is no way out either: not a regular file, refused */
	assert_failed_with(portpool_config_set_policy_file(cfg, "/dev/null"),
			   EINVAL);
	assert_non_null(strstr(portpool_error(), "character device"));
	assert_int_equal(portpool_is_excluded(cfg, 50000), 1);
	portpool_config_free(cfg);
}

/* Item 2: a relative path is made absolute when set, before any chdir. */
static void relative_path_survives_chdir(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	char *path;

	(void)state;
	assert_int_equal(chdir(scratch), 0);
	write_text("rel.conf", "range = 29000-31000\nreserved_ports = 30000\n");
	assert_int_equal(portpool_config_set_policy_file(cfg, "rel.conf"), 0);
	assert_int_equal(chdir("/"), 0);
	pp_test_range_is(cfg, 29000, 31000);
	assert_int_equal(portpool_is_excluded(cfg, 30000), 1);
	assert_int_equal(portpool_is_excluded(cfg, 30001), 0);
	/* kept as an absolute path */
	assert_true(asprintf(&path, "%s/rel.conf", scratch) > 0);
	assert_string_equal(cfg->policy_path, path);
	free(path);
	portpool_config_free(cfg);
}

static void die_on_alarm(int sig)
{
	(void)sig;
	/* Waiting on a FIFO is the failure: end the test program. */
	fail_msg("a host file blocked the call");
}

/* Item 3: a FIFO, a device or a directory is refused at once. */
static void special_files_refused_at_once(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	const char *fifo = in_scratch("p.fifo");

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	signal(SIGALRM, die_on_alarm);
	alarm(10);
	setenv("PORTPOOL_CONF", fifo, 1);
	assert_failed_with(portpool_available(cfg), EINVAL);
	assert_non_null(strstr(portpool_error(), "is a FIFO, not a regular "
			       "file"));
	setenv("PORTPOOL_CONF", "/nonexistent/portpool.conf", 1);
	assert_failed_with(portpool_config_set_policy_file(cfg, fifo),
			   EINVAL);
	assert_null(cfg->policy_path);
	/* the files the library does not own, too */
	cfg->path[PP_PATH_SERVICES] = fifo;
	assert_failed_with(portpool_available(cfg), EINVAL);
	assert_non_null(strstr(portpool_error(), "FIFO"));
	cfg->path[PP_PATH_SERVICES] = "/dev/zero";
	assert_failed_with(portpool_available(cfg), EINVAL);
	assert_non_null(strstr(portpool_error(), "/dev/zero is a character "
			       "device"));
	cfg->path[PP_PATH_SERVICES] = pp_default_path[PP_PATH_SERVICES];
	cfg->path[PP_PATH_RESERVED_PORTS] = fifo;
	assert_failed_with(portpool_available(cfg), EINVAL);
	/* /proc files are regular: read as before */
	cfg->path[PP_PATH_RESERVED_PORTS] = "/proc/self/comm";
	assert_failed_with(portpool_available(cfg), EINVAL);
	assert_null(strstr(portpool_error(), "regular"));
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	portpool_config_free(cfg);
}

/* Set when a part needing real root was skipped: main() returns 77. */
static bool owner_check_skipped;

/* Item 4: only root (or the caller) may own it, nobody else write it. */
static void policy_owner_and_mode(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	const char *path = in_scratch("mode.conf");
	char want[128];

	(void)state;
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	write_file(path, "range = 1000-1010\n", 18, 0664);
	setenv("PORTPOOL_CONF", path, 1);
	assert_failed_with(portpool_available(cfg), EPERM);
	assert_non_null(strstr(portpool_error(), path));
	assert_non_null(strstr(portpool_error(), "mode 0664"));
	assert_non_null(strstr(portpool_error(), "writable by group"));
	assert_int_equal(chmod(path, 0602), 0);
	assert_failed_with(portpool_available(cfg), EPERM);
	assert_non_null(strstr(portpool_error(), "writable by others"));
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(portpool_available(cfg), 11);
	/* the program's own file is held to the same rule */
	setenv("PORTPOOL_CONF", "/nonexistent/portpool.conf", 1);
	assert_int_equal(chmod(path, 0666), 0);
	assert_failed_with(portpool_config_set_policy_file(cfg, path), EPERM);
	assert_non_null(strstr(portpool_error(), "writable by group and "
			       "others"));
	assert_int_equal(chmod(path, 0644), 0);
	/*
	 * geteuid() is 0 in the namespace pp_test_isolate() made for an
	 * ordinary user too, where chown() to another user fails.
	 */
	if (!pp_test_real_root()) {
		owner_check_skipped = true;	/* main() says it */
		portpool_config_free(cfg);
		return;
	}
	/* owned by an ordinary user: refused, naming file, owner and mode */
	assert_int_equal(chown(path, 4242, 4242), 0);
	setenv("PORTPOOL_CONF", path, 1);
	assert_failed_with(portpool_available(cfg), EPERM);
	snprintf(want, sizeof(want), "policy file %s is owned by uid 4242 "
		 "(mode 0644)", path);
	assert_non_null(strstr(portpool_error(), want));
	assert_int_equal(chown(path, 0, 0), 0);
	assert_int_equal(portpool_available(cfg), 11);
	portpool_config_free(cfg);
}

/*
 * Root's file seen from a user namespace that does not map root: stat()
 * shows the overflow uid.  Still refused, but the sentence says why
 * instead of blaming uid 65534.  The child makes the namespace, the
 * parent maps its root to a uid that is not root (real root may do
 * that; the namespace pp_test_isolate() made maps only the user, who is
 * uid 0 in it).  Where no user namespace can be made (a chroot, a kernel
 * that forbids them), the test is skipped and says why; under CI=true
 * that fails.
 */
static void policy_owner_unmapped(void **state)
{
	int ready[2], go[2], status, fd, err = 0;
	char map[64], path[64], c = 0;
	const char *ci = getenv("CI");
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct portpool_config *cfg;
		int ok;

		close(ready[0]);
		close(go[1]);
		if (unshare(CLONE_NEWUSER) != 0) {
			err = errno;
			c = 'n';
			if (write(ready[1], &c, 1) != 1 ||
			    write(ready[1], &err, sizeof(err)) != sizeof(err))
				_exit(4);
			_exit(3);
		}
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1 ||
		    c != 'y')
			_exit(4);
		/* real root's credentials are unmapped until set anew */
		if (setresuid(0, 0, 0) != 0 || geteuid() != 0)
			_exit(5);
		/* root-owned everywhere, mode 0644 */
		setenv("PORTPOOL_CONF", "/etc/passwd", 1);
		cfg = portpool_config_new();
		portpool_config_set_flags(cfg, PORTPOOL_NO_HOST_SOURCES);
		errno = 0;
		ok = portpool_available(cfg) == -1 && errno == EPERM &&
		     strstr(portpool_error(), "/etc/passwd shows the overflow "
			    "uid") &&
		     strstr(portpool_error(), "not mapped in this user "
			    "namespace");
		if (!ok)
			fprintf(stderr, "child: %s\n", portpool_error());
		portpool_config_free(cfg);
		_exit(ok ? 0 : 1);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	if (c == 'n') {
		assert_int_equal(read(ready[0], &err, sizeof(err)),
				 sizeof(err));
		assert_int_equal(waitpid(pid, &status, 0), pid);
		close(ready[0]);
		close(go[1]);
		if (ci && strcmp(ci, "true") == 0)
			fail_msg("no user namespace under CI=true: %s",
				 strerror(err));
		print_message("skipped: no user namespace: unshare: %s\n",
			      strerror(err));
		skip();
	}
	snprintf(map, sizeof(map), "0 %u 1\n",
		 pp_test_real_root() ? 4243u : 0u);
	snprintf(path, sizeof(path), "/proc/%ld/uid_map", (long)pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, map, strlen(map)), (ssize_t)strlen(map));
	close(fd);
	c = 'y';
	assert_int_equal(write(go[1], &c, 1), 1);
	close(ready[0]);
	close(go[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Items 6-8: 0 in a list, a byte-order mark, CRLF at the length limit. */
static void zero_as_the_kernel_writes_it(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	const char *path = in_scratch("zero.conf");

	(void)state;
	setenv("PORTPOOL_CONF", path, 1);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	assert_int_equal(portpool_config_set_range(cfg, 8000, 8100), 0);
	write_text(path, "reserved_ports = 0,8080\n");
	assert_int_equal(portpool_is_excluded(cfg, 8080), 1);
	assert_int_equal(portpool_available(cfg), 100);
	write_text(path, "reserved_ports = 0-2,8081\n");
	assert_int_equal(portpool_available(cfg), 100);
	portpool_config_free(cfg);
}

static void byte_order_mark_skipped(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	const char *path = in_scratch("bom.conf");

	(void)state;
	setenv("PORTPOOL_CONF", path, 1);
	write_text(path, "\xef\xbb\xbfmax_user_port = 5000\r\n");
	pp_test_range_is(cfg, 1024, 5000);
	/* only at the start of the file */
	write_text(path, "pool_size = 5\n\xef\xbb\xbfmax_user_port = 5000\n");
	assert_failed_with(portpool_available(cfg), EINVAL);
	assert_non_null(strstr(portpool_error(), ":2: unknown key"));
	portpool_config_free(cfg);
}

static void crlf_at_the_line_limit(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	const char *path = in_scratch("crlf.conf");
	char line[4200];
	size_t len;

	(void)state;
	setenv("PORTPOOL_CONF", path, 1);
	assert_int_equal(portpool_config_set_range(cfg, 8000, 8100), 0);

	/* exactly 4,096 bytes before the line end, with CRLF and LF */
	memcpy(line, "reserved_ports = 8080", 21);
	memset(line + 21, ' ', 4096 - 21);
	memcpy(line + 4096, "\r\n", 2);
	len = 4098;
	write_file(path, line, len, 0644);
	assert_int_equal(portpool_is_excluded(cfg, 8080), 1);
	write_file(path, line + 0, 4096, 0644);
	assert_int_equal(portpool_is_excluded(cfg, 8080), 1);
	line[4096] = ' ';
	write_file(path, line, 4097, 0644);
	assert_failed_with(portpool_is_excluded(cfg, 8080), EINVAL);
	assert_non_null(strstr(portpool_error(), ":1: line is longer than "
			       "4096 bytes"));
	portpool_config_free(cfg);
}

/* Items 9-10: a dotted quad or IPv6 only; a scope names an interface. */
static void ipv4_dotted_quad_only(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	static const char *const refused[] = {
		"127.1", "0x7f.1", "2130706433", "010.0.0.1", "1.2.3.4.5",
		"1.2.3.256", " 1.2.3.4",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		assert_failed_with(portpool_config_set_address(cfg,
			refused[i]), EINVAL);
		assert_non_null(strstr(portpool_error(), refused[i]));
		assert_false(cfg->has_address);
	}
	assert_int_equal(portpool_config_set_address(cfg, "10.0.0.1"), 0);
	assert_int_equal(cfg->family, AF_INET);
	assert_int_equal(((struct sockaddr_in *)&cfg->address)->sin_addr.s_addr,
			 htonl(0x0a000001));
	/* a refused address leaves the last good one */
	assert_failed_with(portpool_config_set_address(cfg, "010.0.0.1"),
			   EINVAL);
	assert_string_equal(cfg->address_text, "10.0.0.1");
	portpool_config_free(cfg);
}

static void scope_must_name_an_interface(void **state)
{
	struct portpool_config *cfg = portpool_config_new();

	(void)state;
	assert_failed_with(portpool_config_set_address(cfg, "fe80::1%99999"),
			   EINVAL);
	assert_non_null(strstr(portpool_error(), "scope 99999 names no "
			       "interface"));
	assert_failed_with(portpool_config_set_address(cfg, "::1%99999"),
			   EINVAL);
	assert_false(cfg->has_address);
	/* lo is interface 1 in every network namespace */
	assert_int_equal(portpool_config_set_address(cfg, "fe80::1%1"), 0);
	assert_int_equal(cfg->family, AF_INET6);
	assert_int_equal(portpool_config_set_address(cfg, "fe80::1%lo"), 0);
	portpool_config_free(cfg);
}

/* Item 11: input echoed into a sentence is escaped. */
static void sentences_from_setters(void **state)
{
	struct portpool_config *cfg = portpool_config_new();

	(void)state;
	assert_failed_with(portpool_config_reserve_list(cfg, "4500\n45x0"),
			   EINVAL);
	assert_one_printable_line(portpool_error());
	assert_non_null(strstr(portpool_error(), "\"4500\\n45x0\""));

	assert_failed_with(portpool_config_set_address(cfg, "1.2.3.4\nfoo"),
			   EINVAL);
	assert_one_printable_line(portpool_error());
	assert_non_null(strstr(portpool_error(), "1.2.3.4\\nfoo"));

	/* a file name with a newline, in a sentence about the file */
	assert_failed_with(portpool_config_set_policy_file(cfg,
		in_scratch("no\nsuch")), ENOENT);
	assert_one_printable_line(portpool_error());
	portpool_config_free(cfg);
}

static void sentences_from_files(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	struct portpool_explanation why;
	const char *services = in_scratch("services");
	const char *path = in_scratch("cr.conf");

	(void)state;
	write_text(path, "range = 1000\r2000\n");
	setenv("PORTPOOL_CONF", path, 1);
	assert_failed_with(portpool_available(cfg), EINVAL);
	assert_one_printable_line(portpool_error());
	assert_non_null(strstr(portpool_error(), "1000\\r2000"));
	write_text(path, "\x1b[2Jrange = 1000-2000\n");
	assert_failed_with(portpool_available(cfg), EINVAL);
	assert_one_printable_line(portpool_error());
	assert_non_null(strstr(portpool_error(), "\\x1b[2Jrange"));
	setenv("PORTPOOL_CONF", "/nonexistent/portpool.conf", 1);

	/* a service name with escape bytes, in an explanation */
	write_text(services, "evil\x1b[31mred\x7f 40000/udp\n"
		   "caf\xc3\xa9 40001/udp\n" "bad\xff 40002/udp\n");
	cfg->path[PP_PATH_SERVICES] = services;
	assert_int_equal(portpool_config_set_range(cfg, 39000, 41000), 0);
	assert_int_equal(portpool_explain(cfg, 40000, &why, sizeof(why)), 0);
	assert_one_printable_line(why.text);
	assert_one_printable_line(why.service);
	assert_string_equal(why.service, "evil\\x1b[31mred\\x7f");
	assert_non_null(strstr(why.text, "(evil\\x1b[31mred\\x7f)"));
	/* valid UTF-8 is kept as it is; invalid bytes are escaped */
	assert_int_equal(portpool_explain(cfg, 40001, &why, sizeof(why)), 0);
	assert_string_equal(why.service, "caf\xc3\xa9");
	assert_int_equal(portpool_explain(cfg, 40002, &why, sizeof(why)), 0);
	assert_string_equal(why.service, "bad\\xff");
	portpool_config_free(cfg);
}

static void escape_helper(void **state)
{
	char out[16], wide[64];

	(void)state;
	assert_int_equal(pp_escape("a\"b\\c\td", 7, out, sizeof(out)), 10);
	assert_string_equal(out, "a\\\"b\\\\c\\td");
	/* a NUL inside a counted input is a control byte like others */
	pp_escape("x\0y", 3, out, sizeof(out));
	assert_string_equal(out, "x\\x00y");
	/* C1 controls and U+2028 are escaped byte by byte */
	pp_escape("\xc2\x85|\xe2\x80\xa8", 6, wide, sizeof(wide));
	assert_string_equal(wide, "\\xc2\\x85|\\xe2\\x80\\xa8");
	/* overlong and surrogate forms are not valid UTF-8 */
	pp_escape("\xc0\xaf", 2, out, sizeof(out));
	assert_string_equal(out, "\\xc0\\xaf");
	pp_escape("\xed\xa0\x80", 3, out, sizeof(out));
	assert_string_equal(out, "\\xed\\xa0\\x80");
	/* a cut never splits an escape */
	pp_escape("\n\n\n\n\n\n\n\n", 8, out, 10);
	assert_string_equal(out, "\\n\\n\\n...");
	pp_escape("abc", 3, out, 4);
	assert_string_equal(out, "abc");
	pp_escape("abcd", 4, out, 4);
	assert_string_equal(out, "...");
}

/* Item 12: the sentence about a policy file too big gives its size. */
static void big_policy_gives_its_size(void **state)
{
	const char *path = in_scratch("big.conf");
	static char text[70000];

	(void)state;
	memset(text, '#', sizeof(text));
	text[sizeof(text) - 1] = '\n';
	write_file(path, text, sizeof(text), 0644);
	setenv("PORTPOOL_CONF", path, 1);
	assert_failed_with(portpool_available(NULL), EINVAL);
	assert_non_null(strstr(portpool_error(), "is 70,000 bytes, larger "
			       "than 65536 bytes"));
	setenv("PORTPOOL_CONF", "/nonexistent/portpool.conf", 1);
}

/* Bytes moved by memmove(): the cost of keeping a list sorted by insertion. */
static unsigned long long moved;
void *__real_memmove(void *dst, const void *src, size_t n);
void *__wrap_memmove(void *dst, const void *src, size_t n);
void *__wrap_memmove(void *dst, const void *src, size_t n)
{
	moved += n;
	return __real_memmove(dst, src, n);
}

/*
 * Item 14: a list built from input in descending order.  Inserting each
 * port at the front moves the whole list every time, about 2 GB for
 * 32,768 ports; sorting once moves next to nothing.  Counted, not timed.
 */
static void descending_input_is_not_quadratic(void **state)
{
	const char *services = in_scratch("services-descending");
	struct pp_portlist list = { 0 };
	size_t size = 32768 * 24, used = 0;
	char *text = malloc(size);
	struct portpool_config *cfg = portpool_config_new();

	(void)state;
	assert_non_null(text);
	for (int port = 65535; port >= 1; port -= 2)
		used += (size_t)snprintf(text + used, size - used,
					 "s%d %d/udp\n", port, port);
	write_file(services, text, used, 0644);
	moved = 0;
	assert_int_equal(pp_read_services(services, &list, 0, NULL, 0), 0);
	assert_int_equal(list.n, 32768);
	assert_int_equal(list.span[0].first, 1);
	assert_int_equal(list.span[32767].first, 65535);
	assert_true(moved < 1024 * 1024);
	pp_portlist_free(&list);

	/* the same for a reservation list, the policy's or the program's */
	used = 0;
	for (int port = 65535; port >= 1; port -= 2)
		used += (size_t)snprintf(text + used, size - used, "%d,",
					 port);
	moved = 0;
	assert_int_equal(portpool_config_reserve_list(cfg, text), 0);
	assert_true(moved < 1024 * 1024);
	assert_int_equal(cfg->reserved.n, 32768);
	/* merging it into a list that already holds ports: linear */
	moved = 0;
	assert_int_equal(portpool_config_reserve_list(cfg, text), 0);
	assert_true(moved < 1024 * 1024);
	assert_int_equal(cfg->reserved.n, 32768);
	portpool_config_free(cfg);
	free(text);

	/* one portpool_config_reserve() call per port, descending */
	cfg = portpool_config_new();
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	assert_int_equal(portpool_config_set_range(cfg, 1, 65535), 0);
	moved = 0;
	for (int port = 65535; port >= 3; port -= 2)
		assert_int_equal(portpool_config_reserve(cfg, port, port), 0);
	/* the same ports again, and one span swallowing two of them */
	for (int port = 65535; port >= 3; port -= 2)
		assert_int_equal(portpool_config_reserve(cfg, port, port), 0);
	assert_int_equal(portpool_config_reserve(cfg, 101, 105), 0);
	assert_int_equal(portpool_is_excluded(cfg, 3), 1);
	assert_int_equal(portpool_is_excluded(cfg, 104), 1);
	assert_int_equal(portpool_is_excluded(cfg, 106), 0);
	assert_int_equal(portpool_is_excluded(cfg, 65535), 1);
	assert_int_equal(portpool_is_excluded(cfg, 65534), 0);
	/* 65535 ports, 32767 of them reserved one by one, 2 more at 102-104 */
	assert_int_equal(portpool_available(cfg), 65535 - 32767 - 2);
	assert_true(moved < 1024 * 1024);
	/* the list stays bounded: the duplicates were merged on the way */
	assert_true(cfg->reserved.n <= 2 * 32767 + 1024);
	portpool_config_free(cfg);
}

/* Item 16: a core dump holds no future draw. */
static void random_page_not_dumped(void **state)
{
	struct pp_rng *rng = pp_rng_new();
	unsigned long lo, hi, want = (unsigned long)rng;
	char line[512];
	bool in = false, seen = false;
	FILE *smaps = fopen("/proc/self/smaps", "r");

	(void)state;
	assert_non_null(rng);
	assert_non_null(smaps);
	while (fgets(line, sizeof(line), smaps)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = want >= lo && want < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			seen = true;
			assert_non_null(strstr(line, " dd"));
			assert_non_null(strstr(line, " wf"));
		}
	}
	fclose(smaps);
	assert_true(seen);
	assert_false(rng->unbuffered);
	pp_rng_free(rng);
}

/* Issue 11: the host file, its drop-ins in order, the program's file. */
static void policy_in_layers(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	struct portpool_explanation why;
	struct portpool_census census;
	char dropins[256];
	const char *saved_dir = pp_policy_dir;

	(void)state;
	snprintf(dropins, sizeof(dropins), "%s/portpool.conf.d", scratch);
	assert_int_equal(mkdir(dropins, 0755), 0);
	write_text(in_scratch("portpool.conf"),
		   "# the admin's\nmax_user_port = 40000\n"
		   "reserved_ports = 30000\npool_size = 50\n");
	write_text(in_scratch("portpool.conf.d/20-wireguard.conf"),
		   "pool_size = 200\nrange = 30000-39999\n");
	write_text(in_scratch("portpool.conf.d/10-strongswan.conf"),
		   "\n\nreserved_ports = 30001\npool_size = 100\n"
		   "range = system\n");
	/* not drop-ins: no .conf, hidden, a backup */
	write_text(in_scratch("portpool.conf.d/README"), "junk\n");
	write_text(in_scratch("portpool.conf.d/.old.conf"), "junk\n");
	write_text(in_scratch("portpool.conf.d/30-x.conf.dpkg-old"), "junk\n");
	unsetenv("PORTPOOL_CONF");
	pp_policy_dir = scratch;

	/* reservations add up; for scalars the later file wins */
	pp_test_range_is(cfg, 30000, 39999);
	assert_int_equal(portpool_census(cfg, &census, sizeof(census)), 0);
	assert_int_equal(census.size, 200);
	assert_int_equal(census.removed[PORTPOOL_SOURCE_POLICY], 2);
	assert_string_equal(census.range_source, "explicit (policy file)");
	/* explain names the file and line that reserved the port */
	assert_int_equal(portpool_explain(cfg, 30001, &why, sizeof(why)), 0);
	assert_int_equal(why.policy_line, 3);
	assert_non_null(strstr(why.text, "10-strongswan.conf:3"));
	assert_int_equal(portpool_explain(cfg, 30000, &why, sizeof(why)), 0);
	assert_non_null(strstr(why.text, "/portpool.conf:3"));

	/* max_user_port alone in a later file chooses that range */
	write_text(in_scratch("portpool.conf.d/25-mup.conf"),
		   "max_user_port = 20000\n");
	pp_test_range_is(cfg, 1024, 20000);
	assert_int_equal(unlink(in_scratch("portpool.conf.d/25-mup.conf")), 0);

	/* the program's file beats the host's; its setters beat both */
	write_text(in_scratch("own.conf"), "pool_size = 300\n"
		   "reserved_ports = 30002\n");
	assert_int_equal(portpool_config_set_policy_file(cfg,
		in_scratch("own.conf")), 0);
	assert_int_equal(portpool_census(cfg, &census, sizeof(census)), 0);
	assert_int_equal(census.size, 300);
	assert_int_equal(census.removed[PORTPOOL_SOURCE_POLICY], 3);
	assert_int_equal(portpool_config_set_size(cfg, 400), 0);
	assert_int_equal(portpool_config_set_range(cfg, 31000, 31999), 0);
	assert_int_equal(portpool_census(cfg, &census, sizeof(census)), 0);
	assert_int_equal(census.size, 400);
	pp_test_range_is(cfg, 31000, 31999);
	/* a drop-in the admin did not write is refused, naming it */
	assert_int_equal(chmod(in_scratch("portpool.conf.d/20-wireguard.conf"),
			       0666), 0);
	assert_failed_with(portpool_available(cfg), EPERM);
	assert_non_null(strstr(portpool_error(), "20-wireguard.conf"));
	/* a bad drop-in fails the call, with its file and line */
	assert_int_equal(chmod(in_scratch("portpool.conf.d/20-wireguard.conf"),
			       0644), 0);
	write_text(in_scratch("portpool.conf.d/15-bad.conf"), "colour = red\n");
	assert_failed_with(portpool_available(cfg), EINVAL);
	assert_non_null(strstr(portpool_error(), "15-bad.conf:1: unknown "
			       "key"));
	assert_int_equal(unlink(in_scratch("portpool.conf.d/15-bad.conf")), 0);

	/* $PORTPOOL_CONF stands for the file and every drop-in */
	assert_int_equal(portpool_config_set_range(cfg, 30000, 31999), 0);
	write_text(in_scratch("env.conf"), "reserved_ports = 31500\n");
	setenv("PORTPOOL_CONF", in_scratch("env.conf"), 1);
	assert_int_equal(portpool_is_excluded(cfg, 31500), 1);
	assert_int_equal(portpool_is_excluded(cfg, 30001), 0);
	assert_int_equal(portpool_is_excluded(cfg, 30002), 1);
	pp_policy_dir = saved_dir;
	setenv("PORTPOOL_CONF", "/nonexistent/portpool.conf", 1);
	portpool_config_free(cfg);
}

/*
 * The sample policy parses, changes nothing, and parses uncommented.  It
 * is read from copies of mode 0644: the checkout's own modes are not the
 * test's (a tarball unpacked as root can leave it group-writable, which
 * the library rightly refuses).
 */
static void sample_policy_parses(void **state)
{
	FILE *in = fopen("examples/portpool.conf", "r");
	const char *as_is = in_scratch("sample.conf");
	const char *path = in_scratch("sample-on.conf");
	FILE *copy = fopen(as_is, "w");
	FILE *out = fopen(path, "w");
	struct portpool_config *cfg = portpool_config_new();
	char line[512];

	(void)state;
	assert_non_null(in);
	assert_non_null(copy);
	assert_non_null(out);
	/* the file as shipped, and every "#key = value" line uncommented */
	while (fgets(line, sizeof(line), in)) {
		fputs(line, copy);
		fputs(line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' ?
		      line + 1 : line, out);
	}
	fclose(in);
	fclose(copy);
	fclose(out);
	assert_int_equal(chmod(as_is, 0644), 0);
	assert_int_equal(chmod(path, 0644), 0);
	setenv("PORTPOOL_CONF", as_is, 1);
	pp_test_range_is(cfg, 49152, 65535);
	assert_int_equal(portpool_is_excluded(cfg, 4500), 1);
	setenv("PORTPOOL_CONF", path, 1);
	pp_test_range_is(cfg, 1024, 65534);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	assert_int_equal(portpool_is_excluded(cfg, 51820), 1);
	assert_int_equal(portpool_is_excluded(cfg, 9149), 1);
	setenv("PORTPOOL_CONF", "/nonexistent/portpool.conf", 1);
	portpool_config_free(cfg);
}

int main(void)
{
	int rc;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(program_file_adds_to_host,
						setup, teardown),
		cmocka_unit_test_setup_teardown(relative_path_survives_chdir,
						setup, teardown),
		cmocka_unit_test_setup_teardown(special_files_refused_at_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(policy_owner_and_mode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(policy_owner_unmapped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(zero_as_the_kernel_writes_it,
						setup, teardown),
		cmocka_unit_test_setup_teardown(byte_order_mark_skipped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(crlf_at_the_line_limit, setup,
						teardown),
		cmocka_unit_test(ipv4_dotted_quad_only),
		cmocka_unit_test(scope_must_name_an_interface),
		cmocka_unit_test_setup_teardown(sentences_from_setters, setup,
						teardown),
		cmocka_unit_test_setup_teardown(sentences_from_files, setup,
						teardown),
		cmocka_unit_test(escape_helper),
		cmocka_unit_test_setup_teardown(big_policy_gives_its_size,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			descending_input_is_not_quadratic, setup, teardown),
		cmocka_unit_test(random_page_not_dumped),
		cmocka_unit_test_setup_teardown(policy_in_layers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(sample_policy_parses, setup,
						teardown),
	};

	if (!getcwd(start_dir, sizeof(start_dir)))
		return 1;
	pp_test_isolate();
	rc = cmocka_run_group_tests_name("contract", tests, NULL, NULL);
	if (rc == 0 && owner_check_skipped) {
		printf("needs root: chown of a policy file to another user\n");
		return PP_TEST_NEEDS_ROOT;
	}
	return rc;
}

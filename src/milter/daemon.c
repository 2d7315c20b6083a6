/*
 * The milter daemon's life cycle (process model in milter.h):
 *
 *   supervisor  validates the configuration, daemonizes (pidfile) when
 *               asked, forks the worker and forks a new one whenever it
 *               dies (crash isolation: Postfix tempfails only the messages
 *               in flight). SIGHUP -> SIGUSR1 to the worker (reload);
 *               SIGTERM/SIGINT -> SIGTERM to the worker, wait, exit. It
 *               keeps root (when started as root) only to be able to open
 *               the socket again for the next worker; it parses nothing
 *               and talks to no one.
 *   worker      opens the milter socket, drops to the configured user,
 *               opens the quarantine store, starts its scanner processes
 *               (pool.c; each exec's this binary with --scanner-fd) and
 *               serves the milter protocol (server.c, a thread per MTA
 *               connection). SIGTERM stops accepting; the worker then waits
 *               (bounded) for the sessions in flight before it exits. The pool thread
 *               restarts scanners that die and, on SIGUSR1, starts a new
 *               generation of scanners and swaps it in.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "milter/milter-private.h"
#include "milter/proto.h"
#include "intel/intel.h"
#include "respond/respond.h"

struct run {
	const char *config;   /* config file or NULL */
	const char *socket;   /* effective socket spec */
	struct passwd pw;     /* user to run as (valid when drop) */
	bool drop;
	gid_t socket_gid;     /* (gid_t)-1 = the user's group */
	char *qdir;           /* quarantine directory */
	unsigned grace_s;
	unsigned timeout_s;
	bool syslog;          /* scanners log to syslog too */
	pid_t supervisor;
};

static volatile sig_atomic_t got_hup, got_term, got_chld;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

static int resolve_user(const char *name, struct run *r, const char **error_r)
{
	if (geteuid() != 0) {
		r->drop = false; /* not root: run as whoever started us */
		return 1;
	}
	struct passwd *pw = NULL;
	if (name == NULL) {
		pw = getpwnam("geneva");
		if (pw == NULL)
			pw = getpwnam("nobody");
	} else {
		pw = getpwnam(name);
	}
	if (pw == NULL) {
		*error_r = "milter.user: no such user";
		return -1;
	}
	if (pw->pw_uid == 0) {
		*error_r = "milter.user: refusing to scan mail as root";
		return -1;
	}
	r->pw = *pw;
	r->pw.pw_name = gv_strdup(pw->pw_name);
	r->drop = true;
	return 1;
}

/* mkdir -p (parents 0755, dir 0700), then the dir belongs to the milter
 * user. -1 after printing why. */
static int own_dir(const char *dir, const struct run *r)
{
	char *d = gv_strdup(dir);
	for (char *p = strchr(d + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			fprintf(stderr, "geneva: %s: %s\n", d, strerror(errno));
		*p = '/';
	}
	int rc = 0;
	if (mkdir(d, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "geneva: %s: %s\n", d, strerror(errno));
		rc = -1;
	} else if (r->drop && chown(d, r->pw.pw_uid, r->pw.pw_gid) < 0) {
		fprintf(stderr, "geneva: %s: %s\n", d, strerror(errno));
		rc = -1;
	}
	gv_free(d);
	return rc;
}

static int drop_privileges(const struct run *r, const char **error_r)
{
	if (!r->drop)
		return 1;
	if (setgroups(1, &r->pw.pw_gid) < 0 || setresgid(r->pw.pw_gid, r->pw.pw_gid, r->pw.pw_gid) < 0 ||
	    setresuid(r->pw.pw_uid, r->pw.pw_uid, r->pw.pw_uid) < 0) {
		*error_r = "cannot drop privileges";
		return -1;
	}
	if (setuid(0) == 0) {
		*error_r = "privileges could be regained after the drop";
		return -1;
	}
	gv_leak_check_after_id_change();
	return 1;
}

/* The socket file of a unix socket: owned by the milter user and its
 * group, or milter.socket_group (e.g. postfix), mode 0660. */
static void fix_unix_socket(const struct run *r)
{
	const char *p = NULL;
	if (strncmp(r->socket, "unix:", 5) == 0)
		p = r->socket + 5;
	else if (strncmp(r->socket, "local:", 6) == 0)
		p = r->socket + 6;
	if (p == NULL)
		return;
	uid_t uid = r->drop ? r->pw.pw_uid : (uid_t)-1;
	gid_t gid = r->socket_gid != (gid_t)-1 ? r->socket_gid
		    : r->drop ? r->pw.pw_gid : (gid_t)-1;
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(p, uid, gid) < 0)
		gv_log(GV_LOG_WARN, "event=socket_chown_failed path=%s", p);
	chmod(p, 0660);
}

static int worker(const struct run *r)
{
	const char *err;
	/* SIGUSR1 and SIGCHLD are for the pool thread, TERM/INT for the main
	 * thread (signalfds; HUP is the supervisor's and ignored here): block
	 * them all before any thread exists, or the kernel may hand a SIGTERM
	 * to a thread that takes the default action */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	static struct gv_milter_state st;
	pthread_mutex_init(&st.lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st.freed, &ca);
	st.config_path = r->config;
	st.socket = r->socket;
	st.syslog = r->syslog;
	gv_milter_crash_init(&st);
	st.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	/* our own binary, for the scanners: opened before the privilege drop
	 * (the path may not be reachable for milter.user; exec by descriptor
	 * only needs the file's own x bit) */
	st.exe_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (st.wake_fd < 0 || st.exe_fd < 0) {
		gv_log(GV_LOG_ERROR, "event=start_failed error=\"eventfd or /proc/self/exe: %s\"",
		       strerror(errno));
		return 2;
	}

	gv_milter_register(&st);
	int lfd = gv_milter_listen(r->socket, &err);
	if (lfd < 0) {
		gv_log(GV_LOG_ERROR, "event=start_failed socket=%s error=\"%s\"", r->socket, err);
		return 2;
	}
	fix_unix_socket(r);
	if (drop_privileges(r, &err) < 0) {
		gv_log(GV_LOG_ERROR, "event=start_failed error=\"%s\"", err);
		return 2;
	}
	/* after the drop: changing credentials clears the parent-death
	 * signal. A supervisor already gone means nobody would restart us. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != r->supervisor) {
		gv_log(GV_LOG_ERROR, "event=start_failed error=\"supervisor gone\"");
		return 2;
	}
	if (gv_quarantine_open(r->qdir, &st.store, &err) < 0) {
		gv_log(GV_LOG_ERROR, "event=start_failed error=\"%s\"", err);
		return 2;
	}
	uint64_t t0 = gv_now_ms();
	struct gv_milter_gen *g;
	/* serve as soon as one scanner is ready (this matters after a crash:
	 * Postfix tempfails everything until the new worker answers); the
	 * others are handed out by the pool thread as they become ready */
	if (gv_milter_gen_new(r->config, r->socket, &g, &err) < 0 ||
	    gv_milter_gen_start(&st, g, &err) < 0) {
		gv_log(GV_LOG_ERROR, "event=start_failed error=\"%s\"", err);
		return 2;
	}
	gv_milter_gen_install(&st, g);
	gv_milter_alerts_thread_start(r->config);
	pthread_t th;
	pthread_create(&th, NULL, gv_milter_pool_thread, &st);
	pthread_detach(th);
	gv_log(GV_LOG_INFO, "event=ready socket=%s user=%s scanners=%zu max_message=%zu ms=%llu",
	       r->socket, r->drop ? r->pw.pw_name : "(unchanged)", g->n,
	       g->max_message, (unsigned long long)(gv_now_ms() - t0));
	if (g->cfg->queue_timeout_ms + g->time_budget_ms >= 300000)
		gv_log(GV_LOG_WARN, "event=config_warning queue_timeout_ms=%u time_budget_ms=%llu"
		       " reason=\"their sum reaches Postfix's default milter_content_timeout (300 s)\"",
		       g->cfg->queue_timeout_ms, (unsigned long long)g->time_budget_ms);
	gv_milter_serve(lfd, r->timeout_s);
	/* stopped accepting; let the sessions in flight finish */
	uint64_t until = gv_now_ms() + (uint64_t)r->grace_s * 1000;
	while (atomic_load(&st.sessions) > 0 && gv_now_ms() < until)
		usleep(50 * 1000);
	gv_milter_pool_stop(&st);
	gv_log(GV_LOG_INFO, "event=stopped messages=%lu sessions_left=%u",
	       atomic_load(&st.messages), atomic_load(&st.sessions));
	return 0;
}

static pid_t start_worker(const struct run *r)
{
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		signal(SIGHUP, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		_exit(worker(r));
	}
	if (pid < 0)
		gv_log(GV_LOG_ERROR, "event=fork_failed error=\"%s\"", strerror(errno));
	else
		gv_log(GV_LOG_INFO, "event=worker_started pid=%ld", (long)pid);
	return pid;
}

static int supervise(const struct run *r)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid_t child = start_worker(r);
	uint64_t started = gv_now_ms(), delay_ms = 100;
	unsigned restarts = 0;
	for (;;) {
		if (!got_hup && !got_term && !got_chld)
			sigsuspend(&old);
		if (got_hup) {
			got_hup = 0;
			if (child > 0)
				kill(child, SIGUSR1);
		}
		if (got_term) {
			if (child > 0)
				kill(child, SIGTERM);
			int status;
			while (child > 0 && waitpid(child, &status, 0) < 0 && errno == EINTR)
				;
			gv_log(GV_LOG_INFO, "event=shutdown restarts=%u", restarts);
			return 0;
		}
		if (!got_chld)
			continue;
		got_chld = 0;
		int status;
		pid_t p = waitpid(-1, &status, WNOHANG);
		if (p <= 0 || p != child)
			continue;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 2 && restarts == 0 &&
		    gv_now_ms() - started < 60000) {
			gv_log(GV_LOG_ERROR, "event=worker_failed_start (see the error above)");
			return 2;
		}
		gv_log(GV_LOG_ERROR, "event=worker_died pid=%ld %s=%d",
		       (long)p, WIFSIGNALED(status) ? "signal" : "status",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		/* a worker that keeps dying right away is restarted ever more
		 * slowly (up to 10 s); one that ran a while restarts at once */
		delay_ms = gv_now_ms() - started > 30000 ? 100 : (delay_ms * 2 > 10000 ? 10000 : delay_ms * 2);
		sigprocmask(SIG_SETMASK, &old, NULL);
		usleep((useconds_t)delay_ms * 1000);
		sigprocmask(SIG_BLOCK, &block, NULL);
		if (got_term)
			return 0;
		restarts++;
		started = gv_now_ms();
		child = start_worker(r);
	}
}

static int write_pidfile(const char *path, const char **error_r)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (gv_write_file_atomic(path, buf, (size_t)n, 0644, error_r) < 0)
		return -1;
	return 1;
}

static int daemonize(void)
{
	pid_t p = fork();
	if (p < 0)
		return -1;
	if (p > 0)
		_exit(0);
	setsid();
	p = fork();
	if (p < 0)
		return -1;
	if (p > 0)
		_exit(0);
	if (chdir("/") < 0)
		return -1;
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

int gv_milter_main(const struct gv_milter_options *o)
{
	const char *err;
	struct gv_milter_config *cfg;
	struct gv_scan_config *scfg;
	struct gv_quarantine_config *qcfg;
	/* validate everything up front so a typo is one line on stderr */
	if (gv_milter_config_load(o->config_path, &cfg, &err) < 0 ||
	    gv_scan_config_load(o->config_path, &scfg, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		return 2;
	}
	gv_scan_config_free(&scfg);
	if (gv_quarantine_config_load(o->config_path, &qcfg, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		gv_milter_config_free(&cfg);
		return 2;
	}
	struct run r = {
		.config = o->config_path,
		.socket = gv_strdup(o->socket ? o->socket : cfg->socket),
		.qdir = gv_strdup(qcfg->dir),
		.grace_s = cfg->shutdown_grace_s,
		.socket_gid = (gid_t)-1,
		.timeout_s = cfg->timeout_s,
	};
	gv_quarantine_config_free(&qcfg);
	int rv = 2;
	if (resolve_user(o->user ? o->user : cfg->user, &r, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		goto out;
	}
	if (cfg->socket_group) {
		struct group *gr = getgrnam(cfg->socket_group);
		if (gr == NULL) {
			fprintf(stderr, "geneva: milter.socket_group: no such group '%s'\n",
				cfg->socket_group);
			goto out;
		}
		r.socket_gid = gr->gr_gid;
	}
	/* the quarantine store belongs to the milter user (the CLI switches
	 * to it), so do the intel journal slots and the alert spool the
	 * scanners write when the config asks for them */
	if (own_dir(r.qdir, &r) < 0)
		goto out;
	struct gv_intel_config *icfg = NULL;
	if (gv_intel_config_load(o->config_path, &icfg, &err) < 0) {
		fprintf(stderr, "geneva: %s\n", err);
		goto out;
	}
	int bad = icfg->store_configured ? own_dir(icfg->journal_dir, &r) : 0;
	gv_intel_config_free(&icfg);
	struct gv_alerts_config acfg = { 0 };
	void *astore = NULL;
	if (o->config_path &&
	    gv_alerts_config_load(o->config_path, &acfg, &astore, &err) < 0) {
		fprintf(stderr, "geneva: %s: %s\n", o->config_path, err);
		goto out;
	}
	if (acfg.configured)
		bad |= own_dir(acfg.spool_dir ? acfg.spool_dir :
						"/var/lib/geneva/alerts", &r);
	gv_alerts_config_free(&astore);
	if (bad)
		goto out;
	const char *pidfile = o->pidfile ? o->pidfile : cfg->pidfile;
	r.syslog = !o->foreground || cfg->syslog;
	if (r.syslog)
		gv_log_set_syslog(true, "geneva-milter");
	if (!o->foreground) {
		if (daemonize() < 0 || write_pidfile(pidfile, &err) < 0) {
			gv_log(GV_LOG_ERROR, "event=start_failed error=\"daemonize or pidfile %s\"", pidfile);
			goto out;
		}
	}
	r.supervisor = getpid();
	rv = supervise(&r);
	if (!o->foreground)
		unlink(pidfile);
out:
	gv_milter_config_free(&cfg);
	gv_free((char *)r.socket);
	gv_free(r.qdir);
	if (r.drop)
		gv_free(r.pw.pw_name);
	return rv;
}

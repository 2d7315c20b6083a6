# Shared by tests/e2e/milter-*.sh and bench/milter.sh (sourced, not run):
# a throw-away Postfix instance on loopback and a geneva milter for it.
#
#   pf_setup DIR SMTP_PORT MILTER_SPEC   writes DIR/postfix/{main,master}.cf
#                                         (MILTER_SPEC "" = no milter)
#   pf_start / pf_stop / pf_flush        postfix -c DIR/postfix ...
#   gv_start CONFIG SOCKET               geneva milter --foreground in the
#                                         background; GV_PID, log DIR/milter.log
#   gv_stop                              SIGTERM and wait
#   gv_example_config                    config/geneva.yaml with its alerts:
#                                         spool in $T and no syslog
#   free_port
#   ok / not_ok                          TAP lines (counters n, failed)
#
# Delivery: virtual(8) into Maildirs under DIR/vmail (alice@, bob@, carol@
# e2e.test), uid/gid nobody, so no system user has to be created. Retries
# are fast (queue_run_delay 2s) so deferred mail comes back within the test.

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

pf_setup() {
	_d=$1 _port=$2 _milter=$3
	PF=$_d/postfix
	mkdir -p "$PF" "$_d/spool" "$_d/data" "$_d/vmail" "$_d/log"
	chown nobody:nogroup "$_d/vmail"
	chown postfix "$_d/data"
	printf 'alice@e2e.test alice/\nbob@e2e.test bob/\ncarol@e2e.test carol/\n' > "$PF/vmailbox"
	cat > "$PF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $_d/spool
data_directory = $_d/data
maillog_file_prefixes = $_d
maillog_file = $_d/log/postfix.log
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.e2e.test
mydomain = e2e.test
myorigin = e2e.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = e2e.test
virtual_mailbox_maps = texthash:$PF/vmailbox
virtual_mailbox_base = $_d/vmail
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
virtual_mailbox_limit = 0
message_size_limit = 52428800
local_recipient_maps =
alias_maps =
alias_database =
smtputf8_enable = no
biff = no
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
default_process_limit = 200
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
EOF
	if [ -n "$_milter" ]; then
		cat >> "$PF/main.cf" <<EOF
smtpd_milters = $_milter
milter_default_action = tempfail
milter_protocol = 6
EOF
	fi
	cat > "$PF/master.cf" <<EOF
127.0.0.1:$_port inet n - n - - smtpd
pickup     unix  n - n 60   1 pickup
cleanup    unix  n - n -    0 cleanup
qmgr       unix  n - n 300  1 qmgr
rewrite    unix  - - n -    - trivial-rewrite
bounce     unix  - - n -    0 bounce
defer      unix  - - n -    0 bounce
trace      unix  - - n -    0 bounce
verify     unix  - - n -    1 verify
flush      unix  n - n 1000 0 flush
proxymap   unix  - - n -    - proxymap
proxywrite unix  - - n -    1 proxymap
smtp       unix  - - n -    - smtp
relay      unix  - - n -    - smtp
showq      unix  n - n -    - showq
error      unix  - - n -    - error
retry      unix  - - n -    - error
discard    unix  - - n -    - discard
local      unix  - n n -    - local
virtual    unix  - n n -    - virtual
lmtp       unix  - - n -    - lmtp
anvil      unix  - - n -    1 anvil
scache     unix  - - n -    1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
	# release re-injects with this instance's sendmail
	cat > "$_d/sendmail" <<EOF
#!/bin/sh
exec /usr/sbin/sendmail -C $PF "\$@"
EOF
	chmod 755 "$_d/sendmail"
}

pf_start() { postfix -c "$PF" start >/dev/null 2>&1 || { postfix -c "$PF" start; return 1; }; }
pf_stop() { [ -n "${PF:-}" ] && [ -f "$PF/main.cf" ] && postfix -c "$PF" stop >/dev/null 2>&1 || true; }
pf_flush() { postqueue -c "$PF" -f >/dev/null 2>&1 || true; }
# messages still in the queue (active, incoming, deferred, hold)
pf_queued() { find "$(postconf -c "$PF" -h queue_directory)"/incoming "$(postconf -c "$PF" -h queue_directory)"/active "$(postconf -c "$PF" -h queue_directory)"/deferred "$(postconf -c "$PF" -h queue_directory)"/hold -type f 2>/dev/null | wc -l; }

gv_start() {
	_cfg=$1 _sock=$2
	"$GENEVA" milter --foreground --config "$_cfg" --socket "$_sock" >> "$T/milter.log" 2>&1 &
	GV_PID=$!
	# ready once the worker logs event=ready
	_i=0
	while [ $_i -lt 300 ]; do
		_ready=$(grep -c 'event=ready' "$T/milter.log" 2>/dev/null || true)
		[ "${_ready:-0}" -gt "${GV_READY_BEFORE:-0}" ] && { GV_READY_BEFORE=$_ready; return 0; }
		kill -0 "$GV_PID" 2>/dev/null || { echo "milter exited at start"; tail -5 "$T/milter.log"; return 1; }
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "milter not ready after 30 s"
	return 1
}

gv_stop() {
	[ -n "${GV_PID:-}" ] || return 0
	kill -TERM "$GV_PID" 2>/dev/null || true
	wait "$GV_PID" 2>/dev/null || true
	GV_PID=
}

# The worker process of the running supervisor.
gv_worker_pid() { pgrep -P "$GV_PID" | head -1; }

# The shipped example configuration, its alerts: section replaced by one
# whose spool is in $T (no syslog, no mail): the milter raises alerts when a
# config has that section, and tests write only to their temp dir.
gv_example_config() {
	sed '/^alerts:/,/^$/d' "$SRC/config/geneva.yaml"
	printf 'alerts:\n  spool_dir: %s/alerts\n  syslog:\n    enabled: no\n' "$T"
}

# TAP lines for the tests: ok NAME / not_ok NAME [DIAGNOSTIC LINE...]
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

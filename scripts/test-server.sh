#!/usr/bin/env bash
# A throwaway real Dovecot IMAP server on 127.0.0.1 for imapkit's integration
# tests, benchmarks and demo.
#
#   scripts/test-server.sh start            start (install + configure + seed on first use)
#   scripts/test-server.sh stop             stop the Dovecot we started (idempotent)
#   scripts/test-server.sh restart          stop + start
#   scripts/test-server.sh status           print env.json and exit 0 if running, else exit 1
#   scripts/test-server.sh env              print env.json (no checks)
#   scripts/test-server.sh check [--show-capabilities] [--connections N]
#                                           smoke-test the running server with python imaplib
#   scripts/test-server.sh reseed           delete alice/bob/carol mail and seed it again
#   scripts/test-server.sh seed-large [N]   seed user "bench" with N messages (default 100000)
#
# Environment:
#   IMAPKIT_TEST_DIR       state dir (default /tmp/imapkit-test-server)
#   IMAPKIT_TEST_PORT      plain IMAP + STARTTLS port (default 14143)
#   IMAPKIT_TEST_TLS_PORT  implicit TLS port (default 14993)
#
# Everything (config, certificates, mail, logs, sockets, pid) lives in the state
# dir; only 127.0.0.1 is listened on; the system's /etc/dovecot and
# /run/dovecot are never used. What is seeded is documented in
# scripts/test-server/SEED.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HELPERS="$HERE/test-server"
STATE="${IMAPKIT_TEST_DIR:-/tmp/imapkit-test-server}"
PORT="${IMAPKIT_TEST_PORT:-14143}"
TLS_PORT="${IMAPKIT_TEST_TLS_PORT:-14993}"
MODULE_DIR="${IMAPKIT_DOVECOT_MODULE_DIR:-/usr/lib/dovecot/modules}"
MAIL_USER="imapkit"

# Passwords are test fixtures, published in env.json on purpose.
USERS=("alice:alice-pass-1" "bob:bob-pass-2" "carol:carol-pass-3")
BENCH_USER="bench"
BENCH_PASS="bench-pass"

die() {
  echo "test-server: $*" >&2
  exit 2
}
log() { echo "test-server: $*" >&2; }

case "$STATE" in
  /*) ;;
  *) STATE="$(pwd)/$STATE" ;;
esac
STATE="${STATE%/}"
CONF="$STATE/dovecot.conf"
RUN_DIR="$STATE/run"
PID_FILE="$RUN_DIR/master.pid"
ENV_JSON="$STATE/env.json"
TLS_DIR="$STATE/tls"
MAIL_ROOT="$STATE/mail"
PASSWD="$STATE/users"
LOCK_FILE="$STATE/lock"
SEED_MARKER="$STATE/.seeded"

for p in "$PORT" "$TLS_PORT"; do
  [[ "$p" =~ ^[0-9]+$ ]] && ((p > 0 && p < 65536)) || die "invalid port '$p'"
done
[ "$PORT" != "$TLS_PORT" ] || die "IMAPKIT_TEST_PORT and IMAPKIT_TEST_TLS_PORT must differ"

require_root() {
  [ "$(id -u)" = 0 ] && return 0
  local what
  if what="$(missing_software)"; then
    die "Dovecot (missing: $what) is not installed and we are not root; as root run: $0 $* (or apt-get install dovecot-imapd openssl python3)"
  fi
  die "must run as root (Dovecot needs to switch to its login and mail users); try: sudo $0 $*"
}

# --------------------------------------------------------------------------
# Installation
# --------------------------------------------------------------------------

REQUIRED_MODULES=(lib10_quota_plugin lib01_acl_plugin lib20_zlib_plugin
  lib11_imap_quota_plugin lib02_imap_acl_plugin lib30_imap_zlib_plugin)

missing_software() {
  command -v dovecot >/dev/null 2>&1 || { echo dovecot; return 0; }
  command -v doveadm >/dev/null 2>&1 || { echo doveadm; return 0; }
  [ -x /usr/lib/dovecot/imap ] || [ -x /usr/libexec/dovecot/imap ] || { echo "dovecot imap"; return 0; }
  local m
  for m in "${REQUIRED_MODULES[@]}"; do
    [ -e "$MODULE_DIR/$m.so" ] || { echo "$m"; return 0; }
  done
  command -v openssl >/dev/null 2>&1 || { echo openssl; return 0; }
  command -v python3 >/dev/null 2>&1 || { echo python3; return 0; }
  command -v flock >/dev/null 2>&1 || { echo flock; return 0; }
  return 1
}

POLICY=/usr/sbin/policy-rc.d
POLICY_SAVED=/usr/sbin/policy-rc.d.imapkit-saved
POLICY_CREATED=0

policy_restore() {
  if [ "$POLICY_CREATED" = 1 ]; then
    rm -f "$POLICY"
    if [ -e "$POLICY_SAVED" ]; then mv -f "$POLICY_SAVED" "$POLICY"; fi
    POLICY_CREATED=0
  fi
}

# Make invoke-rc.d / deb-systemd-invoke refuse to start any service while the
# packages are installed, so no system Dovecot ever listens on 0.0.0.0.
policy_deny() {
  if [ -e "$POLICY" ]; then
    local rc=0
    "$POLICY" dovecot start >/dev/null 2>&1 || rc=$?
    if [ "$rc" = 101 ]; then
      return 0 # an existing policy already denies; leave it alone
    fi
    mv -f "$POLICY" "$POLICY_SAVED"
  fi
  printf '#!/bin/sh\n# temporary, written by imapkit scripts/test-server.sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  POLICY_CREATED=1
}

system_dovecot_pid() {
  local pid
  for f in /run/dovecot/master.pid /var/run/dovecot/master.pid; do
    if [ -r "$f" ]; then
      pid="$(cat "$f" 2>/dev/null || true)"
      if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        echo "$pid"
        return 0
      fi
    fi
  done
  return 1
}

install_software() {
  local what="$1"
  if [ "$(id -u)" != 0 ]; then
    die "Dovecot (missing: $what) is not installed and we are not root; install it with: apt-get install dovecot-imapd openssl python3"
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "Dovecot (missing: $what) is not installed and apt-get is not available; install dovecot (imap, quota, acl, zlib plugins), openssl and python3 by hand"
  log "installing dovecot-imapd, openssl (missing: $what) ..."
  local core_before
  core_before="$(dpkg-query -W -f='${Status}' dovecot-core 2>/dev/null || true)"
  policy_deny
  trap policy_restore EXIT
  local pkgs=(dovecot-core dovecot-imapd openssl)
  command -v python3 >/dev/null 2>&1 || pkgs+=(python3)
  command -v flock >/dev/null 2>&1 || pkgs+=(util-linux)
  local apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  if ! DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${pkgs[@]}" >"${TMPDIR:-/tmp}/imapkit-apt.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >>"${TMPDIR:-/tmp}/imapkit-apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${pkgs[@]}" >>"${TMPDIR:-/tmp}/imapkit-apt.log" 2>&1 ||
      { policy_restore; die "apt-get install ${pkgs[*]} failed; see ${TMPDIR:-/tmp}/imapkit-apt.log"; }
  fi
  policy_restore
  trap - EXIT
  # The package must not have left a system Dovecot running (policy-rc.d
  # should have prevented it). Only if dovecot-core was not installed before
  # (so any system Dovecot is one the install just started), stop and disable
  # it through the init system - never by killing processes by name.
  if [[ "$core_before" != *"ok installed"* ]]; then
    if command -v systemctl >/dev/null 2>&1; then
      # works offline too (only removes the boot-time links)
      systemctl disable dovecot.socket dovecot.service >/dev/null 2>&1 || true
    fi
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
      systemctl stop dovecot.socket dovecot.service >/dev/null 2>&1 || true
    elif system_dovecot_pid >/dev/null && command -v service >/dev/null 2>&1; then
      service dovecot stop >/dev/null 2>&1 || true
    fi
    if command -v update-rc.d >/dev/null 2>&1; then update-rc.d dovecot disable >/dev/null 2>&1 || true; fi
    if system_dovecot_pid >/dev/null; then
      log "warning: a system Dovecot (pid $(system_dovecot_pid)) is running; it is not ours and was left alone"
    fi
  fi
  local still
  if still="$(missing_software)"; then
    die "after installing, still missing: $still"
  fi
}

# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------

ensure_mail_user() {
  if ! getent passwd "$MAIL_USER" >/dev/null; then
    if command -v useradd >/dev/null 2>&1; then
      useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin --comment "imapkit test mail" "$MAIL_USER" ||
        die "could not create system user $MAIL_USER"
    else
      die "no user '$MAIL_USER' and no useradd to create it"
    fi
  fi
  getent passwd dovenull >/dev/null || die "system user 'dovenull' (from dovecot-core) is missing"
  getent passwd dovecot >/dev/null || die "system user 'dovecot' (from dovecot-core) is missing"
}

ensure_certs() {
  mkdir -p "$TLS_DIR"
  chmod 755 "$TLS_DIR"
  if [ -s "$TLS_DIR/ca.pem" ] && [ -s "$TLS_DIR/server.pem" ] && [ -s "$TLS_DIR/server.key" ] &&
    openssl x509 -checkend 86400 -noout -in "$TLS_DIR/server.pem" >/dev/null 2>&1 &&
    openssl x509 -checkend 86400 -noout -in "$TLS_DIR/ca.pem" >/dev/null 2>&1; then
    return 0
  fi
  log "generating test CA and server certificate in $TLS_DIR"
  local tmp
  tmp="$(mktemp -d "$TLS_DIR/.gen.XXXXXX")"
  (
    cd "$tmp"
    cat >ca.ext <<'EOF'
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
    cat >server.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF
    openssl genrsa -out ca.key 2048 2>/dev/null
    openssl req -new -key ca.key -subj "/O=imapkit tests/CN=imapkit test CA" -out ca.csr
    openssl x509 -req -in ca.csr -signkey ca.key -days 3650 -sha256 -extfile ca.ext -out ca.pem 2>/dev/null
    openssl genrsa -out server.key 2048 2>/dev/null
    openssl req -new -key server.key -subj "/O=imapkit tests/CN=localhost" -out server.csr
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 12)" \
      -days 825 -sha256 -extfile server.ext -out server.pem 2>/dev/null
    openssl verify -CAfile ca.pem server.pem >/dev/null
  ) || die "certificate generation failed"
  chmod 600 "$tmp/ca.key" "$tmp/server.key"
  chmod 644 "$tmp/ca.pem" "$tmp/server.pem"
  mv -f "$tmp/ca.key" "$tmp/ca.pem" "$tmp/server.key" "$tmp/server.pem" "$TLS_DIR/"
  rm -rf "$tmp"
}

# passwd-file: user:{PLAIN}password:uid:gid:gecos:home:shell:extra_fields
# {PLAIN} storage lets every mechanism (PLAIN, LOGIN, CRAM-MD5, SCRAM-*) work.
# Quotas (see SEED.md): alice 2G, bob 10M (to test OVERQUOTA), carol 1G,
# bench unlimited.
write_passwd() {
  local uid gid
  uid="$(id -u "$MAIL_USER")"
  gid="$(id -g "$MAIL_USER")"
  local tmp="$PASSWD.tmp.$$"
  {
    local entry name pass quota
    for entry in "${USERS[@]}" "$BENCH_USER:$BENCH_PASS"; do
      name="${entry%%:*}"
      pass="${entry#*:}"
      case "$name" in
        alice) quota="*:storage=2G" ;;
        bob) quota="*:storage=10M" ;;
        carol) quota="*:storage=1G" ;;
        *) quota="*:storage=0" ;; # 0 = unlimited
      esac
      printf '%s:{PLAIN}%s:%s:%s::%s::userdb_quota_rule=%s\n' \
        "$name" "$pass" "$uid" "$gid" "$MAIL_ROOT/$name" "$quota"
    done
  } >"$tmp"
  chown root:dovecot "$tmp"
  chmod 640 "$tmp"
  mv -f "$tmp" "$PASSWD"
}

write_conf() {
  local uid
  uid="$(id -u "$MAIL_USER")"
  local tmp="$CONF.tmp.$$"
  cat >"$tmp" <<EOF
# Generated by imapkit scripts/test-server.sh - do not edit, it is rewritten on start.
# A throwaway test server: 127.0.0.1 only, everything under $STATE.
instance_name = imapkit-test
base_dir = $RUN_DIR
state_dir = $STATE/state
log_path = $STATE/log/dovecot.log
info_log_path = $STATE/log/dovecot.log
debug_log_path = $STATE/log/dovecot.log
protocols = imap
listen = 127.0.0.1
shutdown_clients = yes
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = $uid
last_valid_uid = $uid
mail_uid = $MAIL_USER
mail_gid = $MAIL_USER

ssl = yes
ssl_cert = <$TLS_DIR/server.pem
ssl_key = <$TLS_DIR/server.key
ssl_min_protocol = TLSv1.2
EOF
  if [ -r /usr/share/dovecot/dh.pem ]; then
    echo "ssl_dh = </usr/share/dovecot/dh.pem" >>"$tmp"
  fi
  cat >>"$tmp" <<EOF

disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256
auth_verbose = yes
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $PASSWD
}
userdb {
  driver = passwd-file
  args = username_format=%n $PASSWD
}

mail_location = maildir:~/Maildir
mail_home = $MAIL_ROOT/%n
maildir_very_dirty_syncs = yes
mail_max_userip_connections = 500
mail_plugins = \$mail_plugins quota acl zlib
mail_attribute_dict = file:%h/dovecot-attributes

namespace inbox {
  type = private
  inbox = yes
  separator = /
  prefix =
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}

namespace shared {
  type = shared
  separator = /
  prefix = shared/%%n/
  location = maildir:%%h/Maildir:INDEXPVT=~/shared/%%n
  subscriptions = no
  list = children
}

plugin {
  quota = count:User quota
  quota_vsizes = yes
  quota_rule = *:storage=1G
  quota_grace = 0
  acl = vfile
  acl_shared_dict = file:$MAIL_ROOT/shared-mailboxes.db
}

protocol imap {
  mail_plugins = \$mail_plugins imap_quota imap_acl imap_zlib
  imap_metadata = yes
  mail_max_userip_connections = 500
}

default_process_limit = 1000
default_client_limit = 5000
default_vsz_limit = 1G

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $TLS_PORT
    ssl = yes
  }
  # high-performance mode: a few long-lived login processes serve everybody
  service_count = 0
  process_min_avail = 2
  client_limit = 1000
}

service imap {
  process_limit = 1000
  client_limit = 1
}

service auth {
  client_limit = 5000
}

service anvil {
  client_limit = 5000
}
EOF
  chmod 644 "$tmp"
  mv -f "$tmp" "$CONF"
}

prepare_state() {
  mkdir -p "$STATE" "$RUN_DIR" "$STATE/state" "$STATE/log" "$MAIL_ROOT"
  chmod 755 "$STATE" "$RUN_DIR"
  chmod 750 "$STATE/state"
  chmod 755 "$STATE/log"
  chown "$MAIL_USER:$MAIL_USER" "$MAIL_ROOT"
  chmod 755 "$MAIL_ROOT"
  # The state dir may live below /tmp: make sure the mail user can traverse to it.
  local d="$STATE"
  while [ "$d" != "/" ] && [ -n "$d" ]; do
    d="$(dirname "$d")"
    if [ -d "$d" ] && ! su -s /bin/sh -c "test -x '$d'" "$MAIL_USER" 2>/dev/null; then
      die "the mail user '$MAIL_USER' cannot enter $d; choose another IMAPKIT_TEST_DIR"
    fi
  done
  ensure_certs
  write_passwd
  write_conf
}

doveadm_() { doveadm -c "$CONF" "$@"; }

# --------------------------------------------------------------------------
# Process control
# --------------------------------------------------------------------------

recorded_pid() {
  local pid=""
  if [ -r "$PID_FILE" ]; then
    pid="$(tr -dc 0-9 <"$PID_FILE")"
  elif [ -e "$PID_FILE" ] && [ -r "$ENV_JSON" ]; then
    # master.pid is root-only; env.json carries the same pid for non-root callers
    pid="$(sed -n 's/^ *"pid": *\([0-9][0-9]*\).*/\1/p' "$ENV_JSON")"
  fi
  [ -n "$pid" ] || return 1
  echo "$pid"
}

# Is PID a Dovecot master started with our config?
# (/proc/PID/comm and cmdline are readable without privileges; a zombie has an
# empty cmdline.)
is_our_master() {
  local pid="$1" comm cmdline
  [ -d "/proc/$pid" ] || return 1
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  [ "$comm" = dovecot ] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *"-c $CONF "* ]]
}

running_pid() {
  local pid
  pid="$(recorded_pid)" || return 1
  is_our_master "$pid" || return 1
  echo "$pid"
}

probe() {
  python3 "$HELPERS/probe.py" --host 127.0.0.1 --port "$PORT" --tls-port "$TLS_PORT" \
    --ca "$TLS_DIR/ca.pem" "$@"
}

# The running server answers on the requested ports (retried, so that a busy
# server is not mistaken for a dead one and restarted under other tests).
running_ok() {
  [ -s "$ENV_JSON" ] || return 1
  python3 -c 'import json, sys
env = json.load(open(sys.argv[1]))
sys.exit(0 if (env.get("port"), env.get("tlsPort")) == (int(sys.argv[2]), int(sys.argv[3])) else 1)' \
    "$ENV_JSON" "$PORT" "$TLS_PORT" || return 1
  local i
  for ((i = 0; i < 5; i++)); do
    probe >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}

write_env_json() {
  local pid="$1"
  python3 - "$ENV_JSON" "$PORT" "$TLS_PORT" "$TLS_DIR/ca.pem" "$STATE" "$pid" \
    "${USERS[@]}" "$BENCH_USER:$BENCH_PASS" <<'EOF'
import json, os, sys
path, port, tls_port, ca, state, pid = sys.argv[1:7]
users = {}
for entry in sys.argv[7:]:
    name, _, pw = entry.partition(":")
    users[name] = pw
env = {
    "host": "127.0.0.1",
    "port": int(port),
    "tlsPort": int(tls_port),
    "caFile": ca,
    "stateDir": state,
    "pid": int(pid),
    "users": users,
}
tmp = path + ".tmp.%d" % os.getpid()
with open(tmp, "w") as f:
    json.dump(env, f, indent=2)
    f.write("\n")
os.chmod(tmp, 0o644)
os.replace(tmp, path)
EOF
}

do_stop() {
  local pid
  if ! pid="$(recorded_pid)"; then
    return 0
  fi
  if ! is_our_master "$pid"; then
    # stale pid file (process gone, or the pid was reused by something else)
    rm -f "$PID_FILE"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    is_our_master "$pid" || break
    sleep 0.1
  done
  if is_our_master "$pid"; then
    log "dovecot master $pid did not exit after 10 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$PID_FILE"
  log "stopped dovecot (pid $pid)"
}

do_start_locked() {
  local pid
  if pid="$(running_pid)" && running_ok; then
    if seeded_ok; then
      cat "$ENV_JSON"
      return 0
    fi
  else
    do_stop
    local what
    if what="$(missing_software)"; then install_software "$what"; fi
    ensure_mail_user
    prepare_state
    doveconf -c "$CONF" -n >/dev/null 2>"$STATE/log/doveconf.err" ||
      die "invalid dovecot config: $(head -c 300 "$STATE/log/doveconf.err")"
    ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true
    # Start the master (it daemonizes; the pid file is base_dir/master.pid).
    # 9>&-: the daemon must not inherit (and so hold forever) our lock; nor
    # may it keep the caller's stdio open (a caller waiting for EOF would hang).
    dovecot -c "$CONF" 9>&- </dev/null >>"$STATE/log/startup.log" 2>&1 ||
      die "dovecot failed to start; see $STATE/log/dovecot.log and $STATE/log/startup.log"
    local i ok=0
    for ((i = 0; i < 150; i++)); do
      if pid="$(running_pid)" && probe >/dev/null 2>&1; then
        ok=1
        break
      fi
      sleep 0.1
    done
    if [ "$ok" != 1 ]; then
      local err
      err="$(probe 2>&1 || true)"
      die "dovecot did not come up on 127.0.0.1:$PORT/$TLS_PORT ($err); see $STATE/log/dovecot.log"
    fi
    write_env_json "$pid"
    log "dovecot running, pid $pid, imap 127.0.0.1:$PORT (STARTTLS), imaps 127.0.0.1:$TLS_PORT"
  fi
  if ! seeded_ok; then
    seed_small
  fi
  cat "$ENV_JSON"
}

# --------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------

# The marker holds the generator version, so a changed generator reseeds on
# the next start.
seed_version() { echo "small-v$(python3 "$HELPERS/seed.py" small-version)"; }
seeded_ok() { [ -e "$SEED_MARKER" ] && [ "$(cat "$SEED_MARKER")" = "$(seed_version)" ]; }

seed_small() {
  log "seeding alice, bob, carol ..."
  local u name
  rm -f "$SEED_MARKER"
  for u in "${USERS[@]}"; do
    name="${u%%:*}"
    doveadm_ kick "$name" >/dev/null 2>&1 || true
  done
  for u in "${USERS[@]}"; do
    name="${u%%:*}"
    rm -rf "${MAIL_ROOT:?}/$name"
  done
  # Shared-mailbox dictionary: drop entries of the reseeded users.
  rm -f "$MAIL_ROOT/shared-mailboxes.db"
  python3 "$HELPERS/seed.py" small --mail-root "$MAIL_ROOT" --summary "$STATE/seed-summary.json" ||
    die "seeding failed"
  for u in "${USERS[@]}"; do
    name="${u%%:*}"
    chown -R "$MAIL_USER:$MAIL_USER" "$MAIL_ROOT/$name"
  done
  # Let Dovecot build its indexes now (so the first SELECT in a test is fast),
  # subscribe the seeded folders and set the ACL on bob's shared folder.
  for u in "${USERS[@]}"; do
    name="${u%%:*}"
    doveadm_ mailbox status -u "$name" messages '*' >/dev/null ||
      die "doveadm could not open $name's mailboxes; see $STATE/log/dovecot.log"
  done
  python3 "$HELPERS/seed.py" subscriptions --summary "$STATE/seed-summary.json" |
    while IFS=$'\t' read -r name box; do
      doveadm_ mailbox subscribe -u "$name" "$box"
    done
  doveadm_ acl set -u bob Shared-with-alice user=alice lookup read ||
    die "doveadm acl set failed"
  python3 "$HELPERS/seed.py" verify --summary "$STATE/seed-summary.json" \
    --doveadm "doveadm -c $CONF" || die "seed verification failed"
  seed_version >"$SEED_MARKER"
  log "seeded (see scripts/test-server/SEED.md)"
}

seed_large() {
  local n="$1"
  local manifest="$STATE/.bench-manifest"
  local want
  want="n=$n generator=$(python3 "$HELPERS/seed.py" large-version)"
  if [ -e "$manifest" ] && [ "$(cat "$manifest")" = "$want" ] && [ -d "$MAIL_ROOT/$BENCH_USER/Maildir/cur" ]; then
    log "bench mailbox already seeded ($want)"
    return 0
  fi
  rm -f "$manifest"
  doveadm_ kick "$BENCH_USER" >/dev/null 2>&1 || true
  local t0 t1
  if [ -e "$MAIL_ROOT/$BENCH_USER" ]; then
    log "removing the previous $BENCH_USER mail ..."
    t0="$(date +%s.%N)"
    rm -rf "${MAIL_ROOT:?}/$BENCH_USER"
    t1="$(date +%s.%N)"
    log "removed in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
  fi
  log "seeding $BENCH_USER with $n messages ..."
  t0="$(date +%s.%N)"
  python3 "$HELPERS/seed.py" large --mail-root "$MAIL_ROOT" --count "$n" \
    --summary "$STATE/bench-summary.json" || die "large seeding failed"
  chown -R "$MAIL_USER:$MAIL_USER" "$MAIL_ROOT/$BENCH_USER"
  t1="$(date +%s.%N)"
  log "files written in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s; indexing ..."
  doveadm_ mailbox status -u "$BENCH_USER" messages '*' >/dev/null ||
    die "doveadm could not index $BENCH_USER's mailboxes; see $STATE/log/dovecot.log"
  python3 "$HELPERS/seed.py" subscriptions --summary "$STATE/bench-summary.json" |
    while IFS=$'\t' read -r name box; do
      doveadm_ mailbox subscribe -u "$name" "$box"
    done
  python3 "$HELPERS/seed.py" verify --summary "$STATE/bench-summary.json" \
    --doveadm "doveadm -c $CONF" || die "bench seed verification failed"
  echo "$want" >"$manifest"
  t1="$(date +%s.%N)"
  log "seeded $BENCH_USER in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
}

# --------------------------------------------------------------------------

with_lock() {
  mkdir -p "$STATE"
  exec 9>>"$LOCK_FILE"
  flock 9
}

main() {
  cmd="${1:-}"
  [ $# -gt 0 ] && shift
  case "$cmd" in
    start)
      require_root start
      with_lock
      do_start_locked
      ;;
    stop)
      require_root stop
      with_lock
      do_stop
      ;;
    restart)
      require_root restart
      with_lock
      do_stop
      do_start_locked
      ;;
    status)
      if running_pid >/dev/null && probe >/dev/null 2>&1 && [ -s "$ENV_JSON" ]; then
        cat "$ENV_JSON"
      else
        echo "test-server: not running" >&2
        exit 1
      fi
      ;;
    env)
      [ -s "$ENV_JSON" ] || { echo "test-server: no $ENV_JSON (run start)" >&2; exit 1; }
      cat "$ENV_JSON"
      ;;
    check)
      # smoke test of the running server (all auth mechanisms, TLS, capabilities, ...)
      [ -s "$ENV_JSON" ] || { echo "test-server: no $ENV_JSON (run start)" >&2; exit 1; }
      python3 "$HELPERS/check.py" "$ENV_JSON" "$@"
      ;;
    reseed)
      require_root reseed
      with_lock
      rm -f "$SEED_MARKER"
      do_start_locked # starts if needed, then seeds because the marker is gone
      ;;
    seed-large)
      require_root seed-large
      n="${1:-100000}"
      [[ "$n" =~ ^[0-9]+$ ]] || die "seed-large: N must be a number"
      with_lock
      do_start_locked >/dev/null
      seed_large "$n"
      cat "$ENV_JSON"
      ;;
    *)
      echo "usage: $0 {start|stop|restart|status|env|check|reseed|seed-large [N]}" >&2
      exit 2
      ;;
  esac
}

# Everything above is only definitions, so a copy of this script edited while
# it runs is not misread. (Sourcing the file only defines the functions.)
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
  exit $?
fi

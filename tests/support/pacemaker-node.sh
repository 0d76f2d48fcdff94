#!/bin/bash
# Test-only helper for gha::lab::PacemakerNode (tests/support/pacemaker_node.hpp):
# one single-node corosync + pacemaker "machine" inside the network namespace
# and the private mount (and UTS) namespace it was started in:
#
#   ip netns exec NS unshare -m -u --propagation private \
#       bash pacemaker-node.sh STATE_DIR NODE_NAME NODE_ID RING0_ADDR GRACE_S
#
# It mounts per-test directories from STATE_DIR over /var/lib/pacemaker,
# /var/lib/corosync and /var/log/pacemaker, tmpfs on /run and /dev/shm (so
# pid files, libqb's shared-memory files and /run/crm are private and vanish
# with the namespace), a private corosync.conf over
# /etc/corosync/corosync.conf, seeds cib.xml, starts `corosync -f`, waits for
# it, starts pacemakerd, and stays in the foreground as the parent of both.
#
# Files in STATE_DIR: corosync.conf, corosync.out, pacemakerd.out,
# pids ("corosync PID" and "pacemakerd PID" lines, written when both run),
# ready (empty; created once pacemakerd has been started), failed (a reason,
# when setup fails), and the directories var-lib-pacemaker, var-lib-corosync,
# var-log-pacemaker (pacemaker.log is in there).
#
# Shutdown: SIGTERM/SIGINT/SIGHUP, or EOF on stdin (the test holds the only
# write end of a pipe, so this also fires when the test process dies). Then
# pacemakerd gets SIGTERM and GRACE_S seconds, corosync gets SIGTERM and 5
# seconds, and whatever is left in this process group gets SIGKILL.
set -u

if [ $# -ne 5 ]; then
    echo "usage: $0 STATE_DIR NODE_NAME NODE_ID RING0_ADDR GRACE_S" >&2
    exit 2
fi
D=$1
NAME=$2
ID=$3
ADDR=$4
GRACE=$5

COROSYNC_PID=
PCMK_PID=
STOPPING=

log() { echo "pacemaker-node[$$] $(date +%T.%N | cut -c1-12): $*"; }

fail() {
    log "setup failed: $*"
    echo "$*" >"$D/failed"
    teardown
    exit 1
}

alive() {  # PID: true while the process exists and is not a zombie
    local st
    [ -n "$1" ] || return 1
    st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null | cut -d' ' -f2) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

wait_gone() {  # PID TENTHS_OF_SECONDS
    local i=0
    while alive "$1"; do
        [ "$i" -ge "$2" ] && return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 0
}

teardown() {
    [ -n "$STOPPING" ] && return
    STOPPING=1
    trap '' TERM INT HUP
    if alive "$PCMK_PID"; then
        log "stopping pacemakerd $PCMK_PID"
        kill -TERM "$PCMK_PID" 2>/dev/null
        wait_gone "$PCMK_PID" $((GRACE * 10)) || { log "pacemakerd did not stop: SIGKILL"; kill -KILL "$PCMK_PID" 2>/dev/null; }
    fi
    # pacemakerd's children (same process group unless they moved)
    pkill -KILL -g $$ -f '^/usr/lib/pacemaker/' 2>/dev/null
    if alive "$COROSYNC_PID"; then
        log "stopping corosync $COROSYNC_PID"
        kill -TERM "$COROSYNC_PID" 2>/dev/null
        wait_gone "$COROSYNC_PID" 50 || { log "corosync did not stop: SIGKILL"; kill -KILL "$COROSYNC_PID" 2>/dev/null; }
    fi
    # Anything else still in our process group, except this shell. (No
    # `wait` here: inside a trap that interrupted `read`, bash's `wait` can
    # jump back into the interrupted loop.)
    local p
    for p in $(pgrep -g $$); do
        [ "$p" = $$ ] || kill -KILL "$p" 2>/dev/null
    done
    log "stopped"
}

on_signal() {
    log "got $1"
    teardown
    exit 0
}
trap 'on_signal SIGTERM' TERM
trap 'on_signal SIGINT' INT
trap 'on_signal SIGHUP' HUP

log "node $NAME (id $ID, $ADDR) in $D"

# ---- private directories and mounts
mkdir -p "$D/var-lib-pacemaker/cib" "$D/var-lib-pacemaker/pengine" "$D/var-lib-pacemaker/blackbox" \
    "$D/var-lib-pacemaker/cores" "$D/var-lib-corosync" "$D/var-log-pacemaker/bundles" || fail "mkdir"
chown -R hacluster:haclient "$D/var-lib-pacemaker" "$D/var-log-pacemaker" || fail "chown"
chmod 750 "$D/var-lib-pacemaker"/* && chmod 770 "$D/var-log-pacemaker" "$D/var-log-pacemaker/bundles" || fail "chmod"

# Do not touch the host's mounts: --propagation private must be in effect.
if [ "$(readlink /proc/$$/ns/mnt)" = "$(readlink /proc/1/ns/mnt 2>/dev/null)" ]; then
    fail "not in a private mount namespace"
fi

mount --bind "$D/var-lib-pacemaker" /var/lib/pacemaker || fail "bind /var/lib/pacemaker"
mount --bind "$D/var-lib-corosync" /var/lib/corosync || fail "bind /var/lib/corosync"
mount --bind "$D/var-log-pacemaker" /var/log/pacemaker || fail "bind /var/log/pacemaker"
mount -t tmpfs -o mode=755,size=64m gha-pcmk-run /run || fail "tmpfs /run"
mount -t tmpfs -o mode=1777,size=256m gha-pcmk-shm /dev/shm || fail "tmpfs /dev/shm"
mkdir -p /run/crm /run/resource-agents /run/lock || fail "mkdir /run/*"
chown hacluster:haclient /run/crm || fail "chown /run/crm"

# ---- corosync.conf (one key: value per line)
cat >"$D/corosync.conf" <<EOF || fail "write corosync.conf"
totem {
    version: 2
    cluster_name: gha-lab
    transport: knet
    crypto_cipher: none
    crypto_hash: none
    token: 1000
}
logging {
    fileline: off
    to_stderr: yes
    to_logfile: no
    to_syslog: no
    timestamp: on
    debug: off
}
quorum {
    provider: corosync_votequorum
}
nodelist {
    node {
        name: $NAME
        nodeid: $ID
        ring0_addr: $ADDR
    }
}
EOF
mount --bind "$D/corosync.conf" /etc/corosync/corosync.conf || fail "bind corosync.conf"

# ---- seed CIB
CIB=/var/lib/pacemaker/cib/cib.xml
if [ ! -e "$CIB" ]; then
    cat >"$CIB" <<EOF || fail "write cib.xml"
<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
        <nvpair id="cib-bootstrap-options-dc-deadtime" name="dc-deadtime" value="2s"/>
        <nvpair id="cib-bootstrap-options-cluster-recheck-interval" name="cluster-recheck-interval" value="60s"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="$ID" uname="$NAME"/>
    </nodes>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
EOF
    chown hacluster:haclient "$CIB" && chmod 600 "$CIB" || fail "chown cib.xml"
fi

hostname "$NAME" 2>/dev/null || log "hostname $NAME failed (no UTS namespace?)"

# ---- corosync
corosync -f -c /etc/corosync/corosync.conf </dev/null >>"$D/corosync.out" 2>&1 &
COROSYNC_PID=$!
log "corosync pid $COROSYNC_PID"
i=0
until corosync-cfgtool -s >/dev/null 2>&1; do
    alive "$COROSYNC_PID" || fail "corosync exited: $(tail -c 600 "$D/corosync.out")"
    [ "$i" -ge 200 ] && fail "corosync-cfgtool -s did not succeed within 10 s"
    sleep 0.05
    i=$((i + 1))
done
log "corosync is up"

# ---- pacemaker
PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none PCMK_debug=no \
    pacemakerd </dev/null >>"$D/pacemakerd.out" 2>&1 &
PCMK_PID=$!
log "pacemakerd pid $PCMK_PID"
printf 'corosync %s\npacemakerd %s\n' "$COROSYNC_PID" "$PCMK_PID" >"$D/pids"
: >"$D/ready"

# ---- stay in the foreground until told to stop or the test goes away
# From here on the traps only set a flag: work done inside a trap that
# interrupted `read` does not always run to completion in bash.
STOP_REQ=
trap 'STOP_REQ=SIGTERM' TERM
trap 'STOP_REQ=SIGINT' INT
trap 'STOP_REQ=SIGHUP' HUP
while [ -z "$STOP_REQ" ]; do
    read -r -t 1 _
    rc=$?
    if [ "$rc" -eq 0 ] || [ "$rc" -gt 128 ]; then  # a line, the timeout, or a signal
        continue
    fi
    STOP_REQ="EOF on stdin"
done
log "got $STOP_REQ"
teardown
exit 0

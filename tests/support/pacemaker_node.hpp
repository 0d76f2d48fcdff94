// Test support: a REAL single-node corosync + pacemaker cluster, started by
// the test, isolated from the host, and always cleaned up.
//
//   lab::PacemakerNode node;                 // configures only
//   node.start();                            // netns + helper + corosync + pacemakerd
//   ASSERT_TRUE(node.wait_online(15s)) << node.diagnostics();
//   auto r = node.exec({"attrd_updater", "-Q", "-n", "ganesha-active", "-N", "node1"});
//   lab::Process had;  had.spawn(node.wrap({bin, "--node", "node1", ...}), env, log);
//   ...                                      // ~PacemakerNode stops and removes everything
//
// Isolation. A named network namespace of our own ("gha-pcmk-<pid>-<n>", lo
// up, ring0_addr 127.0.0.1: corosync 3.1.7/knet 1.25 works on loopback, no
// veth needed). libqb's IPC uses abstract unix sockets, which are per network
// namespace, so the CLI tools only see this cluster when run inside it. In
// it, ONE long-lived helper (tests/support/pacemaker-node.sh, started as
// `ip netns exec NS unshare -m -u --propagation private bash SCRIPT ...`; ip
// and unshare exec without forking, so the helper pid is our Process's pid)
// gets a private mount and UTS namespace (hostname = node name) and mounts:
//   STATE/var-lib-pacemaker -> /var/lib/pacemaker   (cib/cib.xml seeded: hacluster:haclient 0600,
//                                                     stonith-enabled=false, dc-deadtime=2s, the node)
//   STATE/var-lib-corosync  -> /var/lib/corosync
//   STATE/var-log-pacemaker -> /var/log/pacemaker   (pacemaker.log)
//   STATE/corosync.conf     -> /etc/corosync/corosync.conf (knet, crypto none, token 1000)
//   tmpfs                   -> /run      (/run/crm hacluster:haclient, /run/resource-agents, /run/lock)
//   tmpfs                   -> /dev/shm  (libqb's shared memory: see below)
// then runs `corosync -f`, waits for `corosync-cfgtool -s`, runs pacemakerd
// and stays in the foreground as the parent of both. Its stdin is a pipe whose
// only write end this object holds: if the test process dies without running
// destructors, the helper sees EOF and stops pacemaker and corosync itself
// (the empty named netns is then removed by the next PacemakerNode::start(),
// see sweep_stale()).
//
// libqb 2.0.6 and /dev/shm: every IPC connection creates a DIRECTORY
// /dev/shm/qb-<server pid>-<client pid>-<server fd>-<6 random chars>/ (holding
// the request/response/event ring buffers), mode 0770, owned by the server's
// user; a SIGKILLed server or client leaves it behind. Because /dev/shm is a
// private tmpfs inside the node, none of them ever appears in the host's
// /dev/shm and they vanish with the mount namespace; stop() still removes any
// host /dev/shm/qb-S-C-* entry whose S or C is a pid of the node's processes.
//
// Who is "ours" when stopping: the helper's descendants and process group,
// and every process whose network namespace is the one we created (only we
// put processes there: the helper's tree, exec(), and whatever a caller
// spawned with wrap()). pacemakerd's subdaemons call setsid(), so the process
// group alone is not enough. Processes are matched by pid + start time, so a
// recycled pid is never signalled.
//
// Measured here (Debian 12, pacemaker 2.1.5, corosync 3.1.7, libqb 2.0.6,
// 2 shared cores): start() returns (pacemakerd started) 0.9-1.5 s after it
// is called; wait_online() succeeds 5-7 s after start() was called (corosync
// up ~0.7 s, the controller waits out dc-deadtime in S_PENDING ~3 s,
// election + join + first transition ~1.4 s); stop() takes 1.6-1.9 s
// (pacemakerd's SIGTERM shutdown 0.1-1.8 s, corosync ~1.2 s). Idle cluster
// CPU: corosync a few % of one core. After SIGKILL of corosync (failure
// injection: ::kill(*node.corosync_pid(), SIGKILL)), attrd_updater inside
// gives rc 102 "Could not connect to attrd: Connection refused" within 3 s,
// and stop() still cleans up (~0.3 s).
//
// ---------------------------------------------------------------------------
// Observed CLI behaviour (pacemaker 2.1.5), inside a running node, unless said:
//
// attrd_updater (each call ~60-75 ms)
//   -n ganesha-active -U 1 -N node1      rc 0, no output. An immediately
//                                        following -Q already shows the value
//                                        (attrd acks after applying it locally).
//   -Q -n ganesha-active -N node1        rc 0, stdout exactly
//                                          name="ganesha-active" host="node1" value="1"\n
//                                        (same line format with -A, one per node)
//     --output-as=xml                    <attribute name="ganesha-active" value="1" host="node1"/>
//                                        inside <pacemaker-result>, then <status code="0" message="OK"/>
//   -Q on a name attrd never saw         rc 78, stdout empty, stderr
//                                          attrd_updater: Could not query value of NAME: attribute does not exist
//   -D -n ganesha-active -N node1        rc 0, no output (also when already deleted, rc 0).
//                                        attrd keeps the name: -Q afterwards gives rc 0 and
//                                          name="ganesha-active" host="node1" value=""
//                                        (so "absent" must be treated as value="" OR rc 78).
//   -Q ... -N node2 (no such node)       rc 0, name="ganesha-active" host="node2" value=""
//                                        (for a name attrd knows; rc 78 for an unknown name)
//   no cluster in the netns              rc 102 in ~60 ms, stderr
//                                          -Q: attrd_updater: Could not connect to attrd: Connection refused
//                                          -U: attrd_updater: Could not update NAME=1: Connection refused (111)
// crm_attribute -N node1 -n ganesha-active -l reboot -G  (reads the CIB status section)
//   set (after attrd wrote it)           rc 0, stdout "scope=status  name=ganesha-active value=1" (two spaces)
//   never set, or after attrd -D         rc 105, stderr "crm_attribute: Error performing operation:
//                                          No such device or address"
// cibadmin
//   -C -o resources -X '<primitive id="node1-dead_ip-1" class="ocf" provider="heartbeat" type="Dummy"/>'
//                                        rc 0, no output (pacemaker then starts the Dummy)
//   the same again (id exists)           rc 108, stderr "Call cib_create failed: File exists",
//                                        stdout <failed><failed_update id="node1-dead_ip-1"
//                                          object_type="primitive" operation="cib_create"
//                                          reason="File exists">...</failed>
//   -D -o resources -X '<primitive id="node1-dead_ip-1"/>'   rc 0, no output
//   the same again (id missing)          rc 0 too: deleting a missing object is NOT an error
//   -Q -o resources                      rc 0, "<resources>...</resources>" or "<resources/>"
//   no cluster in the netns              rc 102, stderr "Could not connect to the CIB: Transport
//                                          endpoint is not connected\nInit failed, could not
//                                          perform requested operations"
// crm_mon --output-as=xml -1
//   running                              rc 0; <current_dc present="true" ... name="node1" id="1"
//                                        with_quorum="true" .../> and <node name="node1" id="1"
//                                        online="true" ... is_dc="true" .../> (node_history also has
//                                        a bare <node name="node1">). While starting: <current_dc
//                                        present="false"/>, online="false", <stack type="unknown"/>.
//   no cluster                           rc 102, XML with <status code="102" message="Not connected">
//                                        on stdout, stderr empty
// crm_node -n                            "node1" (and `hostname` is node1: own UTS namespace)
//
// Surprises:
//  - A seed cib.xml with crm_feature_set newer than the daemons' (3.16.2 >
//    3.16.1) makes every controller update fail ("Protocol not supported")
//    and pacemakerd respawns pacemaker-controld forever; leave
//    crm_feature_set out of the seed (pacemaker fills it in).
//  - cib.xml.sig missing is only a warning.
//  - In bash, work done inside a trap that interrupted `read` may not run to
//    completion (a `wait` there jumped back into the interrupted loop); the
//    helper's traps therefore only set a flag.
// ---------------------------------------------------------------------------
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/ganesha_lab.hpp"

namespace gha::lab {

// A uniquely named, empty network namespace ("PREFIX-<our pid>-<n>") with lo
// up; `ip netns del` in the destructor. Used by PacemakerNode, and on its own
// for "no cluster here" checks. Commands run with `ip netns exec NAME`
// (network namespace only; the host's mounts).
class NetNs {
public:
    explicit NetNs(const std::string& prefix = "gha-pcmk");  // throws std::runtime_error
    ~NetNs();
    NetNs(const NetNs&) = delete;
    NetNs& operator=(const NetNs&) = delete;

    const std::string& name() const { return name_; }
    // "net:[INODE]", as readlink(/proc/PID/ns/net) shows it for members.
    const std::string& id() const { return id_; }
    // {"ip", "netns", "exec", name, argv...}
    std::vector<std::string> wrap(const std::vector<std::string>& argv) const;
    CliResult exec(const std::vector<std::string>& argv,
                   std::chrono::milliseconds deadline = std::chrono::milliseconds(10000), const Env& env = {}) const;
    // Live (non-zombie) processes whose network namespace is this one.
    std::vector<pid_t> processes() const;
    // `ip netns del`; no-op once removed.
    void remove() noexcept;

private:
    std::string name_, id_;
};

struct PacemakerNodeOptions {
    std::string name = "node1";          // corosync nodelist name, CIB uname, hostname
    int node_id = 1;                     // corosync nodeid / CIB node id
    std::string ring0_addr = "127.0.0.1";
    // pacemaker-node.sh. "" = $GHA_PCMK_NODE_SCRIPT, else
    // GHA_SOURCE_DIR "/tests/support/pacemaker-node.sh" when compiled with
    // GHA_SOURCE_DIR, else next to this source file (__FILE__, made absolute).
    std::string script;
    // What stop() gives pacemakerd after SIGTERM before SIGKILL.
    std::chrono::seconds pacemaker_grace{10};
};

// One node: see the comment at the top of this file. Declare it BEFORE any
// Process started with wrap() (so that process is stopped first); stop()
// kills whatever is still in the node's network namespace anyway.
class PacemakerNode {
public:
    explicit PacemakerNode(PacemakerNodeOptions options = {});
    ~PacemakerNode();  // stop()
    PacemakerNode(const PacemakerNode&) = delete;
    PacemakerNode& operator=(const PacemakerNode&) = delete;

    // Removes stale namespaces of earlier runs (sweep_stale()), creates the
    // network namespace, spawns the helper and waits until it has started
    // corosync (answering corosync-cfgtool -s) and pacemakerd. Throws
    // std::runtime_error with diagnostics() on failure, after stop().
    void start(std::chrono::milliseconds deadline = std::chrono::milliseconds(20000));

    // Polls `crm_mon --output-as=xml -1` inside the node (every 250 ms) until
    // it shows this node online="true" and <current_dc present="true". False
    // at the deadline or when the helper has exited.
    bool wait_online(std::chrono::milliseconds deadline = std::chrono::milliseconds(15000));
    // One such check.
    bool online();

    // Runs argv inside the node's network, mount and UTS namespaces (sees this
    // cluster, its /run, /var/lib/pacemaker, /dev/shm; cwd is "/").
    CliResult exec(const std::vector<std::string>& argv,
                   std::chrono::milliseconds deadline = std::chrono::milliseconds(10000), const Env& env = {}) const;
    // {"nsenter", "-t", helper pid, "-n", "-m", "-u", "--", argv...}: nsenter
    // execs argv without forking, so a Process spawned with it has argv's pid.
    // Only valid while running().
    std::vector<std::string> wrap(const std::vector<std::string>& argv) const;

    // Graceful: SIGTERM to the helper (pacemakerd gets pacemaker_grace, then
    // corosync 5 s), then SIGKILL to anything of ours still alive, removal of
    // our host /dev/shm/qb-* entries, `ip netns del`. The state directory is
    // removed by the destructor (GHA_LAB_KEEP=1 keeps it). Safe to repeat.
    void stop() noexcept;

    // True while the helper runs.
    bool running();
    pid_t helper_pid() const { return helper_.pid(); }
    // From STATE/pids; nullopt before start() got that far.
    std::optional<pid_t> corosync_pid() const;
    std::optional<pid_t> pacemakerd_pid() const;
    // Live processes in the node's network namespace (helper, corosync,
    // pacemaker daemons, agents, anything spawned with wrap()). Still usable
    // after stop() (then it should be empty).
    std::vector<pid_t> processes() const;
    // "net:[INODE]" of the node's network namespace; "" before start().
    const std::string& netns_id() const { return net_id_; }

    const std::string& name() const { return options_.name; }
    // "" before start() and after stop().
    std::string netns() const { return netns_ ? netns_->name() : std::string(); }
    const std::string& state_dir() const { return dir_.path(); }
    std::string helper_log() const { return dir_.file("helper.log"); }
    std::string corosync_log() const { return dir_.file("corosync.out"); }
    std::string pacemaker_log() const { return dir_.file("var-log-pacemaker/pacemaker.log"); }
    // Tails of the helper, corosync and pacemaker logs and the last crm_mon
    // output: for assertion messages.
    std::string diagnostics() const;
    const PacemakerNodeOptions& options() const { return options_; }

    // Deletes netns named "gha-pcmk-<pid>-<n>" whose <pid> no longer exists
    // (left by a test process that died without running destructors; its
    // helper has already stopped the cluster on EOF), and, unless
    // GHA_LAB_KEEP is set, /tmp/gha-lab-* state directories whose
    // .gha-pcmk-owner names a dead pid.
    static void sweep_stale() noexcept;
    // The script path used when options.script is "".
    static std::string default_script();

private:
    PacemakerNodeOptions options_;
    TempDir dir_;  // declared first: removed after everything else is stopped
    std::optional<NetNs> netns_;
    Process helper_;
    int stdin_w_ = -1;  // write end of the helper's stdin pipe
    std::string net_id_;
    std::string last_crm_mon_;
};

// Live (non-zombie) processes whose /proc/PID/ns/net reads `net_id`.
std::vector<pid_t> processes_in_netns(const std::string& net_id);

}  // namespace gha::lab

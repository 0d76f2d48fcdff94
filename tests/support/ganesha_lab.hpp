// Test support for integration tests: real child processes (a private
// dbus-daemon, ganesha.nfsd with FSAL_MEM, ganesha-had, ganesha-hactl) that are
// started with posix_spawn (argv only, never a shell), tracked by pid, and
// stopped and reaped in destructors, so a fixture cleans up even when a test
// fails. Every wait polls a condition against a deadline; nothing sleeps for a
// fixed time to be correct.
//
// Declare the TempDir before the processes that use it: members and locals are
// destroyed in reverse order, so the processes are stopped before the
// directory is removed. Set GHA_LAB_KEEP=1 to keep temporary directories (for
// reading logs after a failure).
//
// Recipes and measured behaviour: /work/shared/LAB-NOTES.md.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gha::lab {

using Env = std::map<std::string, std::string>;

// Returned by Process::wait_exit (and CliResult::exit_code) when the process
// was still running at the deadline.
inline constexpr int kTimedOut = std::numeric_limits<int>::min();

// Calls cond() every `interval` until it returns true (then true) or until
// `deadline` has passed (then false, after one last call at the deadline).
bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds deadline,
                std::chrono::milliseconds interval = std::chrono::milliseconds(15));

// Waits on a pidfd of `pid` (readable once every thread of it has exited),
// at most `deadline`: true when it has exited (or there is no such process),
// false at the deadline, nullopt when no pidfd can be had for it.
std::optional<bool> pidfd_wait_exit(pid_t pid, std::chrono::milliseconds deadline);

// Writes (truncates) the file; returns path. Throws std::system_error.
std::string write_file(const std::string& path, const std::string& content);
// The whole file; "" when it does not exist. Throws std::system_error on other errors.
std::string read_file(const std::string& path);
// At most the last `max_bytes` of the file ("" when missing): for error messages.
std::string tail_file(const std::string& path, std::size_t max_bytes = 2000);

// One TCP connection: sends an ONC RPC NULL call (AUTH_NONE, record marking)
// for program/version and checks the reply (same xid, MSG_ACCEPTED, SUCCESS).
// False on refusal, timeout, short or bad reply. host is an IPv4/IPv6 literal.
bool rpc_null(const std::string& host, std::uint16_t port, std::uint32_t program, std::uint32_t version,
              std::chrono::milliseconds timeout);
// True if pid holds a TCP socket listening on port (IPv4 or IPv6), from
// /proc/net/tcp{,6} and /proc/PID/fd.
bool process_listens_on(pid_t pid, std::uint16_t port);
// True if the AF_UNIX stream socket at path accepts a connect() (closed at once).
bool unix_socket_accepts(const std::string& path);
// The pid that called listen() on the AF_UNIX stream socket at path
// (SO_PEERCRED of a connection to it), if it accepts a connect(). A
// listener can outlive the process that made it (a child holds a copy):
// "accepts" alone does not say who answers.
std::optional<pid_t> unix_socket_listener(const std::string& path);

// CLOCK_MONOTONIC in ns: the clock of the daemons' event stamps
// ("monotonic_ns"), so a test's fault time and a daemon's reaction compare.
long long monotonic_ns();

// A port in [base, base + span) derived from `key` (a test's name), so tests
// that run one after another never meet each other's lingering sockets.
std::uint16_t port_for(const std::string& key, std::uint16_t base, std::uint16_t span = 2000);

// mkdtemp("/tmp/gha-lab-XXXXXX"); removed recursively by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&& other) noexcept;

    const std::string& path() const { return path_; }
    // path() + "/" + name
    std::string file(const std::string& name) const;

private:
    void remove() noexcept;
    std::string path_;
};

// One child process. The child gets the parent's environment plus/overriding
// `env`, stdin from /dev/null, stdout and stderr appended to log_path (or
// /dev/null), no other descriptors, default signal dispositions, an empty
// signal mask, and its own process group (so a terminal's Ctrl-C reaches only
// the test, whose destructors then stop the child). Only this pid is ever
// signalled, and only until it has been reaped, so a recycled pid is never hit.
class Process {
public:
    Process() = default;
    ~Process();  // stop()
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    Process(Process&& other) noexcept;
    Process& operator=(Process&& other) noexcept;  // stops the current child first

    // argv[0] without '/' is looked up in PATH. Throws std::system_error if the
    // log cannot be opened or the program cannot be executed, std::logic_error
    // if a child is still running.
    void spawn(const std::vector<std::string>& argv, const Env& env = {},
               const std::string& log_path = "/dev/null");
    // Same, with explicit descriptors for the child's stdin/stdout/stderr
    // (the caller keeps and closes its own copies).
    void spawn_fds(const std::vector<std::string>& argv, const Env& env, int in_fd, int out_fd, int err_fd);

    // -1 before spawn and after a moved-from state; stays the last pid after exit.
    pid_t pid() const { return pid_; }
    // waitpid(WNOHANG): false once the child has exited (it is then reaped and
    // its status recorded).
    bool running();
    // Exit code, or -signal if killed; nullopt while running or never started.
    std::optional<int> exit_status() const { return status_; }
    // Polls until the child exits: its exit code / -signal, or kTimedOut.
    int wait_exit(std::chrono::milliseconds deadline);
    // kill(pid, sig) while the child is alive (not yet reaped); false otherwise.
    bool signal(int sig);
    // SIGTERM (+SIGCONT, in case it is stopped), waits up to `grace`, then
    // SIGKILL and reap. Returns the exit status, nullopt if never started.
    // Safe to call repeatedly.
    std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000)) noexcept;

    const std::string& program() const { return program_; }

private:
    bool reap(bool block);
    pid_t pid_ = -1;
    bool reaped_ = true;
    std::optional<int> status_;
    std::string program_;
};

// A private system bus: $dir/bus.conf (type system, EXTERNAL auth, allow-all
// policy), socket $dir/bus.sock, `dbus-daemon --nofork` as our child (its
// --print-address output and messages go to $dir/dbus.log).
class DbusDaemon {
public:
    // Writes the configuration and starts the daemon (start()).
    explicit DbusDaemon(std::string dir, std::chrono::milliseconds deadline = std::chrono::milliseconds(5000));
    ~DbusDaemon();
    DbusDaemon(DbusDaemon&&) noexcept = default;
    DbusDaemon& operator=(DbusDaemon&&) noexcept = default;

    // Starts and waits until the socket accepts a connection. Throws
    // std::runtime_error (with the log's tail) on failure.
    void start(std::chrono::milliseconds deadline = std::chrono::milliseconds(5000));
    void stop() noexcept;

    std::string address() const { return "unix:path=" + socket_; }  // for DBUS_SYSTEM_BUS_ADDRESS
    const std::string& socket_path() const { return socket_; }
    const std::string& config_path() const { return conf_; }
    const std::string& log_path() const { return log_; }
    pid_t pid() const { return proc_.pid(); }
    Process& process() { return proc_; }

private:
    std::string dir_, conf_, socket_, log_;
    Process proc_;
};

struct GaneshaOptions {
    std::string dir;                      // scratch directory (created if missing)
    std::string bind_addr = "127.0.0.1";  // NFS_CORE_PARAM Bind_Addr
    std::uint16_t port = 2049;            // NFS_Port; tests pick e.g. 20490 + N
    std::string dbus_address;             // DBUS_SYSTEM_BUS_ADDRESS for the child; "" inherits
    std::string dbus_name_prefix;         // Dbus_Name_Prefix (bus name PREFIX.org.ganesha.nfsd); "" none
    int grace_period = 20;                // NFSV4 Grace_Period, seconds
    int lease_lifetime = 10;              // NFSV4 Lease_Lifetime, seconds
    Env env;                              // more environment for the child
};

// The common case: scratch directory dir, 127.0.0.1:port, on `bus`.
GaneshaOptions ganesha_on_bus(std::string dir, std::uint16_t port, const DbusDaemon& bus);

// ganesha.nfsd 4.x with one FSAL_MEM export (/mem), NFSv4 over TCP only.
// Files in dir: ganesha.conf (written by the constructor; a test may rewrite it
// before start()), ganesha.log (-L), ganesha.pid (-p), ganesha.out (stdout and
// stderr), recov/ (RecoveryRoot).
//
// Several instances on one machine need, each: a distinct Bind_Addr or port,
// pid file and RecoveryRoot (all per dir here), and either their own bus or
// distinct dbus_name_prefix values. Measured with 4.3: two instances with
// different ports on the same address and one bus with prefixes g1/g2 both run
// (names g1.org.ganesha.nfsd, g2.org.ganesha.nfsd). The fixed paths ganesha
// would otherwise use are /var/run/ganesha/ganesha.pid (overridden by -p; the
// directory /var/run/ganesha is still created) and /var/lib/nfs/ganesha
// (overridden by RecoveryRoot). Surprises:
//  - a second instance without a prefix on a bus where org.ganesha.nfsd is
//    already owned keeps running and serving NFS, but without D-Bus: its log
//    says "server failed becoming primary bus owner" and "DBUS not
//    initialized, service thread exiting". Give each instance a prefix or a bus.
//  - the same pid file as a running instance: the second exits with rc 2
//    ("fcntl(3) failed, Ganesha already started"): ganesha locks the pid file.
//    A stale pid file left by a SIGKILLed instance is not locked and does not
//    stop a new start (start() removes it anyway).
//  - the same address and port twice: the second exits with rc 2, but only
//    after ~40 ms, during which RPC NULL on that port is answered by the
//    first one; start() therefore also checks that the listening socket
//    belongs to its own pid.
//  - the fs recovery backend keeps its records in recov/v4recov/node0 (and
//    recov/v4old/node0), not directly under recov/v4recov.
class Ganesha {
public:
    explicit Ganesha(GaneshaOptions options);
    ~Ganesha();
    Ganesha(Ganesha&&) noexcept = default;
    Ganesha& operator=(Ganesha&&) noexcept = default;

    // The configuration text the constructor writes to conf_path().
    static std::string render_config(const GaneshaOptions& options);

    // Removes a stale pid file, spawns `ganesha.nfsd -F -f conf -L log -p pid`
    // and waits until this process listens on the port and it answers RPC
    // NULL (NFS v4). Throws std::runtime_error
    // (with the log's tail) if it exits or does not answer by the deadline (it
    // is then stopped).
    void start(std::chrono::milliseconds deadline = std::chrono::milliseconds(10000));
    // SIGTERM, SIGKILL after 2 s, reap. No-op if not running.
    void stop() noexcept;
    // stop() then start(): a new pid.
    void restart(std::chrono::milliseconds deadline = std::chrono::milliseconds(10000));

    // One RPC NULL call (program 100003, version 4) to address():port().
    bool answers_null(std::chrono::milliseconds timeout) const;
    // Signal to the ganesha pid (only while it is our unreaped child).
    bool kill(int sig);
    bool running() { return proc_.running(); }
    // True once the process has exited (and been reaped) within the deadline.
    bool wait_exited(std::chrono::milliseconds deadline);
    std::optional<int> exit_status() const { return proc_.exit_status(); }

    pid_t pid() const { return proc_.pid(); }
    const std::string& pidfile() const { return pidfile_; }
    const std::string& conf_path() const { return conf_; }
    const std::string& log_path() const { return log_; }
    const std::string& recovery_root() const { return recov_; }
    std::uint16_t port() const { return options_.port; }
    const std::string& address() const { return options_.bind_addr; }
    // "org.ganesha.nfsd" or "PREFIX.org.ganesha.nfsd"
    std::string dbus_name() const;
    const GaneshaOptions& options() const { return options_; }
    Process& process() { return proc_; }

private:
    GaneshaOptions options_;
    std::string conf_, log_, pidfile_, out_, recov_;
    Process proc_;
};

struct HadOptions {
    std::string bindir;  // GHA_BINARY_DIR: $bindir/service/ganesha-had
    std::string config;  // --config
    std::string node;    // --node
    std::string socket;  // --socket (control socket)
    std::string dir;     // had.log goes here; "" = the config file's directory
    Env env;             // e.g. NOTIFY_SOCKET, WATCHDOG_USEC, DBUS_SYSTEM_BUS_ADDRESS
    std::vector<std::string> extra_args;
    std::string program;  // the daemon; "" = $bindir/service/ganesha-had
};

// The daemon under test: `ganesha-had --config C --node N --socket S`, stdout
// and stderr appended to $dir/had.log.
class Had {
public:
    explicit Had(HadOptions options);
    Had(std::string bindir, std::string config, std::string node, std::string socket, Env env = {});
    ~Had();
    Had(Had&&) noexcept = default;
    Had& operator=(Had&&) noexcept = default;

    // Spawns and waits until the control socket accepts a connect(). Throws
    // std::runtime_error (with the log's tail) if the daemon exits first or the
    // deadline passes (it is then stopped).
    void start(std::chrono::milliseconds deadline = std::chrono::milliseconds(5000));
    // SIGTERM, SIGKILL after 2 s, reap.
    void stop() noexcept;
    bool signal(int sig) { return proc_.signal(sig); }
    bool running() { return proc_.running(); }
    int wait_exit(std::chrono::milliseconds deadline) { return proc_.wait_exit(deadline); }
    std::optional<int> exit_status() const { return proc_.exit_status(); }

    pid_t pid() const { return proc_.pid(); }
    const std::string& log_path() const { return log_; }
    const std::string& socket_path() const { return options_.socket; }
    std::string binary() const;
    const HadOptions& options() const { return options_; }
    Process& process() { return proc_; }

private:
    HadOptions options_;
    std::string log_;
    Process proc_;
};

struct CliResult {
    int exit_code;  // exit code, -signal, or kTimedOut (the child was then SIGKILLed)
    std::string out, err;
};

// Runs `$bindir/ctl/ganesha-hactl --socket SOCKET args...`, collects stdout and
// stderr through pipes until both close or the deadline, then reaps it.
CliResult run_cli(const std::string& bindir, const std::string& socket, const std::vector<std::string>& args,
                  std::chrono::milliseconds deadline = std::chrono::milliseconds(10000), const Env& env = {});

// The same for any program (argv[0] without '/' is looked up in PATH).
CliResult run_capture(const std::vector<std::string>& argv, std::chrono::milliseconds deadline,
                      const Env& env = {});

// For a daemon that runs in the host's network namespace (not a lab node):
// it must leave the host's nftables alone and send no tickle ACKs there.
inline constexpr const char* kHostNetworkClients = "HA_CLIENT_DROP=no\nHA_CLIENT_TICKLE=no\n";

// The ganesha-ha.conf lines a one-daemon test starts from: cluster
// node1,node2 with documentation VIPs, watching `ganesha` (its pid file and
// RPC address). Tests append their timings.
std::string had_config(const Ganesha& ganesha);

// No Pacemaker in the integration tests: small stand-ins for attrd_updater
// (values kept as files, one per attribute, in the directory named by
// GHA_FAKE_PACEMAKER), crm_attribute --type nodes (the same in its
// "permanent" subdirectory) and cibadmin (always succeeds; --xpath prints
// those permanent attributes as a <node>), so that ganesha-had's
// pipelines run past their attribute steps. install_fake_pacemaker writes
// them to bin_dir; fake_pacemaker_env is what ganesha-had needs to use them
// with attributes under attrs_dir (created).
void install_fake_pacemaker(const std::string& bin_dir);
Env fake_pacemaker_env(const std::string& bin_dir, const std::string& attrs_dir);

}  // namespace gha::lab

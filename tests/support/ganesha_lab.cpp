#include "tests/support/ganesha_lab.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "monitors/unique_fd.hpp"

extern char** environ;

namespace gha::lab {

namespace fs = std::filesystem;
using Monotonic = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

[[noreturn]] void throw_errno(int err, const std::string& what) {
    throw std::system_error(err, std::generic_category(), what);
}

// Closes a descriptor on scope exit.

int remaining_ms(Monotonic::time_point end) {
    const auto left = std::chrono::duration_cast<milliseconds>(end - Monotonic::now()).count();
    if (left <= 0) return 0;
    return static_cast<int>(std::min<long long>(left, 60'000));
}

// The parent's environment with `env` added or overriding.
std::vector<std::string> child_environment(const Env& env) {
    std::vector<std::string> out;
    for (char** e = environ; e && *e; ++e) {
        const std::string entry = *e;
        const auto eq = entry.find('=');
        const std::string key = entry.substr(0, eq);
        if (!env.count(key)) out.push_back(entry);
    }
    for (const auto& [key, value] : env) out.push_back(key + "=" + value);
    return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return kTimedOut;  // not reached: we never ask for stopped/continued children
}

void put32(unsigned char* p, std::uint32_t v) {
    p[0] = static_cast<unsigned char>(v >> 24);
    p[1] = static_cast<unsigned char>(v >> 16);
    p[2] = static_cast<unsigned char>(v >> 8);
    p[3] = static_cast<unsigned char>(v);
}

std::uint32_t get32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

// Reads exactly n bytes unless EOF, error or the deadline comes first.
bool read_exact(int fd, unsigned char* buf, std::size_t n, Monotonic::time_point end) {
    std::size_t got = 0;
    while (got < n) {
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, remaining_ms(end));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        const ssize_t k = ::recv(fd, buf + got, n - got, 0);
        if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (k <= 0) return false;
        got += static_cast<std::size_t>(k);
    }
    return true;
}

std::atomic<std::uint32_t> g_xid{0};

std::uint32_t next_xid() {
    std::uint32_t seed = 0;
    if (g_xid.load() == 0) {
        seed = static_cast<std::uint32_t>(::getpid()) * 2654435761u ^
               static_cast<std::uint32_t>(Monotonic::now().time_since_epoch().count());
        std::uint32_t expected = 0;
        g_xid.compare_exchange_strong(expected, seed | 1u);
    }
    return g_xid.fetch_add(1);
}

}  // namespace

// ---------------------------------------------------------------- helpers

long long monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::uint16_t port_for(const std::string& key, std::uint16_t base, std::uint16_t span) {
    return static_cast<std::uint16_t>(base + std::hash<std::string>{}(key) % span);
}

bool wait_until(const std::function<bool()>& cond, milliseconds deadline, milliseconds interval) {
    const auto end = Monotonic::now() + deadline;
    if (interval <= milliseconds::zero()) interval = milliseconds(1);
    for (;;) {
        if (cond()) return true;
        const auto now = Monotonic::now();
        if (now >= end) return false;
        std::this_thread::sleep_for(std::min<Monotonic::duration>(interval, end - now));
    }
}

std::string write_file(const std::string& path, const std::string& content) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) throw_errno(errno, "open " + path);
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t k = ::write(fd.get(), content.data() + done, content.size() - done);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) throw_errno(errno, "write " + path);
        done += static_cast<std::size_t>(k);
    }
    return path;
}

std::string read_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) return {};
        throw_errno(errno, "open " + path);
    }
    std::string out;
    char buf[8192];
    for (;;) {
        const ssize_t k = ::read(fd.get(), buf, sizeof buf);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) throw_errno(errno, "read " + path);
        if (k == 0) break;
        out.append(buf, static_cast<std::size_t>(k));
    }
    return out;
}

std::string tail_file(const std::string& path, std::size_t max_bytes) {
    std::string all;
    try {
        all = read_file(path);
    } catch (const std::exception& e) {
        return std::string("(") + e.what() + ")";
    }
    if (all.size() > max_bytes) all.erase(0, all.size() - max_bytes);
    return all;
}

bool rpc_null(const std::string& host, std::uint16_t port, std::uint32_t program, std::uint32_t version,
              milliseconds timeout) {
    const auto end = Monotonic::now() + timeout;
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    int family = AF_INET;
    {
        auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
        auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
        if (::inet_pton(AF_INET, host.c_str(), &a4->sin_addr) == 1) {
            a4->sin_family = AF_INET;
            a4->sin_port = htons(port);
            addr_len = sizeof(sockaddr_in);
        } else if (::inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) == 1) {
            family = AF_INET6;
            a6->sin6_family = AF_INET6;
            a6->sin6_port = htons(port);
            addr_len = sizeof(sockaddr_in6);
        } else {
            return false;
        }
    }
    UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0) return false;
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), addr_len) < 0) {
        if (errno != EINPROGRESS) return false;
        for (;;) {
            pollfd p{fd.get(), POLLOUT, 0};
            const int r = ::poll(&p, 1, remaining_ms(end));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return false;
            break;
        }
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) return false;
    }

    const std::uint32_t xid = next_xid();
    unsigned char call[44];
    const std::uint32_t words[11] = {0x80000000u | 40u, xid, 0 /*CALL*/, 2 /*rpcvers*/, program, version,
                                     0 /*NULLPROC*/,    0,   0 /*cred AUTH_NONE*/,        0, 0 /*verf*/};
    for (int i = 0; i < 11; ++i) put32(call + 4 * i, words[i]);
    std::size_t sent = 0;
    while (sent < sizeof call) {
        const ssize_t k = ::send(fd.get(), call + sent, sizeof call - sent, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && errno == EAGAIN) {
            pollfd p{fd.get(), POLLOUT, 0};
            if (::poll(&p, 1, remaining_ms(end)) <= 0) return false;
            continue;
        }
        if (k <= 0) return false;
        sent += static_cast<std::size_t>(k);
    }

    unsigned char marker[4];
    if (!read_exact(fd.get(), marker, 4, end)) return false;
    const std::uint32_t frag_len = get32(marker) & 0x7fffffffu;
    if (frag_len < 24 || frag_len > 65536) return false;
    std::vector<unsigned char> reply(frag_len);
    if (!read_exact(fd.get(), reply.data(), frag_len, end)) return false;
    // xid, msg_type (1 = REPLY), reply_stat (0 = MSG_ACCEPTED), verifier
    // (flavor, length, body padded to 4), accept_stat (0 = SUCCESS).
    if (get32(&reply[0]) != xid || get32(&reply[4]) != 1 || get32(&reply[8]) != 0) return false;
    const std::uint32_t verf_len = get32(&reply[16]);
    if (verf_len > 400) return false;
    const std::size_t accept_at = 20 + ((static_cast<std::size_t>(verf_len) + 3) & ~std::size_t{3});
    if (accept_at + 4 > reply.size()) return false;
    return get32(&reply[accept_at]) == 0;
}

bool process_listens_on(pid_t pid, std::uint16_t port) {
    // Inodes of TCP sockets in LISTEN (state 0A) on the port, IPv4 and IPv6
    // (ganesha listens on an IPv6 socket with a v4-mapped address).
    std::vector<std::string> inodes;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        const std::string text = read_file(table);
        std::size_t pos = text.find('\n');  // skip the header
        while (pos != std::string::npos && pos + 1 < text.size()) {
            const std::size_t next = text.find('\n', pos + 1);
            const std::string line = text.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
            pos = next;
            std::vector<std::string> f;
            std::size_t i = 0;
            while (i < line.size()) {
                while (i < line.size() && line[i] == ' ') ++i;
                const std::size_t j = line.find(' ', i);
                if (i < line.size()) f.push_back(line.substr(i, j == std::string::npos ? std::string::npos : j - i));
                i = j == std::string::npos ? line.size() : j;
            }
            if (f.size() < 10 || f[3] != "0A") continue;
            const std::size_t colon = f[1].rfind(':');
            if (colon == std::string::npos) continue;
            if (std::strtoul(f[1].c_str() + colon + 1, nullptr, 16) != port) continue;
            inodes.push_back("socket:[" + f[9] + "]");
        }
    }
    if (inodes.empty()) return false;
    std::error_code ec;
    for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
         it.increment(ec)) {
        std::error_code ec2;
        const std::string target = fs::read_symlink(it->path(), ec2).string();
        if (!ec2 && std::find(inodes.begin(), inodes.end(), target) != inodes.end()) return true;
    }
    return false;
}

bool unix_socket_accepts(const std::string& path) { return unix_socket_listener(path).has_value(); }

std::optional<pid_t> unix_socket_listener(const std::string& path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) return std::nullopt;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    // Non-blocking: a listener that never accepts (a crashed daemon's, left
    // to its child) blocks a connect() for ever once its backlog is full,
    // and a test polling it while the new daemon starts (slowly, under ASan)
    // hung there until ctest's timeout. EAGAIN is "not accepting".
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0) return std::nullopt;
    for (;;) {
        if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
        if (errno != EINTR) return std::nullopt;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return std::nullopt;
    return cred.pid;
}

// ---------------------------------------------------------------- TempDir

TempDir::TempDir() {
    std::string templ = "/tmp/gha-lab-XXXXXX";
    if (!::mkdtemp(templ.data())) throw_errno(errno, "mkdtemp");
    path_ = templ;
}

TempDir::~TempDir() { remove(); }

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        remove();
        path_ = std::exchange(other.path_, {});
    }
    return *this;
}

std::string TempDir::file(const std::string& name) const { return path_ + "/" + name; }

void TempDir::remove() noexcept {
    if (path_.empty()) return;
    const char* keep = std::getenv("GHA_LAB_KEEP");
    if (keep && *keep && std::string(keep) != "0") {
        std::fprintf(stderr, "gha::lab: keeping %s\n", path_.c_str());
    } else {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    path_.clear();
}

// ---------------------------------------------------------------- Process

Process::~Process() { stop(); }

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      reaped_(std::exchange(other.reaped_, true)),
      status_(std::exchange(other.status_, std::nullopt)),
      program_(std::move(other.program_)) {}

Process& Process::operator=(Process&& other) noexcept {
    if (this != &other) {
        stop();
        pid_ = std::exchange(other.pid_, -1);
        reaped_ = std::exchange(other.reaped_, true);
        status_ = std::exchange(other.status_, std::nullopt);
        program_ = std::move(other.program_);
    }
    return *this;
}

void Process::spawn(const std::vector<std::string>& argv, const Env& env, const std::string& log_path) {
    const std::string out_path = log_path.empty() ? "/dev/null" : log_path;
    UniqueFd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) throw_errno(errno, "open /dev/null");
    UniqueFd out(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (out.get() < 0) throw_errno(errno, "open " + out_path);
    spawn_fds(argv, env, in.get(), out.get(), out.get());
}

void Process::spawn_fds(const std::vector<std::string>& argv, const Env& env, int in_fd, int out_fd,
                        int err_fd) {
    if (argv.empty()) throw std::invalid_argument("Process::spawn: empty argv");
    if (!reaped_ && running()) throw std::logic_error("Process::spawn: " + program_ + " is still running");

    std::vector<std::string> args = argv;
    std::vector<std::string> envs = child_environment(env);
    std::vector<char*> c_argv = c_strings(args);
    std::vector<char*> c_env = c_strings(envs);

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    if (int e = posix_spawn_file_actions_init(&actions)) throw_errno(e, "posix_spawn_file_actions_init");
    if (int e = posix_spawnattr_init(&attr)) {
        posix_spawn_file_actions_destroy(&actions);
        throw_errno(e, "posix_spawnattr_init");
    }
    int err = 0;
    // dup2 clears FD_CLOEXEC on the target; everything from 3 up is closed so
    // descriptors the test process inherited without O_CLOEXEC do not leak.
    if (!err) err = posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
    if (!err) err = posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    if (!err) err = posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
    if (!err) err = posix_spawn_file_actions_addclosefrom_np(&actions, 3);

    sigset_t mask, defaults;
    sigemptyset(&mask);
    sigemptyset(&defaults);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD, SIGTSTP,
                    SIGTTIN, SIGTTOU, SIGXFSZ, SIGXCPU, SIGURG, SIGWINCH})
        sigaddset(&defaults, sig);
    if (!err) err = posix_spawnattr_setsigmask(&attr, &mask);
    if (!err) err = posix_spawnattr_setsigdefault(&attr, &defaults);
    if (!err) err = posix_spawnattr_setpgroup(&attr, 0);
    if (!err)
        err = posix_spawnattr_setflags(
            &attr, static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));

    pid_t pid = -1;
    if (!err) {
        if (argv[0].find('/') == std::string::npos)
            err = ::posix_spawnp(&pid, c_argv[0], &actions, &attr, c_argv.data(), c_env.data());
        else
            err = ::posix_spawn(&pid, c_argv[0], &actions, &attr, c_argv.data(), c_env.data());
    }
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (err) throw_errno(err, "posix_spawn " + argv[0]);

    pid_ = pid;
    reaped_ = false;
    status_.reset();
    program_ = argv[0];
}

bool Process::reap(bool block) {
    if (reaped_) return true;
    int status = 0;
    for (;;) {
        const pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
        if (r < 0 && errno == EINTR) continue;
        if (r == pid_) {
            reaped_ = true;
            status_ = decode_status(status);
            return true;
        }
        if (r < 0) {  // ECHILD: someone else reaped it; treat as gone
            reaped_ = true;
            status_ = kTimedOut;
            return true;
        }
        return false;  // r == 0: still running
    }
}

bool Process::running() {
    if (pid_ < 0) return false;
    return !reap(false);
}

std::optional<bool> pidfd_wait_exit(pid_t pid, milliseconds deadline) {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) {
        if (errno == ESRCH) return true;
        return std::nullopt;
    }
    pollfd p{fd, POLLIN, 0};
    const auto until = std::chrono::steady_clock::now() + deadline;
    int n = 0;
    for (;;) {
        const auto left = std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now());
        n = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
        if (n > 0 || left.count() <= 0 || (n < 0 && errno != EINTR)) break;
    }
    ::close(fd);
    return n > 0;
}

int Process::wait_exit(milliseconds deadline) {
    if (pid_ < 0) throw std::logic_error("Process::wait_exit: never started");
    if (!running()) return *status_;
    // Wait on a pidfd, not a polling loop: benchmarks time CLI calls with
    // this, and a 10 ms poll would be most of what they measure.
    const auto until = std::chrono::steady_clock::now() + deadline;
    if (pidfd_wait_exit(pid_, deadline)) {
        if (!running()) return *status_;
        if (std::chrono::steady_clock::now() >= until) return kTimedOut;
    }
    if (!wait_until([this] { return !running(); }, deadline, milliseconds(10))) return kTimedOut;
    return *status_;
}

bool Process::signal(int sig) {
    if (pid_ < 0 || reaped_) return false;
    // Unreaped, so the pid cannot have been recycled: it is still ours.
    return ::kill(pid_, sig) == 0;
}

std::optional<int> Process::stop(milliseconds grace) noexcept {
    if (pid_ < 0) return std::nullopt;
    if (!running()) return status_;
    ::kill(pid_, SIGTERM);
    ::kill(pid_, SIGCONT);  // a SIGSTOPped child would otherwise never see SIGTERM
    if (!wait_until([this] { return !running(); }, grace, milliseconds(10))) {
        ::kill(pid_, SIGKILL);
        reap(true);
    }
    return status_;
}

// ---------------------------------------------------------------- DbusDaemon

DbusDaemon::DbusDaemon(std::string dir, milliseconds deadline)
    : dir_(std::move(dir)),
      conf_(dir_ + "/bus.conf"),
      socket_(dir_ + "/bus.sock"),
      log_(dir_ + "/dbus.log") {
    fs::create_directories(dir_);
    if (socket_.size() >= sizeof(sockaddr_un{}.sun_path))
        throw std::invalid_argument("DbusDaemon: socket path too long: " + socket_);
    write_file(conf_,
               "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
               " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
               "<busconfig>\n"
               "  <type>system</type>\n"
               "  <listen>unix:path=" +
                   socket_ +
                   "</listen>\n"
                   "  <auth>EXTERNAL</auth>\n"
                   "  <policy context=\"default\">\n"
                   "    <allow user=\"*\"/>\n"
                   "    <allow own=\"*\"/>\n"
                   "    <allow send_type=\"method_call\"/>\n"
                   "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                   "    <allow receive_sender=\"*\"/>\n"
                   "  </policy>\n"
                   "</busconfig>\n");
    start(deadline);
}

DbusDaemon::~DbusDaemon() { stop(); }

void DbusDaemon::start(milliseconds deadline) {
    if (proc_.running()) return;
    std::error_code ec;
    fs::remove(socket_, ec);  // a stale socket would pass the exists() check
    proc_.spawn({"dbus-daemon", "--config-file=" + conf_, "--nofork", "--nopidfile", "--print-address"}, {},
                log_);
    const bool up = wait_until(
        [this] { return !proc_.running() || (fs::exists(socket_) && unix_socket_accepts(socket_)); },
        deadline);
    if (!up || !proc_.running()) {
        const auto status = proc_.stop();
        throw std::runtime_error(
            "dbus-daemon did not come up on " + socket_ +
            (status ? " (exit status " + std::to_string(*status) + ")" : std::string(" (timed out)")) +
            "; log:\n" + tail_file(log_));
    }
}

void DbusDaemon::stop() noexcept {
    proc_.stop();
    std::error_code ec;
    fs::remove(socket_, ec);
}

// ---------------------------------------------------------------- Ganesha

GaneshaOptions ganesha_on_bus(std::string dir, std::uint16_t port, const DbusDaemon& bus) {
    GaneshaOptions g;
    g.dir = std::move(dir);
    g.port = port;
    g.dbus_address = bus.address();
    return g;
}

Ganesha::Ganesha(GaneshaOptions options)
    : options_(std::move(options)),
      conf_(options_.dir + "/ganesha.conf"),
      log_(options_.dir + "/ganesha.log"),
      pidfile_(options_.dir + "/ganesha.pid"),
      out_(options_.dir + "/ganesha.out"),
      recov_(options_.dir + "/recov") {
    if (options_.dir.empty()) throw std::invalid_argument("Ganesha: options.dir is empty");
    fs::create_directories(recov_);
    write_file(conf_, render_config(options_));
}

Ganesha::~Ganesha() { stop(); }

std::string Ganesha::render_config(const GaneshaOptions& o) {
    std::string c;
    c += "NFS_CORE_PARAM {\n";
    c += "    Protocols = 4;\n";
    c += "    NFS_Port = " + std::to_string(o.port) + ";\n";
    c += "    Bind_Addr = " + o.bind_addr + ";\n";
    c += "    Enable_NLM = false;\n";
    c += "    Enable_RQUOTA = false;\n";
    c += "    Enable_UDP = false;\n";
    if (!o.dbus_name_prefix.empty()) c += "    Dbus_Name_Prefix = " + o.dbus_name_prefix + ";\n";
    c += "}\n";
    c += "NFSV4 {\n";
    c += "    RecoveryBackend = fs;\n";
    c += "    RecoveryRoot = \"" + o.dir + "/recov\";\n";
    c += "    Grace_Period = " + std::to_string(o.grace_period) + ";\n";
    c += "    Lease_Lifetime = " + std::to_string(o.lease_lifetime) + ";\n";
    c += "}\n";
    c += "EXPORT {\n";
    c += "    Export_Id = 1;\n";
    c += "    Path = /mem;\n";
    c += "    Pseudo = /mem;\n";
    c += "    Access_Type = RW;\n";
    c += "    Squash = No_Root_Squash;\n";
    c += "    Protocols = 4;\n";
    c += "    Transports = TCP;\n";
    c += "    FSAL { Name = MEM; }\n";
    c += "}\n";
    c += "LOG {\n";
    c += "    Default_Log_Level = EVENT;\n";
    c += "}\n";
    return c;
}

void Ganesha::start(milliseconds deadline) {
    if (proc_.running()) throw std::logic_error("Ganesha::start: already running, pid " + std::to_string(pid()));
    // A SIGKILLed ganesha leaves its pid file behind. 4.3 only refuses to start
    // when another process holds the file's lock, but remove it anyway.
    std::error_code ec;
    fs::remove(pidfile_, ec);
    fs::create_directories(recov_);
    Env env = options_.env;
    if (!options_.dbus_address.empty()) env["DBUS_SYSTEM_BUS_ADDRESS"] = options_.dbus_address;
    proc_.spawn({"ganesha.nfsd", "-F", "-f", conf_, "-L", log_, "-p", pidfile_}, env, out_);
    // The listening socket must be this process's: with the port already
    // taken, RPC NULL would be answered by the other server while ours is
    // still on its way to exiting with rc 2.
    const bool up = wait_until(
        [this] {
            return !proc_.running() ||
                   (process_listens_on(proc_.pid(), options_.port) && answers_null(milliseconds(250)));
        },
        deadline, milliseconds(20));
    if (!up || !proc_.running()) {
        const auto status = proc_.stop();
        throw std::runtime_error("ganesha.nfsd did not answer RPC NULL on " + options_.bind_addr + ":" +
                                 std::to_string(options_.port) +
                                 (up && status ? " (exited, status " + std::to_string(*status) + ")"
                                               : std::string(" (timed out)")) +
                                 "; stdout/stderr:\n" + tail_file(out_, 500) + "\nlog:\n" + tail_file(log_));
    }
}

void Ganesha::stop() noexcept { proc_.stop(); }

void Ganesha::restart(milliseconds deadline) {
    stop();
    start(deadline);
}

bool Ganesha::answers_null(milliseconds timeout) const {
    return rpc_null(options_.bind_addr, options_.port, 100003, 4, timeout);
}

bool Ganesha::kill(int sig) { return proc_.signal(sig); }

bool Ganesha::wait_exited(milliseconds deadline) {
    if (proc_.pid() < 0) return true;
    return proc_.wait_exit(deadline) != kTimedOut;
}

std::string Ganesha::dbus_name() const {
    return options_.dbus_name_prefix.empty() ? "org.ganesha.nfsd" : options_.dbus_name_prefix + ".org.ganesha.nfsd";
}

// ---------------------------------------------------------------- Had

Had::Had(HadOptions options) : options_(std::move(options)) {
    std::string dir = options_.dir;
    if (dir.empty()) dir = fs::path(options_.config).parent_path().string();
    if (dir.empty()) dir = ".";
    log_ = dir + "/had.log";
}

Had::Had(std::string bindir, std::string config, std::string node, std::string socket, Env env)
    : Had(HadOptions{std::move(bindir), std::move(config), std::move(node), std::move(socket), {}, std::move(env), {}, {}}) {}

Had::~Had() { stop(); }

std::string Had::binary() const {
    return options_.program.empty() ? options_.bindir + "/service/ganesha-had" : options_.program;
}

void Had::start(milliseconds deadline) {
    if (proc_.running()) throw std::logic_error("Had::start: already running, pid " + std::to_string(pid()));
    std::vector<std::string> argv = {binary(),       "--config", options_.config, "--node",
                                     options_.node, "--socket", options_.socket};
    argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
    proc_.spawn(argv, options_.env, log_);
    const std::string& sock = options_.socket;
    const bool up = wait_until(
        // Its own listener: a killed predecessor's can linger (see unix_socket_listener).
        [&] { return !proc_.running() || (fs::exists(sock) && unix_socket_listener(sock) == pid()); }, deadline);
    if (!up || !proc_.running()) {
        const auto status = proc_.stop();
        throw std::runtime_error("ganesha-had did not open " + sock +
                                 (up && status ? " (exited, status " + std::to_string(*status) + ")"
                                               : std::string(" (timed out)")) +
                                 "; log:\n" + tail_file(log_));
    }
}

void Had::stop() noexcept { proc_.stop(); }

// ---------------------------------------------------------------- CLI

CliResult run_capture(const std::vector<std::string>& argv, milliseconds deadline, const Env& env) {
    const auto end = Monotonic::now() + deadline;
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) < 0) throw_errno(errno, "pipe2");
    UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) < 0) throw_errno(errno, "pipe2");
    UniqueFd err_r(err_pipe[0]), err_w(err_pipe[1]);
    UniqueFd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) throw_errno(errno, "open /dev/null");

    Process proc;
    proc.spawn_fds(argv, env, in.get(), out_w.get(), err_w.get());
    out_w.reset();  // the child holds the only write ends now: EOF when it exits
    err_w.reset();

    CliResult result{kTimedOut, {}, {}};
    bool out_open = true, err_open = true;
    char buf[4096];
    while (out_open || err_open) {
        const int left = remaining_ms(end);
        if (left <= 0) break;
        pollfd fds[2] = {{out_open ? out_r.get() : -1, POLLIN, 0}, {err_open ? err_r.get() : -1, POLLIN, 0}};
        const int r = ::poll(fds, 2, left);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw_errno(errno, "poll");
        if (r == 0) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t k = ::read(fds[i].fd, buf, sizeof buf);
            if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (k <= 0) {
                (i == 0 ? out_open : err_open) = false;
                continue;
            }
            (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(k));
        }
    }
    const int left = remaining_ms(end);
    const int code = proc.wait_exit(milliseconds(left));
    if (code == kTimedOut) {
        proc.signal(SIGKILL);
        proc.stop(milliseconds(0));
        result.exit_code = kTimedOut;
    } else {
        result.exit_code = code;
    }
    return result;
}

CliResult run_cli(const std::string& bindir, const std::string& socket, const std::vector<std::string>& args,
                  milliseconds deadline, const Env& env) {
    std::vector<std::string> argv = {bindir + "/ctl/ganesha-hactl", "--socket", socket};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_capture(argv, deadline, env);
}

std::string had_config(const Ganesha& ganesha) {
    return "HA_NAME=\"test\"\n"
           "HA_CLUSTER_NODES=\"node1,node2\"\n"
           "VIP_node1=\"192.0.2.1\"\n"
           "VIP_node2=\"192.0.2.2\"\n"
           "HA_NFSD_PIDFILE=\"" + ganesha.pidfile() + "\"\n"
           "HA_NFSD_ADDRESS=\"" + ganesha.address() + ":" + std::to_string(ganesha.port()) + "\"\n" +
           kHostNetworkClients;
}

// ---------------------------------------------------------------- fake Pacemaker

namespace {
constexpr const char* kFakeAttrdUpdater = R"SH(#!/bin/sh
# Test stand-in for attrd_updater (no cluster here): values kept as files.
d="${GHA_FAKE_PACEMAKER:?}"; name=; op=; value=
while [ $# -gt 0 ]; do
  case "$1" in -n) name=$2; shift ;; -N) shift ;; -U) op=U; value=$2; shift ;; -D) op=D ;; -Q) op=Q ;; esac
  shift
done
case $op in
  U) printf %s "$value" > "$d/$name" ;;
  D) rm -f "$d/$name" ;;
  Q) printf 'name="%s" host="x" value="%s"\n' "$name" "$(cat "$d/$name" 2>/dev/null)" ;;
esac
exit 0
)SH";
// Permanent node attributes (crm_attribute --type nodes, the persistent
// drain) as files in a "permanent" subdirectory; cibadmin --query --xpath
// of the node prints them as the CIB's <node> element. Other cibadmin calls
// succeed and do nothing.
constexpr const char* kFakeCrmAttribute = R"SH(#!/bin/sh
# Test stand-in for crm_attribute --type nodes (no cluster here).
d="${GHA_FAKE_PACEMAKER:?}/permanent"; mkdir -p "$d"; name=; op=; value=
while [ $# -gt 0 ]; do
  case "$1" in --name) name=$2; shift ;; --node|--type) shift ;; --update) op=U; value=$2; shift ;;
    --delete) op=D ;; --query) op=Q ;; esac
  shift
done
case $op in
  U) printf %s "$value" > "$d/$name" ;;
  D) rm -f "$d/$name" ;;
  Q) [ -e "$d/$name" ] || exit 105; printf 'scope=nodes  name=%s value=%s\n' "$name" "$(cat "$d/$name")" ;;
esac
exit 0
)SH";

constexpr const char* kFakeCibadmin = R"SH(#!/bin/sh
# Test stand-in for cibadmin: the node's permanent attributes for --xpath.
d="${GHA_FAKE_PACEMAKER:?}/permanent"
case " $* " in
  *" --xpath "*)
    printf '<node id="1" uname="x"><instance_attributes id="nodes-1">\n'
    for f in "$d"/*; do
      [ -e "$f" ] && printf '<nvpair id="nodes-1-%s" name="%s" value="%s"/>\n' "${f##*/}" "${f##*/}" "$(cat "$f")"
    done
    printf '</instance_attributes></node>\n' ;;
esac
exit 0
)SH";
}  // namespace

void install_fake_pacemaker(const std::string& bin_dir) {
    fs::create_directories(bin_dir);
    write_file(bin_dir + "/attrd_updater", kFakeAttrdUpdater);
    write_file(bin_dir + "/cibadmin", kFakeCibadmin);
    write_file(bin_dir + "/crm_attribute", kFakeCrmAttribute);
    for (const char* tool : {"attrd_updater", "cibadmin", "crm_attribute"})
        ::chmod((bin_dir + "/" + tool).c_str(), 0755);
}

Env fake_pacemaker_env(const std::string& bin_dir, const std::string& attrs_dir) {
    fs::create_directories(attrs_dir);
    const char* path = std::getenv("PATH");
    return {{"GHA_FAKE_PACEMAKER", attrs_dir}, {"PATH", bin_dir + ":" + (path ? path : "/usr/sbin:/usr/bin:/sbin:/bin")}};
}

}  // namespace gha::lab

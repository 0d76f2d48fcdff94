#include "tests/support/pacemaker_node.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

namespace gha::lab {

namespace fs = std::filesystem;
using Monotonic = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr const char* kNetnsPrefix = "gha-pcmk";
// In the state directory: the owning test process's pid, for sweep_stale().
constexpr const char* kOwnerMarker = ".gha-pcmk-owner";
std::atomic<unsigned> g_netns_counter{0};

struct ProcInfo {
    pid_t pid = -1;
    pid_t ppid = -1;
    pid_t pgid = -1;
    char state = '?';
    unsigned long long start_time = 0;  // field 22 of /proc/PID/stat, clock ticks since boot
};

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<ProcInfo> read_proc(pid_t pid) {
    std::string stat;
    try {
        stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    } catch (const std::exception&) {
        return std::nullopt;
    }
    // "PID (comm) S PPID PGRP SESSION ... STARTTIME ...": comm may contain
    // spaces and parentheses, so split after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::vector<std::string> f;
    std::size_t i = close + 1;
    while (i < stat.size() && f.size() < 20) {
        while (i < stat.size() && stat[i] == ' ') ++i;
        const auto j = stat.find(' ', i);
        if (i < stat.size()) f.push_back(stat.substr(i, j == std::string::npos ? std::string::npos : j - i));
        i = j == std::string::npos ? stat.size() : j;
    }
    if (f.size() < 20 || f[0].empty()) return std::nullopt;
    ProcInfo p;
    p.pid = pid;
    p.state = f[0][0];
    p.ppid = static_cast<pid_t>(std::strtol(f[1].c_str(), nullptr, 10));
    p.pgid = static_cast<pid_t>(std::strtol(f[2].c_str(), nullptr, 10));
    p.start_time = std::strtoull(f[19].c_str(), nullptr, 10);
    return p;
}

std::vector<ProcInfo> all_processes() {
    std::vector<ProcInfo> out;
    std::error_code ec;
    for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!all_digits(name)) continue;
        if (auto p = read_proc(static_cast<pid_t>(std::strtol(name.c_str(), nullptr, 10)))) out.push_back(*p);
    }
    return out;
}

std::string net_ns_of(pid_t pid) {
    std::error_code ec;
    const auto target = fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/net", ec);
    return ec ? std::string() : target.string();
}

bool alive(const ProcInfo& p) { return p.state != 'Z' && p.state != 'X'; }

// True if the process with this pid is the one we saw (same start time) and
// not yet dead.
bool same_and_alive(pid_t pid, unsigned long long start_time) {
    const auto now = read_proc(pid);
    return now && now->start_time == start_time && alive(*now);
}

void close_fd(int& fd) noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

std::string tail_labeled(const std::string& label, const std::string& path, std::size_t bytes) {
    return "---- " + label + " (" + path + "):\n" + tail_file(path, bytes) + "\n";
}

// The pid in the second field of STATE/pids lines "corosync PID", "pacemakerd PID".
std::optional<pid_t> pid_from_file(const std::string& path, const std::string& key) {
    std::string text;
    try {
        text = read_file(path);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        const std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        if (line.rfind(key + " ", 0) == 0) {
            const std::string num = line.substr(key.size() + 1);
            if (all_digits(num)) return static_cast<pid_t>(std::strtol(num.c_str(), nullptr, 10));
        }
    }
    return std::nullopt;
}

// Does crm_mon's XML show `node` online and a DC? Minimal parsing: every
// `<node name="NODE"` tag (node_history has a bare one) is checked for
// online="true" before its closing '>'.
bool crm_mon_online(const std::string& xml, const std::string& node) {
    if (xml.find("<current_dc present=\"true\"") == std::string::npos) return false;
    const std::string open = "<node name=\"" + node + "\"";
    for (auto pos = xml.find(open); pos != std::string::npos; pos = xml.find(open, pos + 1)) {
        const auto end = xml.find('>', pos);
        const std::string tag = xml.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        if (tag.find(" online=\"true\"") != std::string::npos) return true;
    }
    return false;
}

}  // namespace

std::vector<pid_t> processes_in_netns(const std::string& net_id) {
    std::vector<pid_t> out;
    if (net_id.empty()) return out;
    for (const auto& p : all_processes())
        if (alive(p) && net_ns_of(p.pid) == net_id) out.push_back(p.pid);
    return out;
}

// ---------------------------------------------------------------- NetNs

NetNs::NetNs(const std::string& prefix)
    : name_(prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(g_netns_counter.fetch_add(1))) {
    const auto add = run_capture({"ip", "netns", "add", name_}, milliseconds(5000));
    if (add.exit_code != 0)
        throw std::runtime_error("ip netns add " + name_ + " failed (rc " + std::to_string(add.exit_code) +
                                 "): " + add.err);
    // /run/netns/NAME is an nsfs bind mount: its inode is the namespace's.
    struct stat st {};
    if (::stat(("/run/netns/" + name_).c_str(), &st) != 0) {
        const int err = errno;
        remove();
        throw std::system_error(err, std::generic_category(), "stat /run/netns/" + name_);
    }
    id_ = "net:[" + std::to_string(st.st_ino) + "]";
    const auto lo = run_capture({"ip", "-n", name_, "link", "set", "lo", "up"}, milliseconds(5000));
    if (lo.exit_code != 0) {
        remove();
        throw std::runtime_error("ip -n " + name_ + " link set lo up failed (rc " + std::to_string(lo.exit_code) +
                                 "): " + lo.err);
    }
}

NetNs::~NetNs() { remove(); }

std::vector<std::string> NetNs::wrap(const std::vector<std::string>& argv) const {
    std::vector<std::string> out = {"ip", "netns", "exec", name_};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
}

CliResult NetNs::exec(const std::vector<std::string>& argv, milliseconds deadline, const Env& env) const {
    return run_capture(wrap(argv), deadline, env);
}

std::vector<pid_t> NetNs::processes() const { return processes_in_netns(id_); }

void NetNs::remove() noexcept {
    if (name_.empty()) return;
    try {
        std::error_code ec;
        if (fs::exists("/run/netns/" + name_, ec)) run_capture({"ip", "netns", "del", name_}, milliseconds(5000));
    } catch (...) {
    }
    name_.clear();
}

// ---------------------------------------------------------------- PacemakerNode

PacemakerNode::PacemakerNode(PacemakerNodeOptions options) : options_(std::move(options)) {
    if (options_.script.empty()) options_.script = default_script();
}

PacemakerNode::~PacemakerNode() { stop(); }

std::string PacemakerNode::default_script() {
    if (const char* env = std::getenv("GHA_PCMK_NODE_SCRIPT"); env && *env) return env;
#ifdef GHA_SOURCE_DIR
    return std::string(GHA_SOURCE_DIR) + "/tests/support/pacemaker-node.sh";
#else
    std::error_code ec;
    const fs::path p = fs::absolute(fs::path(__FILE__).parent_path() / "pacemaker-node.sh", ec);
    return ec ? std::string("tests/support/pacemaker-node.sh") : p.string();
#endif
}

void PacemakerNode::sweep_stale() noexcept {
    try {
        const std::string prefix = std::string(kNetnsPrefix) + "-";
        std::vector<std::string> stale;
        std::error_code ec;
        for (fs::directory_iterator it("/run/netns", ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (name.rfind(prefix, 0) != 0) continue;
            const std::string rest = name.substr(prefix.size());
            const auto dash = rest.find('-');
            if (dash == std::string::npos) continue;
            const std::string pid = rest.substr(0, dash), n = rest.substr(dash + 1);
            if (!all_digits(pid) || !all_digits(n)) continue;
            const auto owner = static_cast<pid_t>(std::strtol(pid.c_str(), nullptr, 10));
            if (owner == ::getpid()) continue;
            if (::kill(owner, 0) == 0 || errno != ESRCH) continue;  // owner still alive (or not ours to judge)
            stale.push_back(name);
        }
        for (const auto& name : stale) run_capture({"ip", "netns", "del", name}, milliseconds(5000));

        // State directories of dead owners (marked by start()), unless the
        // user asked to keep lab directories.
        const char* keep = std::getenv("GHA_LAB_KEEP");
        if (keep && *keep && std::string(keep) != "0") return;
        std::vector<fs::path> dirs;
        for (fs::directory_iterator it("/tmp", ec), end; !ec && it != end; it.increment(ec)) {
            if (it->path().filename().string().rfind("gha-lab-", 0) != 0) continue;
            std::string owner;
            try {
                owner = read_file((it->path() / kOwnerMarker).string());
            } catch (const std::exception&) {
                continue;
            }
            while (!owner.empty() && (owner.back() == '\n' || owner.back() == ' ')) owner.pop_back();
            if (!all_digits(owner)) continue;
            const auto pid = static_cast<pid_t>(std::strtol(owner.c_str(), nullptr, 10));
            if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
            dirs.push_back(it->path());
        }
        for (const auto& d : dirs) fs::remove_all(d, ec);
    } catch (...) {
    }
}

void PacemakerNode::start(milliseconds deadline) {
    if (helper_.running()) throw std::logic_error("PacemakerNode::start: already running");
    if (!fs::exists(options_.script)) throw std::runtime_error("PacemakerNode: no helper script " + options_.script);
    sweep_stale();
    stop();  // a previous run's leftovers, if start() is called again

    write_file(dir_.file(kOwnerMarker), std::to_string(::getpid()) + "\n");
    netns_.emplace(kNetnsPrefix);
    net_id_ = netns_->id();
    std::error_code ec;
    fs::remove(dir_.file("ready"), ec);
    fs::remove(dir_.file("failed"), ec);
    fs::remove(dir_.file("pids"), ec);

    int pipe_fds[2] = {-1, -1};
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe2");
    int log_fd = ::open(helper_log().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        const int err = errno;
        close_fd(pipe_fds[0]);
        close_fd(pipe_fds[1]);
        throw std::system_error(err, std::generic_category(), "open " + helper_log());
    }
    try {
        helper_.spawn_fds({"ip", "netns", "exec", netns_->name(), "unshare", "-m", "-u", "--propagation", "private",
                           "bash", options_.script, dir_.path(), options_.name, std::to_string(options_.node_id),
                           options_.ring0_addr, std::to_string(options_.pacemaker_grace.count())},
                          {}, pipe_fds[0], log_fd, log_fd);
    } catch (...) {
        close_fd(pipe_fds[0]);
        close_fd(pipe_fds[1]);
        close_fd(log_fd);
        stop();
        throw;
    }
    close_fd(pipe_fds[0]);
    close_fd(log_fd);
    stdin_w_ = pipe_fds[1];

    const std::string ready = dir_.file("ready"), failed = dir_.file("failed");
    const bool done = wait_until(
        [&] { return fs::exists(ready) || fs::exists(failed) || !helper_.running(); }, deadline,
        milliseconds(50));
    if (!done || !fs::exists(ready) || !helper_.running()) {
        const std::string why = !done                ? "timed out"
                                : fs::exists(failed) ? "setup failed: " + read_file(failed)
                                                     : "helper exited";
        const std::string diag = diagnostics();
        stop();
        throw std::runtime_error("PacemakerNode " + options_.name + " did not start (" + why + ")\n" + diag);
    }
    // Sanity: the helper really is in our namespace (ip/unshare exec'd, no fork).
    if (net_ns_of(helper_.pid()) != net_id_) {
        const std::string diag = diagnostics();
        stop();
        throw std::runtime_error("PacemakerNode: helper " + std::to_string(helper_.pid()) + " is not in " +
                                 net_id_ + "\n" + diag);
    }
}

bool PacemakerNode::running() { return helper_.running(); }

bool PacemakerNode::online() {
    if (!helper_.running()) return false;
    const auto r = exec({"crm_mon", "--output-as=xml", "-1"}, milliseconds(5000));
    last_crm_mon_ = "rc " + std::to_string(r.exit_code) + "\n" + r.out + r.err;
    return r.exit_code == 0 && crm_mon_online(r.out, options_.name);
}

bool PacemakerNode::wait_online(milliseconds deadline) {
    const auto end = Monotonic::now() + deadline;
    for (;;) {
        if (!helper_.running()) return false;
        if (online()) return true;
        const auto now = Monotonic::now();
        if (now >= end) return false;
        std::this_thread::sleep_for(std::min<Monotonic::duration>(milliseconds(250), end - now));
    }
}

std::vector<std::string> PacemakerNode::wrap(const std::vector<std::string>& argv) const {
    if (helper_.pid() < 0) throw std::logic_error("PacemakerNode::wrap: not started");
    std::vector<std::string> out = {"nsenter", "-t", std::to_string(helper_.pid()), "-n", "-m", "-u", "--"};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
}

CliResult PacemakerNode::exec(const std::vector<std::string>& argv, milliseconds deadline, const Env& env) const {
    return run_capture(wrap(argv), deadline, env);
}

std::optional<pid_t> PacemakerNode::corosync_pid() const { return pid_from_file(dir_.file("pids"), "corosync"); }

std::optional<pid_t> PacemakerNode::pacemakerd_pid() const {
    return pid_from_file(dir_.file("pids"), "pacemakerd");
}

std::vector<pid_t> PacemakerNode::processes() const { return processes_in_netns(net_id_); }

std::string PacemakerNode::diagnostics() const {
    std::string out;
    out += tail_labeled("helper log", helper_log(), 1500);
    out += tail_labeled("corosync", corosync_log(), 1500);
    out += tail_labeled("pacemaker", pacemaker_log(), 3000);
    if (!last_crm_mon_.empty()) out += "---- last crm_mon:\n" + last_crm_mon_ + "\n";
    return out;
}

void PacemakerNode::stop() noexcept {
    try {
        // pid -> start time of every process we consider ours.
        std::map<pid_t, unsigned long long> ours;
        const pid_t helper = helper_.pid();
        const bool helper_was_running = helper_.running();

        // The helper's descendants and process group (while it still is our
        // unreaped child, its pid is its) plus everything in our netns.
        auto collect = [&](bool with_tree) {
            const auto procs = all_processes();
            std::set<pid_t> tree;
            if (with_tree && helper > 0) {
                tree.insert(helper);
                for (bool grew = true; grew;) {
                    grew = false;
                    for (const auto& p : procs)
                        if (tree.count(p.ppid) && tree.insert(p.pid).second) grew = true;
                }
            }
            for (const auto& p : procs) {
                if (!alive(p) || p.pid == ::getpid()) continue;
                const bool mine = tree.count(p.pid) || (helper > 0 && p.pgid == helper) ||
                                  (!net_id_.empty() && net_ns_of(p.pid) == net_id_);
                if (mine) ours.emplace(p.pid, p.start_time);
            }
        };

        if (helper_was_running) {
            collect(true);
            ours.erase(helper);  // Process owns the helper; it is signalled through helper_ only
            helper_.signal(SIGTERM);
            close_fd(stdin_w_);
            const auto grace = std::chrono::duration_cast<milliseconds>(options_.pacemaker_grace) + milliseconds(8000);
            wait_until([&] { return !helper_.running(); }, grace, milliseconds(50));
        }
        close_fd(stdin_w_);
        helper_.stop(milliseconds(500));  // SIGKILL if it is still there; reaps it

        // Whatever is left: SIGKILL, until nothing of ours is alive.
        const auto end = Monotonic::now() + milliseconds(5000);
        for (;;) {
            collect(false);
            bool any = false;
            for (const auto& [pid, start] : ours) {
                if (!same_and_alive(pid, start)) continue;
                any = true;
                ::kill(pid, SIGKILL);
            }
            if (!any || Monotonic::now() >= end) break;
            std::this_thread::sleep_for(milliseconds(50));
        }

        // libqb's IPC directories for our processes, should any have landed in
        // the host's /dev/shm (they normally live in the node's private tmpfs).
        std::set<std::string> our_pids;
        for (const auto& [pid, start] : ours) our_pids.insert(std::to_string(pid));
        if (helper > 0) our_pids.insert(std::to_string(helper));
        std::error_code ec;
        std::vector<fs::path> leftovers;
        for (fs::directory_iterator it("/dev/shm", ec), e; !ec && it != e; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (name.rfind("qb-", 0) != 0) continue;
            // qb-<server pid>-<client pid>-<fd>-<random>
            std::vector<std::string> parts;
            std::size_t pos = 0;
            while (pos <= name.size()) {
                const auto dash = name.find('-', pos);
                parts.push_back(name.substr(pos, dash == std::string::npos ? std::string::npos : dash - pos));
                if (dash == std::string::npos) break;
                pos = dash + 1;
            }
            if (parts.size() < 3) continue;
            if ((all_digits(parts[1]) && our_pids.count(parts[1])) || (all_digits(parts[2]) && our_pids.count(parts[2])))
                leftovers.push_back(it->path());
        }
        for (const auto& p : leftovers) fs::remove_all(p, ec);

        if (netns_) {
            netns_->remove();
            netns_.reset();
        }
    } catch (...) {
    }
}

}  // namespace gha::lab

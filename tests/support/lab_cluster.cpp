#include "tests/support/lab_cluster.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "ctl/control_client.hpp"
#include "tests/support/ganesha_lab.hpp"

using namespace std::chrono_literals;
using nlohmann::json;

namespace gha::lab {

namespace {

// Moves the calling thread into the client namespace.
bool enter_client_namespace() {
    const int fd = ::open("/var/run/netns/gl-client", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::setns(fd, CLONE_NEWNET) == 0;
    ::close(fd);
    return ok;
}

pid_t read_pid(const std::string& path) {
    std::ifstream in(path);
    pid_t p = 0;
    in >> p;
    return p > 1 ? p : 0;
}

}  // namespace

LabCluster::LabCluster(std::string repo, std::string build) : repo_(std::move(repo)), build_(std::move(build)) {
    const char* d = std::getenv("GANESHA_LAB_DIR");
    dir_ = d && *d ? d : "/tmp/ganesha-lab";
}

int LabCluster::nodes() const {
    std::ifstream in(dir_ + "/nodes");
    int n = 0;
    in >> n;
    return n;
}

int LabCluster::run(const std::vector<std::string>& args, std::chrono::milliseconds deadline) const {
    std::vector<std::string> argv{repo_ + "/lab/ganesha-lab"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run_capture(argv, deadline, {{"GANESHA_LAB_BUILD", build_}});
    if (r.exit_code != 0)
        std::fprintf(stderr, "ganesha-lab %s: rc %d\n%s%s", args.empty() ? "" : args[0].c_str(), r.exit_code,
                     r.out.c_str(), r.err.c_str());
    return r.exit_code;
}

std::string LabCluster::socket_of(int node) const {
    return dir_ + "/node" + std::to_string(node) + "/run-ganesha-ha/hactl.sock";
}

std::string LabCluster::vip_of(int node) { return "192.168.77." + std::to_string(100 + node); }

pid_t LabCluster::supervisor(int node) const { return pid_of(node, "supervisor"); }

pid_t LabCluster::pid_of(int node, const std::string& what) const {
    return read_pid(dir_ + "/node" + std::to_string(node) + "/pids/" + what);
}

json LabCluster::call(int node, const std::string& command, json arguments, std::chrono::milliseconds timeout) const {
    control::ClientError e;
    auto r = control::call(socket_of(node), {command, std::move(arguments)}, timeout, e);
    if (e.kind != control::ClientError::none || !r.is_object()) return nullptr;
    return r;
}

std::uint64_t LabCluster::last_event(int node) const {
    const auto r = call(node, "status");
    return r.is_null() ? 0 : r["arguments"].value("last_event", std::uint64_t{0});
}

json LabCluster::events(int node, std::uint64_t since) const {
    const auto r = call(node, "events", {{"since", since}, {"limit", 10000}});
    return r.is_null() ? json::array() : r["arguments"].value("events", json::array());
}

std::optional<long long> LabCluster::first_event(int node, std::uint64_t since,
                                                 const std::function<bool(const json&)>& pred) const {
    for (const auto& e : events(node, since))
        if (pred(e)) return e["monotonic_ns"].get<long long>();
    return std::nullopt;
}

bool LabCluster::sees_peer_up(int node, int peer) const {
    const auto r = call(node, "peers");
    if (r.is_null()) return false;
    for (const auto& p : r["arguments"].value("peers", json::array()))
        if (p.value("node", "") == "node" + std::to_string(peer)) return p.value("state", "") == "up";
    return false;
}

int LabCluster::owner_of(const std::string& vip) const {
    int owner = 0;
    for (int n = 1; n <= nodes(); ++n) {
        const pid_t s = supervisor(n);
        if (s == 0 || !holds_address(s, vip)) continue;
        if (owner != 0) return -1;
        owner = n;
    }
    return owner;
}

bool LabCluster::in_grace(int node) const {
    const std::string log = read_file(dir_ + "/node" + std::to_string(node) + "/ganesha.log");
    const auto in = log.rfind("Now IN GRACE"), out = log.rfind("Now NOT IN GRACE");
    return in != std::string::npos && (out == std::string::npos || in > out);
}

std::optional<long long> LabCluster::wait_owner(const std::string& vip, int node,
                                                std::chrono::milliseconds deadline) const {
    std::optional<long long> seen;
    wait_until(
        [&] {
            if (owner_of(vip) != node) return false;
            seen = monotonic_ns();
            return true;
        },
        deadline, 5ms);
    return seen;
}

bool process_alive(pid_t pid) {
    if (pid <= 0 || ::kill(pid, 0) != 0) return false;
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

bool wait_process_exited(pid_t pid, std::chrono::milliseconds deadline) {
    if (pid <= 0) return true;
    return pidfd_wait_exit(pid, deadline).value_or(false);
}

bool holds_address(pid_t pid, const std::string& ip) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/fib_trie");
    std::string line, prev;
    while (std::getline(in, line)) {
        if (line.find("/32 host LOCAL") != std::string::npos && prev.find("-- " + ip) != std::string::npos)
            return true;
        prev = line;
    }
    return false;
}

bool grace_confirmed_for(const json& e, const std::string& vip) {
    return e.value("type", "") == "action" && e.value("subject", "") == "grace" &&
           e["fields"].value("step", "") == "confirm ganesha in grace" &&
           e["fields"].value("state", "") == "succeeded" &&
           e["fields"].value("target", "").find(vip) != std::string::npos;
}

bool client_rpc_null(const std::string& vip, std::chrono::milliseconds timeout) {
    bool ok = false;
    std::thread t([&] { ok = enter_client_namespace() && rpc_null(vip, 2049, 100003, 4, timeout); });
    t.join();
    return ok;
}

ClientProbe::ClientProbe(std::string vip) : vip_(std::move(vip)) {
    thread_ = std::thread([this] { loop(); });
}

ClientProbe::~ClientProbe() {
    stop_ = true;
    thread_.join();
}

std::optional<long long> ClientProbe::served_after(long long from, std::chrono::milliseconds deadline) {
    from_ = from;
    served_ = 0;
    std::optional<long long> served;
    wait_until(
        [&] {
            if (const long long s = served_.load(); s > 0) served = s;
            return served.has_value();
        },
        deadline, 5ms);
    return served;
}

void ClientProbe::loop() {
    if (!enter_client_namespace()) {
        std::perror("setns gl-client");
        return;
    }
    while (!stop_) {
        const long long start = monotonic_ns();
        const bool ok = rpc_null(vip_, 2049, 100003, 4, 150ms);
        if (ok && from_ > 0 && start >= from_ && served_ == 0) served_ = monotonic_ns();
        std::this_thread::sleep_for(10ms);  // the probe's pacing, not a wait for a condition
    }
}

}  // namespace gha::lab

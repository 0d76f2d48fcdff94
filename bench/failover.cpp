// bench/failover: failover times in a real 3-node lab (lab/ganesha-lab).
// For each scenario (kill, hang, node-loss), K runs against node1:
//   detection        fault -> node1's daemon marks its nfsd unhealthy
//                    (node loss: the first survivor's reaction)
//   grace            detection -> every survivor confirmed grace for node1's VIP
//   vip              detection -> node1's VIP is up on another node
//   client           fault -> a client's RPC NULL through node1's VIP is answered
// and checks the invariant on every run: both survivors confirmed grace
// before the VIP came up on its new node. Times come from the daemons' own
// CLOCK_MONOTONIC event stamps and from pollers on this machine's monotonic
// clock (the VIP: every 5 ms; the client: a probe every 10 ms).
//
// usage: failover BUILD_DIR [--runs K] [--scenarios kill,hang,node-loss] [--keep-lab] [--demo]
// --demo: one narrated kill and fail-back (scripts/demo). Exit 1 when a run
// is incomplete or grace did not come first.
// Needs root. Brings the lab up (3 nodes) unless one is up, and down at the end.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ctl/control_client.hpp"
#include "tests/support/ganesha_lab.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
namespace lab = gha::lab;

namespace {

std::string g_repo, g_lab = "/tmp/ganesha-lab";

long long now_ns() { return lab::monotonic_ns(); }

int run_lab(const std::vector<std::string>& args, std::chrono::milliseconds deadline = 120s) {
    std::vector<std::string> argv{g_repo + "/lab/ganesha-lab"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = lab::run_capture(argv, deadline);
    if (r.exit_code != 0) std::fprintf(stderr, "ganesha-lab %s: rc %d\n%s%s", args[0].c_str(), r.exit_code, r.out.c_str(), r.err.c_str());
    return r.exit_code;
}

std::string socket_of(int node) { return g_lab + "/node" + std::to_string(node) + "/run-ganesha-ha/hactl.sock"; }
std::string vip_of(int node) { return "192.168.77." + std::to_string(100 + node); }

json events(int node, std::uint64_t since) {
    gha::control::ClientError e;
    auto r = gha::control::call(socket_of(node), {"events", {{"since", since}, {"limit", 10000}}}, 2000ms, e);
    if (e.kind != gha::control::ClientError::none || !r.is_object()) return json::array();
    return r["arguments"].value("events", json::array());
}
std::uint64_t last_event(int node) {
    gha::control::ClientError e;
    auto r = gha::control::call(socket_of(node), {"status"}, 2000ms, e);
    if (e.kind != gha::control::ClientError::none) return 0;
    return r["arguments"].value("last_event", std::uint64_t{0});
}

// Whether `ip` is a local address of the network namespace `pid` lives in.
bool holds_address(pid_t pid, const std::string& ip) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/fib_trie");
    std::string line, prev;
    while (std::getline(in, line)) {
        if (line.find("/32 host LOCAL") != std::string::npos && prev.find("-- " + ip) != std::string::npos) return true;
        prev = line;
    }
    return false;
}
pid_t supervisor(int node) {
    std::ifstream in(g_lab + "/node" + std::to_string(node) + "/pids/supervisor");
    pid_t p = 0;
    in >> p;
    return p;
}

// Polls, from the client namespace, RPC NULL through the VIP until answered.
class ClientProbe {
public:
    explicit ClientProbe(std::string vip) : vip_(std::move(vip)) {
        thread_ = std::thread([this] { loop(); });
    }
    ~ClientProbe() {
        stop_ = true;
        thread_.join();
    }
    // First success at or after `from`, waiting up to `deadline`.
    std::optional<long long> served_after(long long from, std::chrono::milliseconds deadline) {
        from_ = from;
        served_ = 0;
        const auto end = std::chrono::steady_clock::now() + deadline;
        while (std::chrono::steady_clock::now() < end) {
            if (long long s = served_.load(); s > 0) return s;
            std::this_thread::sleep_for(5ms);
        }
        return std::nullopt;
    }

private:
    void loop() {
        // Network namespaces are per thread: only this thread moves.
        int fd = ::open("/var/run/netns/gl-client", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
            std::perror("setns gl-client");
            return;
        }
        ::close(fd);
        while (!stop_) {
            const long long start = now_ns();
            const bool ok = lab::rpc_null(vip_, 2049, 100003, 4, 150ms);
            if (ok && from_ > 0 && start >= from_ && served_ == 0) served_ = now_ns();
            std::this_thread::sleep_for(10ms);
        }
    }
    std::string vip_;
    std::atomic<bool> stop_{false};
    std::atomic<long long> from_{0};
    std::atomic<long long> served_{0};
    std::thread thread_;
};

struct Run {
    double detection = 0, grace = 0, vip = 0, client = 0;
    bool invariant = false;
};

struct Series {
    std::vector<double> v;
    void add(double x) { v.push_back(x); }
    double pct(double p) const {
        if (v.empty()) return 0;
        auto s = v;
        std::sort(s.begin(), s.end());
        return s[std::min(s.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(s.size() - 1) + 0.5))];
    }
    double max() const { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }
};

// Monotonic time of the first event on `node` after `since` matching `pred`.
template <class Pred>
std::optional<long long> first_event(int node, std::uint64_t since, Pred pred) {
    for (const auto& e : events(node, since))
        if (pred(e)) return e["monotonic_ns"].get<long long>();
    return std::nullopt;
}

bool grace_confirmed(const json& e) {
    return e["type"] == "action" && e["subject"] == "grace" &&
           e["fields"].value("step", "") == "confirm ganesha in grace" && e["fields"].value("state", "") == "succeeded" &&
           e["fields"].value("target", "").find(vip_of(1)) != std::string::npos;
}

std::optional<Run> one_run(const std::string& scenario, ClientProbe& probe) {
    std::uint64_t since[4] = {0, last_event(1), last_event(2), last_event(3)};
    // A random phase against the probe intervals.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::rand() % 1000));
    long long fault = now_ns();
    if (scenario == "node-loss") {
        if (run_lab({"kill-node", "1"}) != 0) return std::nullopt;
    } else {
        // Signalled from here, so the fault time is not the lab script's start-up.
        std::ifstream in(g_lab + "/node1/pids/nfsd");
        pid_t nfsd = 0;
        in >> nfsd;
        if (nfsd <= 1) return std::nullopt;
        fault = now_ns();
        if (::kill(nfsd, scenario == "kill" ? SIGKILL : SIGSTOP) != 0) return std::nullopt;
    }

    // The VIP's new home.
    std::optional<long long> vip_up;
    int new_home = 0;
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (!vip_up && std::chrono::steady_clock::now() < end) {
        for (int n : {2, 3})
            if (holds_address(supervisor(n), vip_of(1))) {
                vip_up = now_ns();
                new_home = n;
            }
        std::this_thread::sleep_for(5ms);
    }
    const auto served = probe.served_after(fault, 30s);

    std::optional<long long> detected;
    if (scenario == "node-loss") {
        for (int n : {2, 3}) {
            auto d = first_event(n, since[n], [](const json& e) {
                return (e["type"] == "peer" && e["fields"].value("to", "") == "down") ||
                       (e["type"] == "action" && e["subject"] == "grace");
            });
            if (d && (!detected || *d < *detected)) detected = d;
        }
    } else {
        detected = first_event(1, since[1], [](const json& e) {
            return e["type"] == "monitor" && e["fields"].value("to", "") == "unhealthy";
        });
    }
    std::optional<long long> grace_all;
    bool all = true;
    for (int n : {2, 3}) {
        auto g = first_event(n, since[n], grace_confirmed);
        if (!g) all = false;
        else if (!grace_all || *g > *grace_all) grace_all = g;
    }
    if (!vip_up || !served || !detected) {
        std::fprintf(stderr, "  %s: incomplete run (vip %d, served %d, detected %d)\n", scenario.c_str(), !!vip_up,
                     !!served, !!detected);
        return std::nullopt;
    }
    Run r;
    r.detection = static_cast<double>(*detected - fault) / 1e6;
    r.grace = all ? static_cast<double>(*grace_all - *detected) / 1e6 : -1;
    r.vip = static_cast<double>(*vip_up - *detected) / 1e6;
    r.client = static_cast<double>(*served - fault) / 1e6;
    r.invariant = all && *grace_all < *vip_up;
    std::printf("  %-9s detect %8.1f  grace %8.1f  vip %8.1f  client %8.1f ms  new home node%d  grace-before-vip %s\n",
                scenario.c_str(), r.detection, r.grace, r.vip, r.client, new_home, r.invariant ? "yes" : "NO");
    std::fflush(stdout);
    return r;
}

bool restore(const std::string& scenario) {
    if (scenario == "kill" && run_lab({"restart-nfsd", "1"}) != 0) return false;
    if (scenario == "hang" && run_lab({"resume-nfsd", "1"}) != 0) return false;
    if (scenario == "node-loss" && run_lab({"revive-node", "1"}) != 0) return false;
    // Fail-back: node1's VIP home again, and every daemon idle.
    return lab::wait_until([] { return holds_address(supervisor(1), vip_of(1)); }, 60000ms, 50ms);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: failover BUILD_DIR [--runs K] [--scenarios kill,hang,node-loss] [--keep-lab]\n");
        return 2;
    }
    int runs = 10;
    std::string scenarios = "kill,hang,node-loss";
    bool keep = false;
    bool demo = false;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
        else if (a == "--scenarios" && i + 1 < argc) scenarios = argv[++i];
        else if (a == "--keep-lab") keep = true;
        else if (a == "--demo") demo = true;
        else {
            std::fprintf(stderr, "failover: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    char exe[4096] = {};
    if (::readlink("/proc/self/exe", exe, sizeof exe - 1) <= 0) return 1;
    g_repo = std::string(argv[1]) + "/..";
    if (const char* d = std::getenv("GANESHA_LAB_DIR")) g_lab = d;
    std::srand(static_cast<unsigned>(now_ns()));

    const bool was_up = std::ifstream(g_lab + "/nodes").good();
    if (!was_up && run_lab({"up", "3"}, 180s) != 0) return 1;
    int failures = 0;
    if (demo) {
        auto show = [] {
            auto r = lab::run_capture({g_repo + "/lab/ganesha-lab", "status"}, 20s);
            std::printf("%s\n", r.out.c_str());
        };
        std::printf("\n== a 3-node cluster: corosync + pacemaker + ganesha.nfsd + ganesha-had per node\n");
        show();
        std::printf("== SIGKILL ganesha.nfsd on node1; a client keeps calling RPC NULL through node1's VIP\n");
        ClientProbe probe(vip_of(1));
        auto r = one_run("kill", probe);
        if (!r || !r->invariant) ++failures;
        else
            std::printf("   fault +%.0f ms detected (pidfd) | +%.0f ms both survivors in grace | +%.0f ms VIP up on "
                        "its new node | +%.0f ms client answered through the VIP\n",
                        r->detection, r->detection + r->grace, r->detection + r->vip, r->client);
        show();
        std::printf("== ganesha.nfsd restarted on node1: the VIP fails back\n");
        const long long t = now_ns();
        if (!restore("kill")) ++failures;
        else std::printf("   VIP home again %.1f s after the restart\n", static_cast<double>(now_ns() - t) / 1e9);
        show();
        if (!was_up && !keep) run_lab({"down"});
        std::printf("%s\n", failures == 0 ? "demo: every step happened in time" : "demo: FAILED");
        return failures == 0 ? 0 : 1;
    }
    {
        ClientProbe probe(vip_of(1));
        std::istringstream list(scenarios);
        std::vector<std::pair<std::string, std::vector<Run>>> results;
        for (std::string scenario; std::getline(list, scenario, ',');) {
            std::printf("%s, %d runs\n", scenario.c_str(), runs);
            std::vector<Run> done;
            for (int i = 0; i < runs; ++i) {
                auto r = one_run(scenario, probe);
                if (r) done.push_back(*r);
                else ++failures;
                if (!restore(scenario)) {
                    std::fprintf(stderr, "failover: could not restore the lab after %s\n", scenario.c_str());
                    ++failures;
                    break;
                }
            }
            results.emplace_back(scenario, done);
        }
        std::printf("\n%-10s %-34s %9s %9s %9s\n", "scenario", "figure (ms)", "p50", "p95", "max");
        for (const auto& [scenario, done] : results) {
            Series d, g, v, c;
            int kept = 0;
            for (const auto& r : done) {
                d.add(r.detection), v.add(r.vip), c.add(r.client);
                if (r.grace >= 0) g.add(r.grace);
                kept += r.invariant;
            }
            auto row = [&](const char* what, const Series& s) {
                std::printf("%-10s %-34s %9.1f %9.1f %9.1f\n", scenario.c_str(), what, s.pct(50), s.pct(95), s.max());
            };
            row("fault -> detected", d);
            row("detected -> grace on all survivors", g);
            row("detected -> VIP up on new node", v);
            row("fault -> client served via VIP", c);
            std::printf("%-10s %-34s %d of %zu runs\n", scenario.c_str(), "survivors in grace before VIP", kept, done.size());
            if (kept != static_cast<int>(done.size())) ++failures;
        }
    }
    if (!was_up && !keep) run_lab({"down"});
    return failures == 0 ? 0 : 1;
}

// Benchmark driver: a real ganesha.nfsd (MEM FSAL, loopback, private bus)
// watched by a real ganesha-had with its DEFAULT monitor settings. Prints:
//   kill detection   SIGKILL -> pid monitor transition (daemon's monotonic stamp)
//   hang detection   SIGSTOP -> rpc-null and dbus-heartbeat monitor transitions
//   control round trip, in-process client and the ganesha-hactl process
//   daemon RSS and CPU while idle-monitoring
// Usage: detection BUILD_DIR [--kills N] [--hangs N] [--idle-seconds S] [--demo]
// --demo narrates one kill and one hang instead (used by scripts/demo).
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ctl/control_client.hpp"
#include "tests/support/ganesha_lab.hpp"
#include "tests/support/proc_stats.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
namespace lab = gha::lab;

namespace {

using gha::lab::monotonic_ns;

struct Stats {
    std::vector<double> v;
    double pct(double p) {
        if (v.empty()) return 0;
        std::sort(v.begin(), v.end());
        const auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
        return v[std::min(i, v.size() - 1)];
    }
    double max() { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }
};

class Bench {
public:
    Bench(std::string bin, bool narrate) : bin_(std::move(bin)), narrate_(narrate) {
        dbus_.emplace(dir_.path());
        const lab::GaneshaOptions g = lab::ganesha_on_bus(dir_.file("nfsd"), 20649, *dbus_);
        ganesha_.emplace(g);
        say("starting ganesha.nfsd (MEM FSAL) on 127.0.0.1:" + std::to_string(g.port));
        ganesha_->start();
        socket_ = dir_.file("hactl.sock");
        const std::string config = dir_.file("ganesha-ha.conf");
        // Default monitor timings: what an operator gets without tuning.
        lab::write_file(config, std::string(lab::kHostNetworkClients) + "HA_NAME=bench\nHA_CLUSTER_NODES=\"node1,node2\"\n"
                                "VIP_node1=192.0.2.1\nVIP_node2=192.0.2.2\n"
                                "HA_NFSD_PIDFILE=" + ganesha_->pidfile() + "\n"
                                "HA_NFSD_ADDRESS=127.0.0.1:" + std::to_string(g.port) + "\n");
        say("starting ganesha-had (default monitor settings)");
        // On ganesha's bus, as on a real node: dbus-heartbeat listens there.
        had_.emplace(bin_, config, "node1", socket_, lab::Env{{"DBUS_SYSTEM_BUS_ADDRESS", dbus_->address()}});
        had_->start();
        wait_ocf(0, 10s);
    }

    json call(const std::string& command, json args = json::object()) {
        gha::control::ClientError e;
        auto r = gha::control::call(socket_, {command, std::move(args)}, 5000ms, e);
        if (e.kind != gha::control::ClientError::none) throw std::runtime_error(e.text);
        return r;
    }
    void wait_ocf(int code, std::chrono::milliseconds deadline) {
        if (!lab::wait_until([&] { return call("monitor")["arguments"]["ocf"] == code; }, deadline, 5ms))
            throw std::runtime_error("verdict did not become " + std::to_string(code) + ": " + call("status").dump());
    }
    std::uint64_t last_event() { return call("status")["arguments"]["last_event"]; }
    json wait_event(const std::string& monitor, const std::string& to, std::uint64_t after) {
        json found;
        lab::wait_until(
            [&] {
                const json events = call("events", {{"since", after}});  // the loop refers into it
                for (const auto& e : events["arguments"]["events"])
                    if (e["type"] == "monitor" && e["subject"] == monitor && e["fields"]["to"] == to) {
                        found = e;
                        return true;
                    }
                return false;
            },
            15s, 2ms);
        if (found.is_null()) throw std::runtime_error("no " + monitor + " -> " + to + " event");
        return found;
    }

    // Fault -> transition, in ms, from the daemon's own monotonic timestamp.
    double kill_once() {
        const auto after = last_event();
        const long long t0 = monotonic_ns();
        ganesha_->kill(SIGKILL);
        const json e = wait_event("pid", "unhealthy", after);
        const double ms = static_cast<double>(e["monotonic_ns"].get<long long>() - t0) / 1e6;
        say("  SIGKILL -> '" + e["message"].get<std::string>() + "' after " + fmt(ms) + " ms");
        ganesha_->wait_exited(5s);
        ganesha_->restart();
        const auto up = wait_event("pid", "healthy", after);
        wait_ocf(0, 10s);
        say("  restarted -> healthy again: " + up["message"].get<std::string>());
        return ms;
    }
    // SIGSTOP -> rpc-null unhealthy, in ms; heartbeat_ms gets SIGSTOP ->
    // dbus-heartbeat unhealthy.
    double hang_once(double& heartbeat_ms) {
        // Right after the verdict turned healthy a probe has just succeeded:
        // stopping now would always hit the worst phase. Spread the fault
        // over a whole probe interval instead.
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 999)(rng_)));
        const auto after = last_event();
        const long long t0 = monotonic_ns();
        ganesha_->kill(SIGSTOP);
        const json e = wait_event("rpc-null", "unhealthy", after);
        const double ms = static_cast<double>(e["monotonic_ns"].get<long long>() - t0) / 1e6;
        say("  SIGSTOP -> '" + e["message"].get<std::string>() + "' after " + fmt(ms) + " ms");
        const json hb = wait_event("dbus-heartbeat", "unhealthy", after);
        heartbeat_ms = static_cast<double>(hb["monotonic_ns"].get<long long>() - t0) / 1e6;
        say("  SIGSTOP -> dbus-heartbeat '" + hb["message"].get<std::string>() + "' after " + fmt(heartbeat_ms) + " ms");
        ganesha_->kill(SIGCONT);
        const auto up = wait_event("rpc-null", "healthy", after);
        const double back = static_cast<double>(up["monotonic_ns"].get<long long>() - t0) / 1e6 - ms;
        say("  SIGCONT -> healthy again " + fmt(back) + " ms later (rise)");
        wait_ocf(0, 10s);
        return ms;
    }

    void round_trips(int n, Stats& in_process, Stats& cli, double& per_second) {
        for (int i = 0; i < 50; ++i) call("status");  // warm up
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < n; ++i) {
            const auto t = std::chrono::steady_clock::now();
            call("status");
            in_process.v.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
        }
        per_second = n / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        for (int i = 0; i < std::max(20, n / 20); ++i) {
            const auto t = std::chrono::steady_clock::now();
            auto r = lab::run_cli(bin_, socket_, {"status"}, 5s);
            if (r.exit_code != 0) throw std::runtime_error("ganesha-hactl status failed: " + r.err);
            cli.v.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
        }
    }

    // RSS (KiB) now, and CPU % of one core over `seconds` of idle monitoring.
    void footprint(int seconds, long& rss_kib, long& peak_kib, double& cpu_percent) {
        const pid_t pid = had_->pid();
        const double before = lab::cpu_seconds(pid);
        const auto t0 = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(std::chrono::seconds(seconds));  // measuring idle time is the point
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        cpu_percent = 100.0 * (lab::cpu_seconds(pid) - before) / wall;
        const lab::Memory m = lab::memory(pid);
        rss_kib = m.rss_kib;
        peak_kib = m.peak_kib;
    }

    void show_status() {
        auto r = lab::run_cli(bin_, socket_, {"status"}, 5s);
        std::printf("%s", r.out.c_str());
    }

    static std::string fmt(double v) {
        char b[32];
        std::snprintf(b, sizeof b, "%.1f", v);
        return b;
    }
    void say(const std::string& s) {
        if (narrate_) std::printf("%s\n", s.c_str()), std::fflush(stdout);
    }

private:
    std::string bin_;
    bool narrate_;
    lab::TempDir dir_;
    std::optional<lab::DbusDaemon> dbus_;
    std::optional<lab::Ganesha> ganesha_;
    std::optional<lab::Had> had_;
    std::string socket_;
    std::mt19937 rng_{std::random_device{}()};
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: detection BUILD_DIR [--kills N] [--hangs N] [--requests N] [--idle-seconds S] [--demo]\n");
        return 2;
    }
    int kills = 20, hangs = 10, requests = 2000, idle = 60;
    bool demo = false;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
        if (a == "--kills") kills = next();
        else if (a == "--hangs") hangs = next();
        else if (a == "--requests") requests = next();
        else if (a == "--idle-seconds") idle = next();
        else if (a == "--demo") demo = true;
        else {
            std::fprintf(stderr, "detection: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    try {
        Bench bench(argv[1], true);
        if (demo) {
            bench.show_status();
            std::printf("\n== ganesha.nfsd killed (SIGKILL)\n");
            bench.kill_once();
            std::printf("\n== ganesha.nfsd hung (SIGSTOP): only the RPC deadline can tell\n");
            double heartbeat_ms = 0;
            bench.hang_once(heartbeat_ms);
            std::printf("\n");
            bench.show_status();
            std::printf("\nThe multi-node failover (grace, VIP move) arrives with the lab.\n");
            return 0;
        }
        Stats kill, hang, heartbeat, rt, cli;
        double rps = 0;
        std::printf("kill detection, %d runs\n", kills);
        for (int i = 0; i < kills; ++i) kill.v.push_back(bench.kill_once());
        std::printf("hang detection, %d runs\n", hangs);
        for (int i = 0; i < hangs; ++i) {
            double heartbeat_ms = 0;
            hang.v.push_back(bench.hang_once(heartbeat_ms));
            heartbeat.v.push_back(heartbeat_ms);
        }
        bench.round_trips(requests, rt, cli, rps);
        long rss = 0, peak = 0;
        double cpu = 0;
        std::printf("idle footprint over %d s\n", idle);
        bench.footprint(idle, rss, peak, cpu);

        std::printf("\n%-44s %9s %9s %9s\n", "figure (ms unless stated)", "p50", "p99", "max");
        std::printf("%-44s %9.2f %9.2f %9.2f\n", ("SIGKILL -> unhealthy (pidfd), n=" + std::to_string(kills)).c_str(),
                    kill.pct(50), kill.pct(99), kill.max());
        std::printf("%-44s %9.1f %9.1f %9.1f\n", ("SIGSTOP -> unhealthy (rpc-null), n=" + std::to_string(hangs)).c_str(),
                    hang.pct(50), hang.pct(99), hang.max());
        std::printf("%-44s %9.1f %9.1f %9.1f\n",
                    ("SIGSTOP -> unhealthy (dbus-heartbeat), n=" + std::to_string(hangs)).c_str(), heartbeat.pct(50),
                    heartbeat.pct(99), heartbeat.max());
        std::printf("%-44s %9.3f %9.3f %9.3f\n", "status round trip, in-process client", rt.pct(50), rt.pct(99), rt.max());
        std::printf("%-44s %9.2f %9.2f %9.2f\n", "status round trip, ganesha-hactl process", cli.pct(50), cli.pct(99),
                    cli.max());
        std::printf("%-44s %9.0f\n", "status requests/s (one client, serial)", rps);
        std::printf("%-44s %9ld KiB (peak %ld KiB)\n", "daemon RSS, idle", rss, peak);
        std::printf("%-44s %9.3f %%\n", ("daemon CPU, idle " + std::to_string(idle) + " s").c_str(), cpu);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "detection: %s\n", e.what());
        return 1;
    }
    return 0;
}

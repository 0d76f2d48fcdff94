// Benchmark driver for the peer heartbeats (monitors/heartbeat_codec.hpp,
// monitors/peer_heartbeats.hpp). Prints:
//   codec         datagrams one core decodes and verifies per second
//                 (HeartbeatCodec::decode with the real libsodium MAC), also
//                 forged ones (rejected at the MAC) and encodes
//   socket path   datagrams the real PeerHeartbeats accepts per second of its
//                 loop thread's CPU, fed over loopback UDP by another thread
//   daemon        a real ganesha-had (default settings, on a real ganesha.nfsd
//                 with a private bus) with heartbeats off and with N simulated
//                 peers: this process sends each peer's authenticated heartbeat
//                 every 500 ms (the default interval) from 127.0.1.K to the
//                 daemon on 127.0.0.1; once `peers` says every one is up, the
//                 daemon's CPU (utime+stime, % of one core) and RSS over S s
// Only 127.0.0.0/8 is used; only processes this driver started are stopped.
// Usage: heartbeat BUILD_DIR [--seconds S] [--peers N,N,...]   (default 20, 16,64)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <asio/post.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ctl/control_client.hpp"
#include "monitors/asio_clock.hpp"
#include "monitors/heartbeat_codec.hpp"
#include "monitors/peer_heartbeats.hpp"
#include "service/config.hpp"
#include "tests/support/ganesha_lab.hpp"
#include "tests/support/proc_stats.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
namespace lab = gha::lab;

namespace {

constexpr const char* kCluster = "hbbench";
constexpr auto kInterval = 500ms;  // HA_MONITOR_PEER's default

double thread_cpu_seconds(clockid_t clock = CLOCK_THREAD_CPUTIME_ID) {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string peer_name(int k) { return "peer" + std::to_string(k); }

gha::Heartbeat heartbeat_of(int k, std::uint64_t sequence) {
    gha::Heartbeat hb;
    hb.cluster = kCluster;
    hb.node = peer_name(k);
    hb.incarnation = 0x5eed0000u + static_cast<std::uint64_t>(k);
    hb.sequence = sequence;
    hb.nfsd = gha::NfsdState::healthy;
    return hb;
}

// A UDP socket bound to host:port (port 0: any), or throws.
int udp_socket(const std::string& host, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        const int e = errno;
        ::close(fd);
        throw std::system_error(e, std::generic_category(), "bind " + host + ":" + std::to_string(port));
    }
    return fd;
}

sockaddr_in ipv4(const std::string& host, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    return a;
}

bool send_to(int fd, const std::vector<std::uint8_t>& datagram, const sockaddr_in& to) {
    return ::sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
           static_cast<ssize_t>(datagram.size());
}

// ---------------------------------------------------------------- codec

void codec_rates(int peers) {
    const gha::HeartbeatCodec codec(kCluster, gha::HeartbeatKey::generate());
    constexpr int kPerPeer = 2000;
    std::vector<std::vector<std::uint8_t>> datagrams;
    datagrams.reserve(static_cast<std::size_t>(peers * kPerPeer));
    const double encode_start = thread_cpu_seconds();
    for (int seq = 1; seq <= kPerPeer; ++seq)
        for (int k = 1; k <= peers; ++k) datagrams.push_back(codec.encode(heartbeat_of(k, static_cast<std::uint64_t>(seq))));
    const double encode_rate = static_cast<double>(datagrams.size()) / (thread_cpu_seconds() - encode_start);

    const auto rate = [&](const std::vector<std::vector<std::uint8_t>>& input, std::size_t& accepted) {
        accepted = 0;
        std::size_t decoded = 0;
        const double start = thread_cpu_seconds();
        while (thread_cpu_seconds() - start < 1.0) {  // whole passes, fresh replay windows each
            std::map<std::string, gha::ReplayWindow, std::less<>> windows;
            for (int k = 1; k <= peers; ++k) windows[peer_name(k)];
            const auto lookup = [&](std::string_view node) -> gha::ReplayWindow* {
                auto it = windows.find(node);
                return it == windows.end() ? nullptr : &it->second;
            };
            for (const auto& d : input)
                if (codec.decode(d, lookup)) ++accepted;
            decoded += input.size();
        }
        return static_cast<double>(decoded) / (thread_cpu_seconds() - start);
    };
    std::size_t accepted = 0;
    const double decode_rate = rate(datagrams, accepted);
    if (accepted == 0) throw std::runtime_error("codec: nothing accepted");
    auto forged = datagrams;
    for (auto& d : forged) d.back() ^= 0x01;  // the MAC's last byte
    const double forged_rate = rate(forged, accepted);
    if (accepted != 0) throw std::runtime_error("codec: a forged datagram was accepted");

    std::printf("codec (one core, %zu-byte datagrams, %d senders):\n", datagrams.front().size(), peers);
    std::printf("  %-52s %12.0f /s\n", "decode + verify, accepted", decode_rate);
    std::printf("  %-52s %12.0f /s\n", "decode + verify, forged (rejected at the MAC)", forged_rate);
    std::printf("  %-52s %12.0f /s\n", "encode + MAC", encode_rate);
}

// ---------------------------------------------------------------- socket path

// The real PeerHeartbeats on its own loop thread; this thread encodes and
// sends as fast as it can. Per-datagram cost = the loop thread's CPU time /
// datagrams accepted, whatever the sender's pace.
void socket_path_rate(int peers, double seconds) {
    const gha::HeartbeatKey key = gha::HeartbeatKey::generate();
    const int sink = udp_socket("127.0.0.1", 0);  // where its own heartbeats go; never read
    sockaddr_in sink_address{};
    socklen_t length = sizeof sink_address;
    ::getsockname(sink, reinterpret_cast<sockaddr*>(&sink_address), &length);

    asio::io_context io;
    gha::AsioClock clock(io);
    gha::PeerHeartbeatOptions options;
    options.cluster = kCluster;
    options.self = "node0";
    options.bind_address = "127.0.0.1";
    options.port = 0;
    options.settings = gha::HeartbeatConfig{}.settings;
    for (int k = 1; k <= peers; ++k) options.peers.push_back({peer_name(k), "127.0.0.1", ntohs(sink_address.sin_port)});
    auto receiver = std::make_shared<gha::PeerHeartbeats>(io, clock, options, key, gha::PeerHeartbeats::Callbacks{});
    receiver->start();
    const auto to = ipv4("127.0.0.1", receiver->local_endpoint().port());
    std::thread loop([&] { io.run(); });
    clockid_t loop_clock{};
    ::pthread_getcpuclockid(loop.native_handle(), &loop_clock);

    const gha::HeartbeatCodec codec(kCluster, key);
    const int out = udp_socket("127.0.0.1", 0);
    std::uint64_t sent = 0;
    const double cpu_before = thread_cpu_seconds(loop_clock);
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (std::uint64_t seq = 1; std::chrono::steady_clock::now() < until; ++seq)
        for (int k = 1; k <= peers; ++k)
            if (send_to(out, codec.encode(heartbeat_of(k, seq)), to)) ++sent;
    // Let the loop take what is queued; it is idle (no CPU) once done.
    std::this_thread::sleep_for(300ms);
    const double cpu = thread_cpu_seconds(loop_clock) - cpu_before;

    std::uint64_t accepted = 0, dropped = 0;
    asio::post(io, [&] {
        for (const auto& p : receiver->peers()) accepted += p.received;
        for (const auto n : receiver->drops()) dropped += n;
        receiver->stop();
        io.stop();
    });
    loop.join();
    ::close(out);
    ::close(sink);
    std::printf("socket path (real PeerHeartbeats on loopback UDP, %d senders, %.0f s):\n", peers, seconds);
    std::printf("  %-52s %12llu\n", "sent", static_cast<unsigned long long>(sent));
    std::printf("  %-52s %12llu (the rest: socket buffer full, or replays %llu)\n", "accepted",
                static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(dropped));
    std::printf("  %-52s %12.2f s\n", "loop thread CPU", cpu);
    std::printf("  %-52s %12.0f /s\n", "accepted per second of loop CPU (one core)",
                static_cast<double>(accepted) / cpu);
}

// ---------------------------------------------------------------- daemon

struct Footprint {
    int peers = 0;
    double cpu_percent = 0;
    lab::Memory memory;
    int up = 0;
    std::uint64_t received = 0, dropped = 0;
    // `ganesha-hactl peers` as printed: its one-line count, its lines, the
    // widest row of its table.
    std::string table_summary;
    std::size_t table_lines = 0, table_width = 0;
};

// One ganesha.nfsd and one private bus for every daemon run.
class DaemonBench {
public:
    explicit DaemonBench(std::string bin) : bin_(std::move(bin)) {
        dbus_.emplace(dir_.path());
        ganesha_.emplace(lab::ganesha_on_bus(dir_.file("nfsd"), 20749, *dbus_));
        ganesha_->start();
        key_path_ = dir_.file("heartbeat.key");
        key_.save(key_path_, false);  // mode 0600
    }

    // peers == 0: heartbeats off (no key): the baseline.
    Footprint run(int peers, double seconds) {
        const std::string socket = dir_.file("hactl-" + std::to_string(peers) + ".sock");
        const std::string config = dir_.file("ganesha-ha-" + std::to_string(peers) + ".conf");
        const std::uint16_t port = lab::port_for("heartbeat-bench", 47000, 1000);
        lab::write_file(config, config_text(peers, port));
        lab::Had had(bin_, config, "node0", socket, {{"DBUS_SYSTEM_BUS_ADDRESS", dbus_->address()}});
        had.start();
        wait([&] { return call(socket, "monitor")["arguments"]["ocf"] == 0; }, 10s, "nfsd healthy");

        std::atomic<bool> stop{false};
        std::thread sender;
        if (peers > 0) sender = std::thread([&] { send_heartbeats(peers, port, stop); });
        Footprint f;
        f.peers = peers;
        try {
            if (peers > 0) wait([&] { return peers_up(socket) == peers; }, 15s, "every peer up");
            const double before = lab::cpu_seconds(had.pid());
            const auto t0 = std::chrono::steady_clock::now();
            std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // measuring is the point
            const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            f.cpu_percent = 100.0 * (lab::cpu_seconds(had.pid()) - before) / wall;
            f.memory = lab::memory(had.pid());
            if (peers > 0) {
                const json a = call(socket, "peers")["arguments"];
                for (const auto& p : a["peers"]) {
                    f.up += p["state"] == "up";
                    f.received += p["received"].get<std::uint64_t>();
                }
                for (const auto& [reason, n] : a["drops"].items()) f.dropped += n.get<std::uint64_t>();
                const auto cli = lab::run_cli(bin_, socket, {"peers"}, 5s);
                if (cli.exit_code != 0) throw std::runtime_error("ganesha-hactl peers: " + cli.err);
                std::istringstream lines(cli.out);
                bool rows = false;
                for (std::string line; std::getline(lines, line);) {
                    ++f.table_lines;
                    rows = rows || line.rfind("PEER ", 0) == 0;
                    if (rows) f.table_width = std::max(f.table_width, line.size());
                    if (line.rfind("peers ", 0) == 0) f.table_summary = line;
                }
            }
        } catch (...) {
            stop = true;
            if (sender.joinable()) sender.join();
            throw;
        }
        stop = true;
        if (sender.joinable()) sender.join();
        return f;
    }

private:
    std::string config_text(int peers, std::uint16_t port) const {
        std::string nodes = "node0", vips = "VIP_node0=192.0.2.1\n", addrs;
        for (int k = 1; k <= peers; ++k) {
            nodes += "," + peer_name(k);
            vips += "VIP_" + peer_name(k) + "=192.0.2." + std::to_string(k + 1) + "\n";
            addrs += "HA_PEER_ADDR_" + peer_name(k) + "=127.0.1." + std::to_string(k) + "\n";
        }
        std::string text = std::string(lab::kHostNetworkClients) + "HA_NAME=" + kCluster + "\nHA_CLUSTER_NODES=\"" + nodes + "\"\n" + vips +
                           "HA_NFSD_PIDFILE=" + ganesha_->pidfile() + "\n" +
                           "HA_NFSD_ADDRESS=127.0.0.1:" + std::to_string(ganesha_->port()) + "\n" +
                           "HA_METRICS_LISTEN=127.0.0.1:" + std::to_string(lab::port_for("heartbeat-bench-metrics", 11000, 1000)) + "\n";
        if (peers > 0)
            text += "HA_HEARTBEAT_KEY=" + key_path_ + "\nHA_HEARTBEAT_PORT=" + std::to_string(port) +
                    "\nHA_PEER_ADDR_node0=127.0.0.1\n" + addrs;
        return text;
    }

    // Each simulated peer sends from its own address, on its own phase of
    // the interval (real peers' timers are independent), and what the
    // daemon sends it is read and thrown away.
    void send_heartbeats(int peers, std::uint16_t port, const std::atomic<bool>& stop) {
        const gha::HeartbeatCodec codec(kCluster, key_);
        std::vector<int> fds;
        for (int k = 1; k <= peers; ++k) fds.push_back(udp_socket("127.0.1." + std::to_string(k), port));
        const auto daemon = ipv4("127.0.0.1", port);
        const auto slot = std::chrono::duration_cast<std::chrono::steady_clock::duration>(kInterval) / peers;
        auto next = std::chrono::steady_clock::now();
        std::uint8_t scratch[gha::kMaxHeartbeatBytes + 1];
        for (std::uint64_t seq = 1; !stop; ++seq) {
            for (int k = 1; k <= peers && !stop; ++k) {
                const int fd = fds[static_cast<std::size_t>(k - 1)];
                send_to(fd, codec.encode(heartbeat_of(k, seq)), daemon);
                while (::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0) {
                }
                next += slot;
                std::this_thread::sleep_until(next);  // pacing, not waiting for a condition
            }
        }
        for (const int fd : fds) ::close(fd);
    }

    static json call(const std::string& socket, const std::string& command) {
        gha::control::ClientError e;
        auto r = gha::control::call(socket, {command, json::object()}, 5000ms, e);
        if (e.kind != gha::control::ClientError::none) throw std::runtime_error(command + ": " + e.text);
        return r;
    }
    static int peers_up(const std::string& socket) {
        int up = 0;
        const json answer = call(socket, "peers");  // the loop below refers into it
        for (const auto& p : answer["arguments"]["peers"]) up += p["state"] == "up";
        return up;
    }
    static void wait(const std::function<bool()>& cond, std::chrono::milliseconds deadline, const std::string& what) {
        if (!lab::wait_until(cond, deadline, 20ms)) throw std::runtime_error("timed out waiting for " + what);
    }

    std::string bin_;
    lab::TempDir dir_;
    std::optional<lab::DbusDaemon> dbus_;
    std::optional<lab::Ganesha> ganesha_;
    gha::HeartbeatKey key_ = gha::HeartbeatKey::generate();
    std::string key_path_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: heartbeat BUILD_DIR [--seconds S] [--peers N,N,...]\n");
        return 2;
    }
    double seconds = 20;
    std::vector<int> peer_counts{16, 64};
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--seconds" && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else if (a == "--peers" && i + 1 < argc) {
            peer_counts.clear();
            for (const char* p = argv[++i]; *p;) {
                char* end = nullptr;
                peer_counts.push_back(static_cast<int>(std::strtol(p, &end, 10)));
                p = *end == ',' ? end + 1 : end;
            }
        } else {
            std::fprintf(stderr, "heartbeat: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    for (const int n : peer_counts)
        if (n < 1 || n > 64) {
            std::fprintf(stderr, "heartbeat: --peers takes 1..64 (HA_CLUSTER_NODES holds at most 65 nodes)\n");
            return 2;
        }
    try {
        codec_rates(64);
        socket_path_rate(64, 3);
        DaemonBench bench(argv[1]);
        std::vector<Footprint> results{bench.run(0, seconds)};
        for (const int n : peer_counts) results.push_back(bench.run(n, seconds));
        std::printf("ganesha-had, default settings, heartbeats every 500 ms from each simulated peer, %.0f s each:\n",
                    seconds);
        std::printf("  %-14s %10s %10s %10s %8s %10s %8s\n", "peers", "CPU %", "RSS KiB", "peak KiB", "up",
                    "received", "drops");
        for (const auto& f : results)
            std::printf("  %-14s %10.3f %10ld %10ld %8d %10llu %8llu\n",
                        f.peers == 0 ? "0 (hb off)" : std::to_string(f.peers).c_str(), f.cpu_percent,
                        f.memory.rss_kib, f.memory.peak_kib, f.up, static_cast<unsigned long long>(f.received),
                        static_cast<unsigned long long>(f.dropped));
        for (const auto& f : results)
            if (f.peers > 0)
                std::printf("  `ganesha-hactl peers` with %d peers: %zu lines, table rows up to %zu characters; %s\n", f.peers,
                            f.table_lines, f.table_width, f.table_summary.c_str());
        for (const auto& f : results)
            if (f.peers > 0 && f.up != f.peers) {
                std::fprintf(stderr, "heartbeat: only %d of %d peers up at the end\n", f.up, f.peers);
                return 1;
            }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "heartbeat: %s\n", e.what());
        return 1;
    }
    return 0;
}

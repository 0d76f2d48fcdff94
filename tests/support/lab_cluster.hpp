// Driving a lab started by lab/ganesha-lab from C++ (bench/failover and the
// lab scenario tests): the lab script's commands, each node's daemon through
// its control socket, where each VIP lives (read from the node's own network
// namespace, not through the lab script, so polls cost microseconds), and a
// client in the client namespace.
//
// Times are CLOCK_MONOTONIC ns (lab::monotonic_ns), the clock the daemons
// stamp their events with, so a fault injected here and a daemon's reaction
// compare directly.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gha::lab {

class LabCluster {
public:
    // repo: the source tree (lab/ganesha-lab); build: its build directory.
    LabCluster(std::string repo, std::string build);

    const std::string& dir() const { return dir_; }
    const std::string& build() const { return build_; }  // whose binaries the lab runs
    std::string script() const { return repo_ + "/lab/ganesha-lab"; }
    int nodes() const;  // from the lab's state; 0 when no lab is up

    // `ganesha-lab ARGS…`; its exit code (output goes to stderr on failure).
    int run(const std::vector<std::string>& args, std::chrono::milliseconds deadline = std::chrono::seconds(120)) const;

    std::string socket_of(int node) const;
    static std::string vip_of(int node);  // node I's VIP: 192.168.77.(100+I)
    pid_t supervisor(int node) const;     // 0 when unknown
    pid_t pid_of(int node, const std::string& what) const;  // nfsd, had, dbus, corosync…

    // A control-socket request to node's daemon; null on any failure.
    nlohmann::json call(int node, const std::string& command, nlohmann::json arguments = nlohmann::json::object(),
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) const;
    std::uint64_t last_event(int node) const;
    nlohmann::json events(int node, std::uint64_t since) const;
    // The monotonic stamp of the first event on node after `since` matching pred.
    std::optional<long long> first_event(int node, std::uint64_t since,
                                         const std::function<bool(const nlohmann::json&)>& pred) const;
    // Whether node's daemon currently sees `peer` up (its heartbeats arriving).
    bool sees_peer_up(int node, int peer) const;

    // Which live node holds `vip` on one of its interfaces (0: none). -1 when
    // two do: a duplicate address, which must never happen.
    int owner_of(const std::string& vip) const;
    // Waits until `vip` is on `node`; the monotonic time it was first seen.
    std::optional<long long> wait_owner(const std::string& vip, int node, std::chrono::milliseconds deadline) const;
    // Whether node's ganesha is in grace, from its log's last grace line.
    bool in_grace(int node) const;

private:
    std::string repo_, build_, dir_;
};

// A process that exists and is not a zombie (a killed child of PID 1 can
// linger as one for a moment).
bool process_alive(pid_t pid);

// Waits until every thread of `pid` has exited (a pidfd turns readable),
// true if it has by the deadline or the pid is gone. Stricter than
// !process_alive: a multi-threaded process (ganesha.nfsd) is a zombie as
// soon as its main thread exits, while the other threads still hold its
// descriptors, its listening sockets too, for a few milliseconds more.
bool wait_process_exited(pid_t pid, std::chrono::milliseconds deadline);

// Whether `ip` is a local address in the network namespace of process `pid`
// (/proc/PID/net/fib_trie).
bool holds_address(pid_t pid, const std::string& ip);

// An event of the grace pipeline on a survivor: ganesha confirmed in grace
// for `vip`.
bool grace_confirmed_for(const nlohmann::json& event, const std::string& vip);

// One RPC NULL (NFSv4 on 2049) from the client namespace gl-client.
bool client_rpc_null(const std::string& vip, std::chrono::milliseconds timeout = std::chrono::milliseconds(500));

// Calls RPC NULL through `vip` from the client namespace every 10 ms on a
// thread of its own (network namespaces are per thread).
class ClientProbe {
public:
    explicit ClientProbe(std::string vip);
    ~ClientProbe();
    ClientProbe(const ClientProbe&) = delete;
    ClientProbe& operator=(const ClientProbe&) = delete;
    // The first success of a probe started at or after `from`, waiting up to deadline.
    std::optional<long long> served_after(long long from, std::chrono::milliseconds deadline);

private:
    void loop();
    std::string vip_;
    std::atomic<bool> stop_{false};
    std::atomic<long long> from_{0};
    std::atomic<long long> served_{0};
    std::thread thread_;
};

}  // namespace gha::lab

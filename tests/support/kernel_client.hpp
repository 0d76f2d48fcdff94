// The lab's kernel NFSv4.1 client (lab/kernel-client: a User-Mode Linux guest
// on the lab bridge running build/lab/gha-nfs-workload on VIP:/export), for
// the client-state scenarios and bench/failover's kernel-client mode. Times
// from the guest are wall-clock ms (its clock is the host's).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "tests/support/lab_cluster.hpp"

namespace gha::lab {

class KernelClient {
public:
    // Client k (1-50): kck, 192.168.77.(200+k). Nothing runs until start().
    KernelClient(const LabCluster& cluster, int k) : cluster_(cluster), k_(k) {}
    ~KernelClient();  // a client still running is powered off
    KernelClient(const KernelClient&) = delete;
    KernelClient& operator=(const KernelClient&) = delete;

    // What its application does: one locked file written every 10 ms, or
    // (a bystander, issue 11) a new file created, locked, written and closed
    // every 100 ms.
    enum class Mode { lock_and_write, new_files };
    // Boots, mounts vip:/export, takes the lock; false (with why()) on failure.
    bool start(const std::string& vip, Mode mode = Mode::lock_and_write);
    // start() in two steps: boot() brings the guest up to its network and
    // holds it; go() then mounts and takes the lock. A test that needs the
    // client to ask at a given moment (during a grace period) is then not
    // at the mercy of the guest's boot time (seconds, more on a loaded machine).
    bool boot(const std::string& vip, Mode mode = Mode::lock_and_write);
    bool go();
    // Ends the workload and returns its result (null when it left none).
    nlohmann::json stop();
    // Until the workload has completed a write at or after wall_ms.
    bool wait_writing_after(long long wall_ms, std::chrono::milliseconds deadline) const;
    // The guest kernel's log (after stop()); lines about NFS state recovery
    // that went wrong ("lost N locks", reclaim errors), empty when none.
    std::string dmesg() const;
    std::string recovery_failures() const;
    const std::string& why() const { return why_; }
    std::string dir() const;
    std::string data_file() const;  // the workload's file, seen from the host
    std::string address() const { return "192.168.77." + std::to_string(200 + k_); }
    // Until every other node's daemon has this client's connections to `vip`
    // (every one server_node lists now: the ports, not only the address) in
    // server_node's last connection list (`connections`): what the node
    // that takes the VIP tickles. A node shares its list within about a
    // second of a change; a failure sooner after a connection is made finds
    // the client unknown (it then waits for its own timers).
    bool wait_known_by_peers(int server_node, const std::string& vip, std::chrono::milliseconds deadline) const;

private:
    bool run_start(const std::string& command, const std::string& vip, Mode mode);
    std::set<int> ports_in(const nlohmann::json& list, const std::string& vip) const;

    const LabCluster& cluster_;
    int k_;
    std::set<int> stale_ports_;  // its address's connections the servers listed before start()
    bool running_ = false;
    std::string why_;
};

long long wall_ms();

// Whether some process holds a lock on the file on the exported file system
// (the host's view: ganesha holds its clients' locks there). A conflicting
// F_SETLK from this process is refused while one does.
bool backend_lock_held(const std::string& path);

}  // namespace gha::lab

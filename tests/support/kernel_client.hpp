// The lab's kernel NFSv4.1 client (lab/kernel-client: a User-Mode Linux guest
// on the lab bridge running build/lab/gha-nfs-workload on VIP:/export), for
// the client-state scenarios and bench/failover's kernel-client mode. Times
// from the guest are wall-clock ms (its clock is the host's).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
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

    // Boots, mounts vip:/export, takes the lock; false (with why()) on failure.
    bool start(const std::string& vip);
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
    // Until every other node's daemon has this client's connection to `vip`
    // in server_node's last connection list (`connections`): what the node
    // that takes the VIP tickles. A node shares its list within about a
    // second of a change; a failure sooner after a connection is made finds
    // the client unknown (it then waits for its own timers).
    bool wait_known_by_peers(int server_node, const std::string& vip, std::chrono::milliseconds deadline) const;

private:
    const LabCluster& cluster_;
    int k_;
    bool running_ = false;
    std::string why_;
};

long long wall_ms();

// Whether some process holds a lock on the file on the exported file system
// (the host's view: ganesha holds its clients' locks there). A conflicting
// F_SETLK from this process is refused while one does.
bool backend_lock_held(const std::string& path);

}  // namespace gha::lab

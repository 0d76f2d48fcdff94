#include "tests/support/kernel_client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <set>
#include <sstream>

#include "tests/support/ganesha_lab.hpp"

namespace gha::lab {

long long wall_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

KernelClient::~KernelClient() {
    if (running_) cluster_.run({"kernel-client", "kill", std::to_string(k_)}, std::chrono::seconds(20));
}

std::string KernelClient::dir() const { return cluster_.dir() + "/kclient/kc" + std::to_string(k_); }
std::string KernelClient::data_file() const { return cluster_.dir() + "/export/kc" + std::to_string(k_) + ".data"; }

// This client's address's connections to `vip` in a `connections` list.
std::set<int> KernelClient::ports_in(const nlohmann::json& list, const std::string& vip) const {
    std::set<int> ports;
    if (list.is_array())
        for (const auto& c : list)
            if (c.value("vip", "") == vip && c.value("client", "") == address()) ports.insert(c.value("port", 0));
    return ports;
}

bool KernelClient::start(const std::string& vip, Mode mode) { return run_start("start", vip, mode); }
bool KernelClient::boot(const std::string& vip, Mode mode) { return run_start("boot", vip, mode); }

bool KernelClient::run_start(const std::string& command, const std::string& vip, Mode mode) {
    // Connections an earlier boot of a client with this address left
    // ESTABLISHED on the servers (a powered-off guest says no goodbye): not ours.
    stale_ports_.clear();
    for (int n = 1; n <= cluster_.nodes(); ++n) {
        const nlohmann::json r = cluster_.call(n, "connections");
        if (r.is_object() && r.contains("arguments")) {
            const auto local = ports_in(r["arguments"].value("local", nlohmann::json::array()), vip);
            stale_ports_.insert(local.begin(), local.end());
        }
    }
    const auto r = run_capture({cluster_.script(), "kernel-client", command, std::to_string(k_), vip,
                                mode == Mode::new_files ? "new-files" : "lock-and-write"},
                               std::chrono::seconds(90), {{"GANESHA_LAB_BUILD", cluster_.build()}});
    running_ = true;
    if (r.exit_code != 0) why_ = "kernel-client " + command + ": exit " + std::to_string(r.exit_code) + ": " + r.err;
    return r.exit_code == 0;
}

bool KernelClient::go() {
    const auto r = run_capture({cluster_.script(), "kernel-client", "go", std::to_string(k_)},
                               std::chrono::seconds(90), {{"GANESHA_LAB_BUILD", cluster_.build()}});
    if (r.exit_code != 0) why_ = "kernel-client go: exit " + std::to_string(r.exit_code) + ": " + r.err;
    return r.exit_code == 0;
}

nlohmann::json KernelClient::stop() {
    const auto r = run_capture({cluster_.script(), "kernel-client", "stop", std::to_string(k_)},
                               std::chrono::seconds(150), {{"GANESHA_LAB_BUILD", cluster_.build()}});
    running_ = false;
    if (r.exit_code != 0) why_ = "kernel-client stop: exit " + std::to_string(r.exit_code) + ": " + r.err;
    return nlohmann::json::parse(r.out, nullptr, false).is_discarded() ? nlohmann::json()
                                                                        : nlohmann::json::parse(r.out);
}

bool KernelClient::wait_writing_after(long long wall, std::chrono::milliseconds deadline) const {
    return wait_until(
        [&] {
            std::istringstream in(read_file(dir() + "/ctl/progress"));
            long long last = 0;
            return (in >> last) && last >= wall;
        },
        deadline, std::chrono::milliseconds(50));
}

std::string KernelClient::dmesg() const { return read_file(dir() + "/ctl/dmesg"); }

std::string KernelClient::recovery_failures() const {
    std::string out;
    std::istringstream in(dmesg());
    for (std::string line; std::getline(in, line);)
        if (line.find("lost") != std::string::npos || line.find("reclaim") != std::string::npos ||
            line.find("NFS4ERR") != std::string::npos || line.find("state manager") != std::string::npos)
            out += line + "\n";
    return out;
}

bool backend_lock_held(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    const bool refused = ::fcntl(fd, F_SETLK, &fl) != 0 && (errno == EAGAIN || errno == EACCES);
    ::close(fd);  // drops the lock if we got it
    return refused;
}

bool KernelClient::wait_known_by_peers(int server_node, const std::string& vip,
                                       std::chrono::milliseconds deadline) const {
    const std::string server = "node" + std::to_string(server_node);
    // This boot's connection to `vip` as the server lists it (it scans once
    // a second), then the same port in every peer's copy of that list: an
    // address alone would match a connection an earlier boot left behind.
    auto known = [&] {
        const nlohmann::json own = cluster_.call(server_node, "connections");
        if (own.is_null() || !own.contains("arguments")) return false;
        std::set<int> want = ports_in(own["arguments"].value("local", nlohmann::json::array()), vip);
        for (int p : stale_ports_) want.erase(p);
        if (want.empty()) return false;
        for (int n = 1; n <= cluster_.nodes(); ++n) {
            if (n == server_node) continue;
            const nlohmann::json r = cluster_.call(n, "connections");
            if (r.is_null() || !r.contains("arguments")) return false;
            const auto peers = r["arguments"].value("peers", nlohmann::json::object());
            if (!peers.contains(server)) return false;
            const std::set<int> have = ports_in(peers[server], vip);
            if (!std::includes(have.begin(), have.end(), want.begin(), want.end())) return false;
        }
        return true;
    };
    return wait_until(known, deadline);
}

}  // namespace gha::lab

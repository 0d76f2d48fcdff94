#include "tests/support/kernel_client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
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

bool KernelClient::start(const std::string& vip) {
    const auto r = run_capture({cluster_.script(), "kernel-client", "start", std::to_string(k_), vip},
                               std::chrono::seconds(90));
    running_ = true;
    if (r.exit_code != 0) why_ = "kernel-client start: exit " + std::to_string(r.exit_code) + ": " + r.err;
    return r.exit_code == 0;
}

nlohmann::json KernelClient::stop() {
    const auto r = run_capture({cluster_.script(), "kernel-client", "stop", std::to_string(k_)},
                               std::chrono::seconds(150));
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
    auto known = [&] {
        for (int n = 1; n <= cluster_.nodes(); ++n) {
            if (n == server_node) continue;
            const nlohmann::json r = cluster_.call(n, "connections");
            if (r.is_null() || !r.contains("arguments")) return false;
            const auto peers = r["arguments"].value("peers", nlohmann::json::object());
            bool found = false;
            if (peers.contains(server))
                for (const auto& c : peers[server])
                    found = found || (c.value("vip", "") == vip && c.value("client", "") == address());
            if (!found) return false;
        }
        return true;
    };
    return wait_until(known, deadline);
}

}  // namespace gha::lab

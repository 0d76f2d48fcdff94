// Watches ganesha.nfsd through its pid file and a pidfd: the exit (even while
// the process is an unreaped zombie) wakes the loop at once, and each periodic
// probe re-reads the pid file so a restart under a new pid is followed.
#pragma once

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <optional>
#include <string>
#include <vector>

#include "monitors/monitor_session.hpp"

namespace gha {

struct PidMonitorTarget {
    std::vector<std::string> pidfiles;  // tried in order; the first that exists wins
    std::string comm = "ganesha.nfsd";  // /proc/PID/comm must match (pid reuse)
};

class PidMonitor final : public MonitorSession {
public:
    PidMonitor(asio::io_context& io, Clock& clock, const MonitorSettings& settings,
               PidMonitorTarget target, Listener listener);
    ~PidMonitor() override;

    std::optional<int> pid() const { return pid_; }
    // The pidfd of the live process behind pid(), -1 when there is none or
    // it exited: the one handle that cannot name a recycled pid. Borrowed:
    // valid until the next probe, so dup it to keep it.
    int pidfd() const { return pidfd_ && !exited_ ? pidfd_fd_ : -1; }

    // Exposed for unit tests: the content of a pid file, or nullopt.
    static std::optional<int> parse_pid(std::string_view text);

private:
    void start_probe(ProbeId id) override;
    void on_stop() override;

    ProbeResult check();
    ProbeResult watch(int pid);
    void close_pidfd();
    void wait_for_exit();

    asio::io_context& io_;
    PidMonitorTarget target_;
    std::optional<int> pid_;
    std::optional<asio::posix::stream_descriptor> pidfd_;
    int pidfd_fd_ = -1;  // pidfd_'s descriptor (asio's native_handle() is not const)
    bool exited_ = false;
};

}  // namespace gha

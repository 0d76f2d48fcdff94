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
    bool exited_ = false;
};

}  // namespace gha

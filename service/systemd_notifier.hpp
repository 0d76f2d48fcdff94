// sd_notify glue. The watchdog ping is a timer on the daemon's own loop (as
// FRR does it), so a loop that is stuck stops pinging and systemd restarts us.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <string>

namespace gha {

class SystemdNotifier {
public:
    explicit SystemdNotifier(asio::io_context& io);

    void ready(const std::string& status);
    void status(const std::string& status);
    void reloading();  // RELOADING=1 + MONOTONIC_USEC, as systemd 253 expects
    void stopping();
    // Starts pinging at half of WATCHDOG_USEC when the watchdog is enabled for
    // this pid (WATCHDOG_PID honoured by sd_watchdog_enabled).
    void start_watchdog();
    void stop_watchdog();
    std::chrono::microseconds watchdog_interval() const { return interval_; }

private:
    void ping();

    asio::steady_timer timer_;
    std::chrono::microseconds interval_{0};
};

}  // namespace gha

#include "service/systemd_notifier.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

namespace gha {
namespace {

void notify(const std::string& message) { sd_notify(0, message.c_str()); }

std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\n') c = ' ';
    return text;
}

}  // namespace

SystemdNotifier::SystemdNotifier(asio::io_context& io) : timer_(io) {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
        interval_ = std::chrono::microseconds(usec / 2);
}

void SystemdNotifier::ready(const std::string& status) { notify("READY=1\nSTATUS=" + one_line(status)); }

void SystemdNotifier::status(const std::string& status) { notify("STATUS=" + one_line(status)); }

void SystemdNotifier::reloading() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    const auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
                      static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
    notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void SystemdNotifier::stopping() { notify("STOPPING=1"); }

void SystemdNotifier::start_watchdog() {
    if (interval_.count() == 0) return;
    ping();
}

void SystemdNotifier::stop_watchdog() { timer_.cancel(); }

void SystemdNotifier::ping() {
    notify("WATCHDOG=1");
    timer_.expires_after(interval_);
    timer_.async_wait([this](std::error_code ec) {
        if (!ec) ping();  // aborted: the notifier is stopping
    });
}

}  // namespace gha

#include "monitors/pid_monitor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

namespace gha {
namespace {

constexpr std::size_t kMaxPidfileBytes = 64;

int pidfd_open(int pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Reads at most a few bytes: a pid file is tiny, anything else is garbage.
std::optional<std::string> read_small_file(const std::string& path, int& error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        error = errno;
        return std::nullopt;
    }
    char buffer[kMaxPidfileBytes + 1];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    error = n < 0 ? errno : 0;
    ::close(fd);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
}

std::string proc_comm(int pid) {
    int error = 0;
    auto text = read_small_file("/proc/" + std::to_string(pid) + "/comm", error);
    if (!text) return {};
    while (!text->empty() && (text->back() == '\n' || text->back() == '\0')) text->pop_back();
    return *text;
}

}  // namespace

PidMonitor::PidMonitor(asio::io_context& io, Clock& clock, const MonitorSettings& settings,
                       PidMonitorTarget target, Listener listener)
    : MonitorSession("pid", "pid", settings, clock, std::move(listener)),
      io_(io),
      target_(std::move(target)) {}

PidMonitor::~PidMonitor() { close_pidfd(); }

std::optional<int> PidMonitor::parse_pid(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
        text.remove_suffix(1);
    if (text.empty() || text.size() > 10) return std::nullopt;
    int pid = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc{} || end != text.data() + text.size() || pid <= 1) return std::nullopt;
    return pid;
}

void PidMonitor::start_probe(ProbeId id) { complete_probe(id, check()); }

void PidMonitor::on_stop() { close_pidfd(); }

ProbeResult PidMonitor::check() {
    std::string path;
    std::optional<std::string> text;
    int error = ENOENT;
    for (const auto& candidate : target_.pidfiles) {
        text = read_small_file(candidate, error);
        path = candidate;
        if (text || error != ENOENT) break;
    }
    if (!text) {
        close_pidfd();
        pid_.reset();
        if (error == ENOENT) return ProbeResult::down("no-pidfile", "no pid file (" + path + ")");
        return ProbeResult::failed("pidfile-unreadable", path + ": " + std::strerror(error));
    }
    const auto pid = parse_pid(*text);
    if (!pid) {
        close_pidfd();
        pid_.reset();
        return ProbeResult::failed("pidfile-garbage", path + " does not hold a pid");
    }
    // After an exit, look again: the pid may belong to a new ganesha.nfsd.
    if (pid != pid_ || !pidfd_ || exited_) {
        close_pidfd();
        pid_ = pid;
        return watch(*pid);
    }
    return ProbeResult::ok("pid " + std::to_string(*pid));
}

ProbeResult PidMonitor::watch(int pid) {
    const std::string who = "pid " + std::to_string(pid);
    const int fd = pidfd_open(pid);
    if (fd < 0) {
        if (errno == ESRCH) return ProbeResult::down("stale-pidfile", who + " does not exist");
        return ProbeResult::failed("pidfd-error", who + ": pidfd_open: " + std::strerror(errno));
    }
    // Opened before looking at comm: if the pid is recycled after this
    // point, the pidfd still refers to the process we checked.
    const std::string comm = proc_comm(pid);
    if (!target_.comm.empty() && comm != target_.comm) {
        ::close(fd);
        return ProbeResult::down("stale-pidfile", who + " is '" + comm + "', not " + target_.comm);
    }
    pollfd p{fd, POLLIN, 0};
    exited_ = ::poll(&p, 1, 0) > 0;  // readable: already exited (a zombie counts)
    pidfd_.emplace(io_, fd);
    pidfd_fd_ = fd;
    if (exited_) return ProbeResult::down("exited", who + " exited");
    wait_for_exit();
    return ProbeResult::ok(who);
}

void PidMonitor::wait_for_exit() {
    pidfd_->async_wait(asio::posix::stream_descriptor::wait_read,
                       guarded([this, pid = *pid_](std::error_code ec) {
                           if (ec || !pidfd_ || pid_ != pid) return;
                           exited_ = true;
                           report(ProbeResult::down("exited", "pid " + std::to_string(pid) + " exited"));
                       }));
}

void PidMonitor::close_pidfd() {
    if (pidfd_) {
        std::error_code ignored;
        pidfd_->close(ignored);
        pidfd_.reset();
    }
    pidfd_fd_ = -1;
    exited_ = false;
}

}  // namespace gha

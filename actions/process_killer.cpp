#include "actions/process_killer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <asio/posix/stream_descriptor.hpp>
#include <csignal>
#include <cerrno>

namespace gha {
namespace {

int pidfd_send_signal(int pidfd, int sig) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

bool readable_now(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;  // zero timeout: never blocks the loop
}

}  // namespace

struct PidfdKiller::Wait {
    Wait(asio::io_context& io, Clock& c) : fd(io), timer(c.make_timer()), clock(c) {}
    asio::posix::stream_descriptor fd;
    std::unique_ptr<Timer> timer;
    Clock& clock;
    TimePoint signalled{};
    KillDone done;

    void finish(std::error_code error) {
        if (!done) return;
        auto d = std::move(done);
        done = nullptr;
        timer->cancel();
        std::error_code ignored;
        fd.close(ignored);  // the pending wait completes with operation_aborted
        d({error, false, clock.now() - signalled});
    }
};

PidfdKiller::~PidfdKiller() { cancel(); }

void PidfdKiller::cancel() {
    if (!wait_) return;
    wait_->done = nullptr;
    wait_->timer->cancel();
    std::error_code ignored;
    wait_->fd.close(ignored);
    wait_.reset();
}

void PidfdKiller::kill(int pidfd, std::chrono::milliseconds timeout, KillDone done) {
    cancel();
    // A duplicate of the caller's pidfd names the same process and lives as
    // long as this wait, whatever the caller does with its own.
    const int fd = ::fcntl(pidfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return done({std::error_code(errno, std::system_category())});
    if (readable_now(fd)) {
        ::close(fd);
        return done({{}, true, {}});
    }
    if (pidfd_send_signal(fd, SIGKILL) != 0) {
        const int error = errno;
        ::close(fd);
        if (error == ESRCH) return done({{}, true, {}});  // exited (and reaped) in between
        return done({std::error_code(error, std::system_category())});
    }
    auto wait = std::make_shared<Wait>(io_, clock_);
    wait->fd.assign(fd);
    wait->signalled = clock_.now();
    wait->done = std::move(done);
    wait_ = wait;
    std::weak_ptr<Wait> weak = wait;
    wait->fd.async_wait(asio::posix::stream_descriptor::wait_read, [weak](std::error_code ec) {
        if (ec) return;  // operation_aborted: cancelled, timed out or destroyed
        if (auto w = weak.lock()) w->finish({});
    });
    wait->timer->async_wait_for(timeout, [weak](std::error_code ec) {
        if (ec) return;
        if (auto w = weak.lock()) w->finish(std::make_error_code(std::errc::timed_out));
    });
}

}  // namespace gha

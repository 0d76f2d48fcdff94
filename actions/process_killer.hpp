// Kills one process through its pidfd and waits, on the loop, for its exit.
// Never by pid: a pidfd names one process for its whole life, so a pid that
// was recycled after the process was judged is never signalled.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <system_error>

#include "monitors/clock.hpp"

namespace gha {

struct KillResult {
    std::error_code error;      // empty: exit confirmed (or already gone); timed_out; else the errno
    bool already_gone = false;  // it had exited before the signal
    Duration waited{};          // from the signal to the exit (or to giving up)
};

using KillDone = std::function<void(KillResult)>;

class ProcessKiller {
public:
    virtual ~ProcessKiller() = default;
    // `pidfd` is borrowed (the killer keeps a duplicate). `done` is called
    // once, unless cancel() or the killer's destruction comes first. One kill
    // at a time: a new one silently ends the previous wait.
    virtual void kill(int pidfd, std::chrono::milliseconds timeout, KillDone done) = 0;
    virtual void cancel() = 0;
};

// SIGKILL with pidfd_send_signal, then an asio wait for the pidfd to become
// readable (the process exited: a zombie counts), bounded by a timer.
class PidfdKiller final : public ProcessKiller {
public:
    PidfdKiller(asio::io_context& io, Clock& clock) : io_(io), clock_(clock) {}
    ~PidfdKiller() override;
    PidfdKiller(const PidfdKiller&) = delete;
    PidfdKiller& operator=(const PidfdKiller&) = delete;

    void kill(int pidfd, std::chrono::milliseconds timeout, KillDone done) override;
    void cancel() override;

private:
    struct Wait;
    asio::io_context& io_;
    Clock& clock_;
    std::shared_ptr<Wait> wait_;  // the only owner: handlers hold weak references
};

}  // namespace gha

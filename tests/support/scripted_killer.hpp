// A ProcessKiller for unit tests: no process, no signal. Each kill is
// written to `log` ("kill pidfd N") and ends on the fake clock: the exit
// `exit_after` later, or a timeout when exit_after is unset; `gone` answers
// "already gone" at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actions/process_killer.hpp"

namespace gha::test {

class ScriptedKiller final : public ProcessKiller {
public:
    ScriptedKiller(Clock& clock, std::vector<std::string>& log) : clock_(clock), timer_(clock.make_timer()), log_(log) {}

    void kill(int pidfd, std::chrono::milliseconds timeout, KillDone done) override {
        log_.push_back("kill pidfd " + std::to_string(pidfd));
        ++kills;
        if (gone) return done({{}, true, {}});
        const TimePoint start = clock_.now();
        const bool exits = exit_after && *exit_after < timeout;
        timer_->async_wait_for(exits ? *exit_after : timeout, [this, start, exits, done](std::error_code ec) {
            if (ec) return;
            done({exits ? std::error_code{} : std::make_error_code(std::errc::timed_out), false, clock_.now() - start});
        });
    }
    void cancel() override { timer_->cancel(); }

    std::optional<std::chrono::milliseconds> exit_after = std::chrono::milliseconds(30);
    bool gone = false;
    int kills = 0;

private:
    Clock& clock_;
    std::unique_ptr<Timer> timer_;
    std::vector<std::string>& log_;
};

}  // namespace gha::test

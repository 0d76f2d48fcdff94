// Time is injected: the daemon uses AsioClock, unit tests a FakeClock they
// advance by hand, so no test sleeps to make a timer fire.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <system_error>

namespace gha {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = SteadyClock::duration;
using TimerHandler = std::function<void(std::error_code)>;

// One-shot timer. Re-arming or cancelling completes a pending wait with
// asio::error::operation_aborted, never silently drops it. Destroying the
// timer aborts its wait too: handlers must not assume their owner is alive.
class Timer {
public:
    virtual ~Timer() = default;
    virtual void async_wait_for(Duration delay, TimerHandler handler) = 0;
    virtual void cancel() = 0;
};

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
    virtual std::unique_ptr<Timer> make_timer() = 0;
};

}  // namespace gha

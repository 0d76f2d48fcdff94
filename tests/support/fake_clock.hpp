// A manual clock for unit tests: time moves only in advance(), which runs the
// handlers that became due, in deadline order. Cancelled waits complete with
// operation_aborted on the next advance()/run_ready(), like asio posts them.
#pragma once

#include <asio/error.hpp>
#include <algorithm>
#include <deque>
#include <list>
#include <memory>

#include "monitors/clock.hpp"

namespace gha::test {

class FakeClock final : public Clock {
    struct Wait {
        std::uint64_t timer;
        TimePoint due;
        std::uint64_t order;
        TimerHandler handler;
    };

public:
    TimePoint now() const override { return state_->now; }

    std::unique_ptr<Timer> make_timer() override {
        return std::make_unique<FakeTimer>(*state_, next_timer_++);
    }

    // Runs every handler due within `by`, in order, then sets now = now + by.
    void advance(Duration by) {
        const TimePoint target = state_->now + by;
        for (;;) {
            run_ready();
            auto it = std::min_element(state_->waits.begin(), state_->waits.end(),
                                       [](const Wait& a, const Wait& b) {
                                           return a.due != b.due ? a.due < b.due : a.order < b.order;
                                       });
            if (it == state_->waits.end() || it->due > target) break;
            state_->now = std::max(state_->now, it->due);
            auto handler = std::move(it->handler);
            state_->waits.erase(it);
            handler(std::error_code{});
        }
        state_->now = target;
        run_ready();
    }

    // Runs handlers of cancelled waits.
    void run_ready() {
        while (!state_->aborted.empty()) {
            auto handler = std::move(state_->aborted.front());
            state_->aborted.pop_front();
            handler(asio::error::operation_aborted);
        }
    }

    std::size_t pending() const { return state_->waits.size(); }

private:
    struct State {
        std::list<Wait> waits;
        std::deque<TimerHandler> aborted;
        std::uint64_t order = 0;
        TimePoint now{std::chrono::seconds(1000)};
    };

    class FakeTimer final : public Timer {
    public:
        FakeTimer(State& state, std::uint64_t id) : state_(state), id_(id) {}
        ~FakeTimer() override { cancel(); }
        void async_wait_for(Duration delay, TimerHandler handler) override {
            cancel();
            state_.waits.push_back({id_, state_.now + delay, state_.order++, std::move(handler)});
        }
        void cancel() override {
            for (auto it = state_.waits.begin(); it != state_.waits.end();) {
                if (it->timer == id_) {
                    state_.aborted.push_back(std::move(it->handler));
                    it = state_.waits.erase(it);
                } else {
                    ++it;
                }
            }
        }
    private:
        State& state_;
        std::uint64_t id_;
    };

    std::uint64_t next_timer_ = 1;
    std::unique_ptr<State> state_ = std::make_unique<State>();
};

}  // namespace gha::test

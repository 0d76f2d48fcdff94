// The real clock: steady_clock and asio::steady_timer on the daemon's loop.
#pragma once

#include <asio/io_context.hpp>

#include "monitors/clock.hpp"

namespace gha {

class AsioClock final : public Clock {
public:
    explicit AsioClock(asio::io_context& io) : io_(io) {}
    TimePoint now() const override { return SteadyClock::now(); }
    std::unique_ptr<Timer> make_timer() override;

private:
    asio::io_context& io_;
};

}  // namespace gha

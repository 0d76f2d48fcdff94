#include "monitors/asio_clock.hpp"

#include <asio/steady_timer.hpp>

namespace gha {
namespace {

class AsioTimer final : public Timer {
public:
    explicit AsioTimer(asio::io_context& io) : timer_(io) {}
    void async_wait_for(Duration delay, TimerHandler handler) override {
        timer_.expires_after(delay);  // aborts a pending wait
        timer_.async_wait(std::move(handler));
    }
    void cancel() override { timer_.cancel(); }

private:
    asio::steady_timer timer_;
};

}  // namespace

std::unique_ptr<Timer> AsioClock::make_timer() { return std::make_unique<AsioTimer>(io_); }

}  // namespace gha

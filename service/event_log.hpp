// Bounded in-memory log of what happened on this node (monitor transitions,
// later actions), each with a sequence number, wall-clock and monotonic time.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>

namespace gha {

struct Event {
    std::uint64_t seq = 0;
    std::chrono::system_clock::time_point wall;
    std::chrono::steady_clock::time_point mono;  // CLOCK_MONOTONIC, comparable across processes
    std::string type;     // "monitor", "daemon", ...
    std::string subject;  // monitor name, ...
    std::string message;  // one human line
    nlohmann::json fields = nlohmann::json::object();
};

class EventLog {
public:
    explicit EventLog(std::size_t capacity);

    const Event& add(std::string type, std::string subject, std::string message,
                     nlohmann::json fields = nlohmann::json::object());
    // Events with seq > since, oldest first, at most `limit`.
    std::vector<Event> since(std::uint64_t since, std::size_t limit) const;
    std::uint64_t last_seq() const { return next_seq_ - 1; }
    std::size_t size() const { return events_.size(); }
    std::size_t capacity() const { return capacity_; }
    void set_capacity(std::size_t capacity);

private:
    std::size_t capacity_;
    std::deque<Event> events_;
    std::uint64_t next_seq_ = 1;
};

nlohmann::json to_json(const Event& event);

}  // namespace gha

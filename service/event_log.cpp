#include "service/event_log.hpp"

#include <algorithm>

namespace gha {

EventLog::EventLog(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}

const Event& EventLog::add(std::string type, std::string subject, std::string message,
                           nlohmann::json fields) {
    while (events_.size() >= capacity_) events_.pop_front();
    events_.push_back(Event{next_seq_++, std::chrono::system_clock::now(),
                            std::chrono::steady_clock::now(), std::move(type),
                            std::move(subject), std::move(message), std::move(fields)});
    return events_.back();
}

std::vector<Event> EventLog::since(std::uint64_t since, std::size_t limit) const {
    // seq numbers are consecutive, so the first wanted index is arithmetic.
    std::vector<Event> out;
    if (events_.empty()) return out;
    const std::uint64_t first = events_.front().seq;
    std::size_t start = since < first ? 0 : static_cast<std::size_t>(since - first + 1);
    for (std::size_t i = start; i < events_.size() && out.size() < limit; ++i)
        out.push_back(events_[i]);
    return out;
}

void EventLog::set_capacity(std::size_t capacity) {
    capacity_ = std::max<std::size_t>(1, capacity);
    while (events_.size() > capacity_) events_.pop_front();
}

nlohmann::json to_json(const Event& event) {
    using namespace std::chrono;
    return {
        {"seq", event.seq},
        {"time", duration<double>(event.wall.time_since_epoch()).count()},
        {"monotonic_ns", duration_cast<nanoseconds>(event.mono.time_since_epoch()).count()},
        {"type", event.type},
        {"subject", event.subject},
        {"message", event.message},
        {"fields", event.fields},
    };
}

}  // namespace gha

#include "service/node_attributes_watch.hpp"

#include <utility>

namespace gha {

bool attribute_true(const std::string& value) {
    return value == "1" || value == "true" || value == "yes" || value == "on" || value == "y";
}

NodeAttributesWatch::NodeAttributesWatch(Clock& clock, PacemakerActions& pacemaker, Callbacks callbacks)
    : clock_(clock), pacemaker_(pacemaker), callbacks_(std::move(callbacks)), timer_(clock.make_timer()) {}

NodeAttributesWatch::~NodeAttributesWatch() {
    *alive_ = false;
    stop();
}

std::optional<std::string> NodeAttributesWatch::value(const std::string& name) const {
    if (!attributes_) return std::nullopt;
    const auto it = attributes_->find(name);
    if (it == attributes_->end()) return std::nullopt;
    return it->second;
}

void NodeAttributesWatch::start(const std::string& node) {
    node_ = node;
    running_ = true;
    read();
}

void NodeAttributesWatch::stop() {
    running_ = false;
    timer_->cancel();
    if (cancel_) std::exchange(cancel_, nullptr)();
}

void NodeAttributesWatch::arm(Duration delay) {
    std::weak_ptr<bool> alive = alive_;
    timer_->async_wait_for(delay, [this, alive](std::error_code ec) {
        if (ec || alive.expired() || !running_) return;
        read();
    });
}

void NodeAttributesWatch::read() {
    if (reading_ || !running_) return;
    if (writes_ > 0) return arm(kInterval);  // read again once it is written
    reading_ = true;
    const std::uint64_t generation = generation_;
    std::weak_ptr<bool> alive = alive_;
    pacemaker_.query_node_attributes(
        node_,
        [this, alive, generation](StepResult error, const NodeAttributes& now) {
            if (alive.expired()) return;
            reading_ = false;
            cancel_ = nullptr;
            if (!running_) return;
            const bool first = !answered_;
            answered_ = true;
            if (generation == generation_) {
                if (error.error) {
                    if (!failing_ && callbacks_.failed) callbacks_.failed(error.detail);
                    failing_ = true;
                } else {
                    failing_ = false;
                    const bool changed = attributes_ != now;
                    attributes_ = now;
                    if (changed && callbacks_.changed) callbacks_.changed(now);
                }
            }
            if (first && callbacks_.answered) callbacks_.answered();
            if (running_ && !reading_) arm(kInterval);
        },
        &cancel_);
}

void NodeAttributesWatch::writing() {
    ++writes_;
    ++generation_;
}

void NodeAttributesWatch::wrote(bool written, const std::string& name, const std::optional<std::string>& value) {
    if (writes_ > 0) --writes_;
    ++generation_;
    if (!written || !attributes_) {
        attributes_.reset();
    } else if (value) {
        (*attributes_)[name] = *value;
    } else {
        attributes_->erase(name);
    }
}

}  // namespace gha

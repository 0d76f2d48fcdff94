#include "monitors/health_counter.hpp"

#include <algorithm>

namespace gha {

std::string_view to_string(Health health) {
    switch (health) {
        case Health::healthy: return "healthy";
        case Health::unhealthy: return "unhealthy";
        case Health::unknown: break;
    }
    return "unknown";
}

std::string_view to_string(Transition transition) {
    switch (transition) {
        case Transition::pending: return "pending";
        case Transition::changed: return "changed";
        case Transition::unchanged: break;
    }
    return "unchanged";
}

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::failure: return "failure";
        case Outcome::definite_failure: return "definite-failure";
        case Outcome::success: break;
    }
    return "success";
}

HealthCounter::HealthCounter(int rise, int fall)
    : rise_(std::max(1, rise)), fall_(std::max(1, fall)) {}

Transition HealthCounter::record(Outcome outcome) {
    const int top = rise_ + fall_ - 1;
    const bool success = outcome == Outcome::success;

    if (health_ == Health::unknown) {
        counter_ = success ? top : 0;
        health_ = success ? Health::healthy : Health::unhealthy;
        return Transition::changed;
    }

    if (success) {
        if (health_ == Health::healthy) {
            const bool moved = counter_ != top;
            counter_ = top;  // a success while healthy restores the full fall budget
            return moved ? Transition::pending : Transition::unchanged;
        }
        if (++counter_ >= rise_) {
            counter_ = top;
            health_ = Health::healthy;
            return Transition::changed;
        }
        return Transition::pending;
    }

    if (health_ == Health::unhealthy) {
        const bool moved = counter_ != 0;
        counter_ = 0;  // a failure while unhealthy restarts the rise count
        return moved ? Transition::pending : Transition::unchanged;
    }
    if (outcome == Outcome::definite_failure || counter_ <= rise_) {
        counter_ = 0;
        health_ = Health::unhealthy;
        return Transition::changed;
    }
    --counter_;
    return Transition::pending;
}

}  // namespace gha

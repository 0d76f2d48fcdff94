// keepalived's rise/fall as one saturating counter in [0, rise + fall - 1]:
// healthy while counter >= rise. Callers act on edges (Transition::changed)
// only, so a flapping target cannot trigger more often than rise/fall allow.
#pragma once

#include <string_view>

namespace gha {

enum class Health { unknown, healthy, unhealthy };
enum class Transition { unchanged, pending, changed };
enum class Outcome {
    success,
    failure,           // counts toward fall (timeouts, network errors)
    definite_failure,  // the target is certainly down: unhealthy at once
};

std::string_view to_string(Health health);
std::string_view to_string(Transition transition);
std::string_view to_string(Outcome outcome);

class HealthCounter {
public:
    HealthCounter(int rise, int fall);

    // The first result after start decides at once (there is no previous
    // state to protect); afterwards rise/fall apply.
    Transition record(Outcome outcome);

    Health health() const { return health_; }
    int counter() const { return counter_; }
    int rise() const { return rise_; }
    int fall() const { return fall_; }

private:
    int rise_;
    int fall_;
    int counter_ = 0;
    Health health_ = Health::unknown;
};

}  // namespace gha

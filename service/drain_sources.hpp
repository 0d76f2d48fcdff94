// Who drained this node. The operator's drain is persistent (the CIB's
// HA_DRAINED_ATTR, see service/node_attributes_watch.hpp); the ganesha_mon agent's
// stop drains too, for as long as Pacemaker keeps the monitor stopped, and
// its start must not end an operator's drain. The node serves only when
// neither holds it.
#pragma once

namespace gha {

enum class DrainSource { operator_request, agent };

inline const char* to_string(DrainSource source) {
    return source == DrainSource::operator_request ? "operator" : "agent";
}

class DrainSources {
public:
    // True when this changes whether the node is drained at all.
    bool set(DrainSource source, bool on) {
        const bool before = drained();
        (source == DrainSource::operator_request ? by_operator_ : by_agent_) = on;
        return before != drained();
    }
    bool holds(DrainSource source) const {
        return source == DrainSource::operator_request ? by_operator_ : by_agent_;
    }
    bool drained() const { return by_operator_ || by_agent_; }

private:
    bool by_operator_ = false, by_agent_ = false;
};

}  // namespace gha

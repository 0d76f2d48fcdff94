// Where the dbus-heartbeat monitor's heartbeats come from: ganesha's D-Bus
// signal in the daemon (actions/dbus_heartbeat_source.hpp), a fake that the
// test fires by hand in unit tests.
#pragma once

#include <functional>
#include <string>

namespace gha {

class HeartbeatSource {
public:
    using Handler = std::function<void(bool healthy)>;
    // Why heartbeats may be missing, from what is already known.
    struct Diagnosis {
        std::string reason;  // "" = nothing wrong with the bus; else a short label
        std::string detail;  // one human line
    };

    virtual ~HeartbeatSource() = default;
    // Calls handler for every heartbeat until stop_listening(); the handler
    // may run after the listener's owner is gone only if the owner guards it.
    virtual void listen(Handler handler) = 0;
    virtual void stop_listening() = 0;
    // Never waits. May start a reconnect, whose outcome shows in a later call.
    virtual Diagnosis diagnose() = 0;
};

}  // namespace gha

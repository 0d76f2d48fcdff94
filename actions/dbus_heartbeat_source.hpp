// ganesha's heartbeat signal as a HeartbeatSource, through the daemon's
// GraceClient (the same D-Bus connection the grace action uses). diagnose()
// looks at what the connection already knows: no connection (it then starts
// a reconnect, which also brings the subscription back after a bus restart)
// is bus_unreachable, a bus name without an owner service_unknown
// (dbus_reason()'s labels).
#pragma once

#include <memory>

#include "actions/grace_client.hpp"
#include "monitors/heartbeat_source.hpp"

namespace gha {

class DbusHeartbeatSource final : public HeartbeatSource {
public:
    explicit DbusHeartbeatSource(std::shared_ptr<GraceClient> client);

    void listen(Handler handler) override;
    void stop_listening() override { subscription_.reset(); }
    Diagnosis diagnose() override;

private:
    std::shared_ptr<GraceClient> client_;
    DbusSubscription subscription_;
};

}  // namespace gha

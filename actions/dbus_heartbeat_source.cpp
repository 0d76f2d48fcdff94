#include "actions/dbus_heartbeat_source.hpp"

namespace gha {

DbusHeartbeatSource::DbusHeartbeatSource(std::shared_ptr<GraceClient> client) : client_(std::move(client)) {}

void DbusHeartbeatSource::listen(Handler handler) {
    subscription_ = client_->subscribe_heartbeat(std::move(handler));
}

HeartbeatSource::Diagnosis DbusHeartbeatSource::diagnose() {
    const auto& bus = client_->connection();
    if (!bus->connected()) {
        if (!bus->connecting()) bus->async_connect(nullptr);
        return {std::string(dbus_reason(DbusErrc::bus_unreachable)), "not connected to the bus at " + bus->address()};
    }
    const std::string& name = client_->options().bus_name;
    if (bus->name_owner(name).empty())
        return {std::string(dbus_reason(DbusErrc::service_unknown)), name + " has no owner on the bus"};
    return {};
}

}  // namespace gha

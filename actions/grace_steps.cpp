#include "actions/grace_steps.hpp"

namespace gha {

std::optional<GraceEvent> parse_grace_event(const std::string& name) {
    if (name == "just-grace" || name == "0") return GraceEvent::just_grace;
    if (name == "release-ip" || name == "2") return GraceEvent::release_ip;
    if (name == "take-nodeid" || name == "4") return GraceEvent::take_nodeid;
    if (name == "take-ip" || name == "5") return GraceEvent::take_ip;
    return std::nullopt;
}

const char* to_string(GraceEvent event) {
    switch (event) {
        case GraceEvent::just_grace: return "just-grace";
        case GraceEvent::release_ip: return "release-ip";
        case GraceEvent::take_nodeid: return "take-nodeid";
        case GraceEvent::take_ip: return "take-ip";
    }
    return "?";
}

std::vector<Step> DbusGraceSteps::grace(GraceEvent event, const std::string& address) {
    // Calls are bounded by the client's own D-Bus timeout; the step timeout
    // is a backstop a little above it.
    const auto backstop = client_->options().timeout + std::chrono::milliseconds(500);
    std::weak_ptr<GraceClient> weak = client_;
    Step call;
    call.name = std::string("grace ") + to_string(event) + (address.empty() ? "" : " " + address);
    call.timeout = backstop;
    call.run = [weak, event, address](StepDone done) {
        auto client = weak.lock();
        if (!client) return done({std::make_error_code(std::errc::operation_canceled), "D-Bus client gone"});
        client->grace(event, address, [done](std::error_code ec, const std::string& message) {
            if (ec) return done({ec, std::string(dbus_reason(ec)) + ": " + message});
            done(StepResult::ok(message));
        });
    };
    Step confirm;
    confirm.name = "confirm ganesha in grace";
    confirm.timeout = backstop;
    confirm.run = [weak](StepDone done) {
        auto client = weak.lock();
        if (!client) return done({std::make_error_code(std::errc::operation_canceled), "D-Bus client gone"});
        client->get_grace([done](std::error_code ec, bool in_grace, const std::string& message) {
            if (ec) return done({ec, std::string(dbus_reason(ec)) + ": " + message});
            if (!in_grace)
                return done({make_error_code(DbusErrc::refused), "ganesha reports it is not in grace"});
            done(StepResult::ok("ganesha is in grace"));
        });
    };
    if (event == GraceEvent::release_ip) return {call};  // fail-back: nothing to confirm
    return {call, confirm};
}

}  // namespace gha

#include "actions/grace_reply.hpp"

#include <sdbus-c++/sdbus-c++.h>

#include "actions/dbus_connection.hpp"

namespace gha::grace_reply {
namespace {

// The D-Bus type of the next argument; '\0' at the end of the message.
char next_type(sdbus::Message& message) {
    std::string type, contents;
    message.peekType(type, contents);
    return type.empty() ? '\0' : type[0];
}

}  // namespace

std::error_code read_status(sdbus::Message& reply, std::string& detail) {
    bool status = false;
    std::string message;
    if (next_type(reply) != 'b') return DbusErrc::bad_reply;
    reply >> status;
    if (next_type(reply) != 's') return DbusErrc::bad_reply;
    reply >> message;
    if (next_type(reply) != '\0') return DbusErrc::bad_reply;
    detail = std::move(message);
    return status ? std::error_code{} : make_error_code(DbusErrc::refused);
}

std::error_code read_grace_state(sdbus::Message& reply, bool& in_grace, std::string& detail) {
    bool first = false;
    if (next_type(reply) != 'b') return DbusErrc::bad_reply;
    reply >> first;
    if (next_type(reply) == 's') {
        std::string message;
        reply >> message;
        if (next_type(reply) != '\0' || first) return DbusErrc::bad_reply;
        detail = std::move(message);
        return DbusErrc::refused;
    }
    in_grace = first;
    return read_status(reply, detail);
}

bool read_heartbeat(sdbus::Message& signal, bool& healthy) {
    if (next_type(signal) != 'b') return false;
    signal >> healthy;
    return true;
}

}  // namespace gha::grace_reply

// Decoding ganesha.nfsd's D-Bus answers (see grace_client.hpp for what
// ganesha 4.3 sends): the argument types are checked before each read, so a
// reply of another shape is bad_reply, never an sdbus exception. Separate
// from GraceClient so they can be fuzzed without a bus (fuzz/grace_reply.cpp).
#pragma once

#include <string>
#include <system_error>

namespace sdbus {
class Message;
}

namespace gha::grace_reply {

// grace(s) -> (b status, s message). `detail`: ganesha's message.
// Empty, refused (status false) or bad_reply (DbusErrc).
std::error_code read_status(sdbus::Message& reply, std::string& detail);

// get_grace -> (b in_grace, b status, s message); a failing ganesha leaves
// out in_grace, which then has to come with status false.
std::error_code read_grace_state(sdbus::Message& reply, bool& in_grace, std::string& detail);

// The heartbeat signal's (b healthy); false for another shape (ignored).
bool read_heartbeat(sdbus::Message& signal, bool& healthy);

}  // namespace gha::grace_reply

// Blocking client for the control socket, for ganesha-hactl and tests: every
// step (connect, send, receive) is bounded by one deadline, so a dead or
// stuck daemon gives a clear error quickly instead of a hang.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>

#include "service/control_protocol.hpp"

namespace gha::control {

struct ClientError {
    enum Kind { none, unreachable, timeout, protocol } kind = none;
    std::string text;
};

inline constexpr std::size_t kMaxResponseBytes = 16 * 1024 * 1024;

// Returns the daemon's answer, or sets `error` and returns null.
nlohmann::json call(const std::string& socket_path, const Request& request,
                    std::chrono::milliseconds timeout, ClientError& error);

}  // namespace gha::control

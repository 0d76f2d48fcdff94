// The control channel's envelope (ISC Kea's shape):
//   request  {"command": "...", "arguments": {...}}  one line, <= 64 KiB
//   response {"result": N, "text": "...", "arguments": {...}}
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace gha::control {

inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;

enum Result : int { success = 0, error = 1, unsupported = 2, empty = 3 };

struct Request {
    std::string command;
    nlohmann::json arguments = nlohmann::json::object();
};

// Who is on the other end: pid, uid and primary gid from SO_PEERCRED, the
// supplementary groups from SO_PEERGROUPS (both as they were at connect()).
struct Caller {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary groups; empty when the kernel could not say

    bool in_group(gid_t group) const;  // primary or supplementary
};

nlohmann::json answer(int result, std::string text,
                      nlohmann::json arguments = nlohmann::json::object());

// Parses one request line; on failure returns nullopt and sets `error` to a
// ready result-1 answer that says what is wrong.
std::optional<Request> parse_request(std::string_view line, nlohmann::json& error);

std::string serialize_request(const Request& request);

// A whole-number argument >= 0 ("since", "limit", "id"): `fallback` when
// absent or null. Anything else (a negative or fractional number, 1e300, a
// string) throws std::invalid_argument, which CommandRegistry answers as an
// error. nlohmann's get<std::uint64_t>() would convert a float that does not
// fit with undefined behaviour, and wrap a negative one around.
std::uint64_t unsigned_argument(const nlohmann::json& arguments, const char* name, std::uint64_t fallback);

}  // namespace gha::control

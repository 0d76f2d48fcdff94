// The `peers` answer (service/daemon_peers.cpp) as ganesha-hactl prints it:
// a header, a one-line count of the peers by state, and one row per peer
// with columns as wide as their widest cell, so that a 64-node cluster (or
// long host names) stays a readable table.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gha::ctl {

// Every field copes with a missing, null or odd value ("-"), never aborts.
std::string format_peers(const nlohmann::json& arguments);

// How long ago, from milliseconds: "3.2 s ago", "12 min ago", "5.3 h ago",
// "3 d ago"; "never" for null (not heard yet), "-" for anything else.
std::string format_age(const nlohmann::json& ms);

}  // namespace gha::ctl

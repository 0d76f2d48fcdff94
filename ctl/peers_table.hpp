// The `peers` answer (service/daemon_peers.cpp) as ganesha-hactl prints it:
// a header, a one-line count of the peers by state, and one row per peer
// with columns as wide as their widest cell, so that a 64-node cluster (or
// long host names) stays a readable table.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gha::ctl {

std::string format_peers(const nlohmann::json& arguments);

}  // namespace gha::ctl

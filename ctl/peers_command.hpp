// ganesha-hactl's peer-heartbeat commands: `keygen PATH [--force]` (local,
// no daemon needed) and the table for `peers`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ctl/peers_table.hpp"

namespace gha::ctl {

inline constexpr const char* kKeygenHelp =
    "writes a new random peer heartbeat key (HA_HEARTBEAT_KEY) to PATH, mode 0600;\n"
    "copy the same file to every node of the cluster. An existing file is only\n"
    "replaced with --force (atomically: readers see the old key or the new one).\n"
    "No daemon needed.";

// Writes a new random heartbeat key (64 hex digits, mode 0600). Returns the
// exit code: 0 written, 1 refused or failed (e.g. the file exists and no
// --force).
int keygen_main(const std::string& path, bool force);

// The `peers` answer as a table (format_peers) on stdout.
void print_peers(const nlohmann::json& arguments);

}  // namespace gha::ctl

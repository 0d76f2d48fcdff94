// ganesha-hactl's peer-heartbeat commands: `keygen PATH [--force]` (local,
// no daemon needed) and the table for `peers`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ctl/peers_table.hpp"

namespace gha::ctl {

// Writes a new random heartbeat key (64 hex digits, mode 0600). Returns the
// exit code: 0 written, 1 refused or failed (e.g. the file exists and no
// --force), 2 usage.
int keygen_main(const std::vector<std::string>& args);

// The `peers` answer as a table (format_peers) on stdout.
void print_peers(const nlohmann::json& arguments);

}  // namespace gha::ctl

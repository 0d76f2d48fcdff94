// `ganesha-hactl ganesha-conf check [--ganesha-conf PATH] [--var-lib-nfs PATH]
// [--json]`: the local ganesha.conf against ganesha_conf/check.hpp, no daemon
// needed. Exit 0 clean (warnings allowed), 1 errors (also an unreadable or
// missing file), 2 usage.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ganesha_conf/check.hpp"

namespace gha::ctl {

int ganesha_conf_main(const std::vector<std::string>& args, bool json);

// The findings as JSON ({"file", "files", "server_scope", "findings", ...}).
nlohmann::json check_json(const std::string& path, const ganesha_conf::FileCheck& check);

}  // namespace gha::ctl

// `ganesha-hactl ganesha-conf check [--ganesha-conf PATH] [--var-lib-nfs PATH]
// [--json]`: the local ganesha.conf against ganesha_conf/check.hpp, no daemon
// needed. Exit 0 clean (warnings allowed), 1 errors (also an unreadable or
// missing file), 2 usage.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ganesha_conf/check.hpp"

namespace gha::ctl {

struct GaneshaConfArgs {
    std::string ganesha_conf{ganesha_conf::kDefaultGaneshaConf};
    std::string var_lib_nfs;  // "" = the check's default (/var/lib/nfs)
};

// What `ganesha-conf check --help` says.
inline constexpr const char* kGaneshaConfCheckHelp =
    "checks that ganesha.conf (default /etc/ganesha/ganesha.conf) lets NFSv4.1 clients keep their\n"
    "state across a failover: NFS_CORE_PARAM { Clustered = false; }, NFSV4 { Server_Scope = \"...\"; }\n"
    "(the same on every node), RecoveryBackend fs, RecoveryRoot unset or <var-lib-nfs>/ganesha\n"
    "(var-lib-nfs: the ganesha_nfsd agent's parameter, default /var/lib/nfs), Graceless not true.\n"
    "No daemon needed. Exit 0 clean (warnings allowed), 1 errors, 2 usage.";

// Prints the check (a report, or JSON) and returns the exit code.
int ganesha_conf_check(const GaneshaConfArgs& args, bool json);

// The findings as JSON ({"file", "files", "server_scope", "findings", ...}).
nlohmann::json check_json(const std::string& path, const ganesha_conf::FileCheck& check);

}  // namespace gha::ctl

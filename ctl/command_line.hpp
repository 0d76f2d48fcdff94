// ganesha-hactl's command line, read with CLI11: ganesha-hactl's own
// options before or after the command (`status --json`), --key=value,
// --help on every command and subcommand, --version, and a word that is no
// command refused here, with the closest command as a suggestion, instead of
// being sent to the daemon. `call COMMAND [ARGS]` sends any command as is.
//
// Parsing prints and runs nothing: it returns what to run (or what to print
// and the exit code), so the tests can check every case without a daemon.
#pragma once

#include <string>
#include <vector>

#include "ctl/cluster_command.hpp"
#include "ctl/ganesha_conf_command.hpp"
#include "service/control_protocol.hpp"

namespace gha::ctl {

// Exit codes of ganesha-hactl (its --help lists them; cluster has its own).
enum Exit { exit_ok = 0, exit_failed = 1, exit_usage = 2, exit_empty = 3, exit_unreachable = 4, exit_not_running = 7 };

struct GlobalOptions {
    std::string socket;    // --socket; the default from the caller
    bool json = false;     // --json
    bool wait = true;      // not --no-wait
    long timeout_ms = 0;   // --timeout; 0: the command's default
};

struct Invocation {
    enum class Kind {
        finished,      // nothing to run: print `out`/`err`, exit with `exit_code`
        daemon,        // send `request` to ganesha-had
        keygen,        // keygen_path, keygen_force
        ganesha_conf,  // ganesha-conf check
        cluster,       // cluster ...
    };
    Kind kind = Kind::finished;
    int exit_code = exit_ok;
    std::string out, err;  // finished: help or version on out, a usage error on err

    GlobalOptions global;
    control::Request request;  // daemon: the command and its "arguments"
    std::string field;         // daemon status --field NAME (read here, not sent)
    std::string keygen_path;
    bool keygen_force = false;
    GaneshaConfArgs ganesha_conf;
    cluster::ClusterArgs cluster;
};

// args: argv without the program name. default_socket: --socket's default
// ($GANESHA_HA_SOCKET or /run/ganesha-ha/hactl.sock, chosen by main).
Invocation parse_command_line(const std::vector<std::string>& args, const std::string& default_socket);

// The commands ganesha-hactl sends to ganesha-had by name (`call` sends others).
std::vector<std::string> daemon_command_names();

}  // namespace gha::ctl

// Blocking child processes for ganesha-hactl (cibadmin, crm_mon, crm_verify,
// crm_diff): posix_spawnp with an argv, never a shell; stdin from a string,
// stdout and stderr collected through pipes; a deadline after which the
// child's process group gets SIGTERM, then SIGKILL. The child runs in its
// own process group with default signal dispositions and an empty signal
// mask, and inherits our environment minus NOTIFY_SOCKET, WATCHDOG_* and
// LISTEN_* (CIB_file and friends pass through, which the tests use).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace gha::cluster {

struct CommandResult {
    std::string program;   // argv[0]
    int exit_code = -1;    // when it exited
    int signal = 0;        // when a signal ended it
    bool timed_out = false;
    std::string spawn_error;  // non-empty: it could not be started
    std::string out, err;
    std::chrono::milliseconds duration{0};

    bool ran() const { return spawn_error.empty() && !timed_out && signal == 0; }
    bool ok() const { return ran() && exit_code == 0; }
    // "exit 102: <first line of stderr>", "timed out after 10000 ms", ...
    std::string describe() const;
};

struct CommandOptions {
    std::chrono::milliseconds timeout{10000};
    std::chrono::milliseconds kill_after{1000};  // SIGKILL this long after SIGTERM
    std::string input;                            // written to the child's stdin
    std::size_t max_output = 16 * 1024 * 1024;    // per stream; the rest is dropped
    std::map<std::string, std::string> env;       // added / overridden
};

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options = {});

}  // namespace gha::cluster

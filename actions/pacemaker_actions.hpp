// The daemon's Pacemaker hands: node attributes through attrd_updater and
// the trigger resource through cibadmin, as pipeline steps. Each step is
// idempotent and verifies its effect by reading it back; exit codes and
// output formats are those of pacemaker 2.1.5 (recorded, from the real tools,
// in tests/support/pacemaker_node.hpp).
#pragma once

#include <string>

#include "actions/command_runner.hpp"
#include "actions/pipeline.hpp"

namespace gha {

struct PacemakerTools {
    std::string attrd_updater = "attrd_updater";
    std::string cibadmin = "cibadmin";
    ChildOptions options;  // per command: timeout, output cap
};

// Exit code 102 (CRM_EX_DISCONNECTED): no cluster on this node.
inline constexpr int kNoCluster = 102;

// `value="..."` from one attrd_updater -Q line, or nullopt when absent.
std::optional<std::string> parse_attrd_value(const std::string& output);

// The error a failed Pacemaker command maps to: not_connected for rc 102
// (no cluster), no_such_file_or_directory when the tool is not installed,
// timed_out, else io_error; the detail names the command and what it said.
StepResult command_failure(const std::string& what, const ChildResult& result);

class PacemakerActions {
public:
    PacemakerActions(CommandRunner& runner, PacemakerTools tools);

    // attrd_updater -n NAME -N NODE -U VALUE, then -Q shows VALUE.
    Step set_attribute(const std::string& node, const std::string& name, const std::string& value);
    // attrd_updater -n NAME -N NODE -D, then -Q shows it empty or unknown.
    Step delete_attribute(const std::string& node, const std::string& name);
    // attrd_updater -Q: the value ("" when deleted or never set), or an error.
    using QueryHandler = std::function<void(StepResult error, const std::string& value)>;
    void query_attribute(const std::string& node, const std::string& name, QueryHandler handler);
    // cibadmin -C of an ocf:heartbeat:Dummy primitive; "already exists" is success.
    Step create_trigger(const std::string& id);
    // cibadmin -D of that primitive; a missing one is success.
    Step delete_trigger(const std::string& id);

private:
    Step command_step(std::string name, std::vector<std::string> argv,
                      std::function<StepResult(const ChildResult&)> judge,
                      std::vector<std::string> verify_argv = {},
                      std::function<StepResult(const ChildResult&)> verify = {});

    CommandRunner& runner_;
    PacemakerTools tools_;
};

}  // namespace gha

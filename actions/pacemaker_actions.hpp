// The daemon's Pacemaker hands: node attributes through attrd_updater and
// the trigger resource through cibadmin, as pipeline steps. Each step is
// idempotent and verifies its effect by reading it back; exit codes and
// output formats are those of pacemaker 2.1.5 (recorded, from the real tools,
// in tests/support/pacemaker_node.hpp).
#pragma once

#include <map>
#include <string>

#include "actions/command_runner.hpp"
#include "actions/pipeline.hpp"

namespace gha {

struct PacemakerTools {
    std::string attrd_updater = "attrd_updater";
    std::string cibadmin = "cibadmin";
    std::string crm_attribute = "crm_attribute";
    ChildOptions options;  // per command: timeout, output cap
};

// Exit code 102 (CRM_EX_DISCONNECTED): no cluster on this node.
inline constexpr int kNoCluster = 102;
// crm_attribute --query of an attribute that is not there (CRM_EX_NOSUCH).
inline constexpr int kNoSuchAttribute = 105;

using NodeAttributes = std::map<std::string, std::string>;

// The nvpairs of cibadmin --query's <node> element (their first
// instance_attributes set only: a second one would need rules to choose).
// nullopt when the text is not such an element.
std::optional<NodeAttributes> parse_node_attributes(const std::string& xml);

// The value from crm_attribute --query's "scope=nodes  name=N value=V" line.
std::optional<std::string> parse_crm_attribute_value(const std::string& output);

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
    // Permanent node attributes (the CIB's <nodes> section, crm_attribute
    // --type nodes): unlike attrd's, they survive a restart of Pacemaker,
    // which is what an operator's drain must do.
    // --update VALUE, then --query shows VALUE.
    Step set_permanent_attribute(const std::string& node, const std::string& name, const std::string& value);
    // --delete (a missing one is success), then --query finds none.
    Step delete_permanent_attribute(const std::string& node, const std::string& name);
    // Every permanent attribute of `node`, in one query (cibadmin --query
    // --xpath of its <node>): name -> value; none when the node is not in
    // the CIB's <nodes> yet.
    using NodeAttributesHandler = std::function<void(StepResult error, const NodeAttributes& attributes)>;
    void query_node_attributes(const std::string& node, NodeAttributesHandler handler,
                               CommandRunner::Cancel* cancel = nullptr);
    // cibadmin -C of an ocf:heartbeat:Dummy primitive; "already exists" is success.
    Step create_trigger(const std::string& id);
    // cibadmin -D of that primitive; a missing one is success.
    Step delete_trigger(const std::string& id);
    // cibadmin -D of the rsc_location `id`, only while it names `node` (a
    // newer one for another node stays); a missing one is success.
    Step delete_location(const std::string& id, const std::string& node);

private:
    Step command_step(std::string name, std::vector<std::string> argv,
                      std::function<StepResult(const ChildResult&)> judge,
                      std::vector<std::string> verify_argv = {},
                      std::function<StepResult(const ChildResult&)> verify = {});

    Step delete_element(const std::string& name, const std::string& section, const std::string& xml,
                        const std::string& id);

    CommandRunner& runner_;
    PacemakerTools tools_;
};

}  // namespace gha

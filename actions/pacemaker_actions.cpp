#include "actions/pacemaker_actions.hpp"

#include <memory>
#include <pugixml.hpp>

namespace gha {
namespace {

constexpr int kAttributeUnknown = 78;  // -Q of a name attrd never saw
constexpr int kCibExists = 108;        // cibadmin -C of an id that is there

std::string trigger_xml(const std::string& id, bool full) {
    // ids come from node names (host-name characters only), so no escaping is needed.
    if (!full) return "<primitive id=\"" + id + "\"/>";
    return "<primitive id=\"" + id + "\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>";
}

}  // namespace

std::optional<std::string> parse_attrd_value(const std::string& output) {
    const std::string key = " value=\"";
    const auto at = output.find(key);
    if (at == std::string::npos) return std::nullopt;
    const auto start = at + key.size();
    const auto end = output.find('"', start);
    if (end == std::string::npos) return std::nullopt;
    return output.substr(start, end - start);
}

std::optional<NodeAttributes> parse_node_attributes(const std::string& xml) {
    pugi::xml_document document;
    if (!document.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8)) return std::nullopt;
    const pugi::xml_node node = document.document_element();
    if (std::string_view(node.name()) != "node") return std::nullopt;
    NodeAttributes out;
    for (const pugi::xml_node pair : node.child("instance_attributes").children("nvpair"))
        out[pair.attribute("name").value()] = pair.attribute("value").value();
    return out;
}

std::optional<std::string> parse_crm_attribute_value(const std::string& output) {
    const std::string key = " value=";
    const auto at = output.find(key);
    if (at == std::string::npos) return std::nullopt;
    const auto start = at + key.size();
    return output.substr(start, output.find_first_of("\r\n", start) - start);
}

StepResult command_failure(const std::string& what, const ChildResult& result) {
    std::error_code code = result.error;
    std::string prefix;
    if (!code) {
        if (result.exit_code == kNoCluster) {
            code = std::make_error_code(std::errc::not_connected);
            prefix = "no cluster running on this node: ";
        } else {
            code = std::make_error_code(std::errc::io_error);
        }
    }
    return {code, prefix + what + ": " + result.describe()};
}

PacemakerActions::PacemakerActions(CommandRunner& runner, PacemakerTools tools)
    : runner_(runner), tools_(std::move(tools)) {}

// Runs argv, judges it, then (optionally) runs verify_argv and judges that.
// abort() kills whichever command is running.
Step PacemakerActions::command_step(std::string name, std::vector<std::string> argv,
                                    std::function<StepResult(const ChildResult&)> judge,
                                    std::vector<std::string> verify_argv,
                                    std::function<StepResult(const ChildResult&)> verify) {
    auto cancel = std::make_shared<CommandRunner::Cancel>();
    Step step;
    step.name = std::move(name);
    step.run = [this, cancel, argv, judge, verify_argv, verify](StepDone done) {
        *cancel = runner_.run(argv, tools_.options,
                              [this, cancel, judge, verify_argv, verify, done](const ChildResult& first) {
                                  StepResult result = judge(first);
                                  if (result.error || verify_argv.empty()) return done(result);
                                  *cancel = runner_.run(verify_argv, tools_.options,
                                                        [verify, done](const ChildResult& second) {
                                                            done(verify(second));
                                                        });
                              });
    };
    step.abort = [cancel] {
        if (*cancel) (*cancel)();
    };
    return step;
}

Step PacemakerActions::set_attribute(const std::string& node, const std::string& name,
                                     const std::string& value) {
    const std::string what = "attrd_updater -n " + name + " -N " + node + " -U " + value;
    return command_step(
        "set " + name + "=" + value,
        {tools_.attrd_updater, "-n", name, "-N", node, "-U", value},
        [what](const ChildResult& r) { return r.ok() ? StepResult::ok() : command_failure(what, r); },
        {tools_.attrd_updater, "-Q", "-n", name, "-N", node},
        [name, node, value](const ChildResult& r) {
            if (!r.ok()) return command_failure("attrd_updater -Q -n " + name, r);
            const auto now = parse_attrd_value(r.out);
            if (now != value)
                return StepResult{std::make_error_code(std::errc::protocol_error),
                                  name + " on " + node + " reads back as '" + now.value_or("?") +
                                      "', not '" + value + "'"};
            return StepResult::ok(name + "=" + value + " on " + node);
        });
}

Step PacemakerActions::delete_attribute(const std::string& node, const std::string& name) {
    const std::string what = "attrd_updater -n " + name + " -N " + node + " -D";
    return command_step(
        "delete " + name,
        {tools_.attrd_updater, "-n", name, "-N", node, "-D"},
        [what](const ChildResult& r) { return r.ok() ? StepResult::ok() : command_failure(what, r); },
        {tools_.attrd_updater, "-Q", "-n", name, "-N", node},
        [name, node](const ChildResult& r) {
            // attrd keeps a deleted name with an empty value; a never-seen one is rc 78.
            if (!r.error && r.exit_code == kAttributeUnknown) return StepResult::ok(name + " absent on " + node);
            if (!r.ok()) return command_failure("attrd_updater -Q -n " + name, r);
            const auto now = parse_attrd_value(r.out);
            if (now && !now->empty())
                return StepResult{std::make_error_code(std::errc::protocol_error),
                                  name + " on " + node + " still reads '" + *now + "'"};
            return StepResult::ok(name + " absent on " + node);
        });
}

void PacemakerActions::query_attribute(const std::string& node, const std::string& name, QueryHandler handler) {
    runner_.run({tools_.attrd_updater, "-Q", "-n", name, "-N", node}, tools_.options,
                [name, handler](const ChildResult& r) {
                    if (!r.error && r.exit_code == kAttributeUnknown) return handler(StepResult::ok(), "");
                    if (!r.ok()) return handler(command_failure("attrd_updater -Q -n " + name, r), "");
                    handler(StepResult::ok(), parse_attrd_value(r.out).value_or(""));
                });
}

Step PacemakerActions::set_permanent_attribute(const std::string& node, const std::string& name,
                                               const std::string& value) {
    const std::vector<std::string> where{"--type", "nodes", "--node", node, "--name", name};
    std::vector<std::string> update{tools_.crm_attribute}, query{tools_.crm_attribute};
    update.insert(update.end(), where.begin(), where.end());
    query.insert(query.end(), where.begin(), where.end());
    update.insert(update.end(), {"--update", value});
    query.push_back("--query");
    const std::string what = "crm_attribute --type nodes --node " + node + " --name " + name + " --update " + value;
    return command_step(
        "set " + name + "=" + value + " (CIB)", update,
        [what](const ChildResult& r) { return r.ok() ? StepResult::ok() : command_failure(what, r); }, query,
        [name, node, value](const ChildResult& r) {
            if (!r.ok()) return command_failure("crm_attribute --query --name " + name, r);
            const auto now = parse_crm_attribute_value(r.out);
            if (now != value)
                return StepResult{std::make_error_code(std::errc::protocol_error),
                                  name + " of " + node + " reads back as '" + now.value_or("?") + "', not '" +
                                      value + "'"};
            return StepResult::ok(name + "=" + value + " for " + node + " in the CIB");
        });
}

Step PacemakerActions::delete_permanent_attribute(const std::string& node, const std::string& name) {
    const std::vector<std::string> where{"--type", "nodes", "--node", node, "--name", name};
    std::vector<std::string> remove{tools_.crm_attribute}, query{tools_.crm_attribute};
    remove.insert(remove.end(), where.begin(), where.end());
    query.insert(query.end(), where.begin(), where.end());
    remove.push_back("--delete");
    query.push_back("--query");
    const std::string what = "crm_attribute --type nodes --node " + node + " --name " + name + " --delete";
    return command_step(
        "delete " + name + " (CIB)", remove,
        [what](const ChildResult& r) { return r.ok() ? StepResult::ok() : command_failure(what, r); }, query,
        [name, node](const ChildResult& r) {
            if (!r.error && r.exit_code == kNoSuchAttribute) return StepResult::ok(name + " absent for " + node);
            if (!r.ok()) return command_failure("crm_attribute --query --name " + name, r);
            return StepResult{std::make_error_code(std::errc::protocol_error),
                              name + " of " + node + " still reads '" +
                                  parse_crm_attribute_value(r.out).value_or("?") + "'"};
        });
}

void PacemakerActions::query_node_attributes(const std::string& node, NodeAttributesHandler handler,
                                             CommandRunner::Cancel* cancel) {
    // Node names are host names (config.cpp checks them): no quote can end the XPath literal.
    const std::string xpath = "/cib/configuration/nodes/node[@uname='" + node + "']";
    auto kill = runner_.run({tools_.cibadmin, "--query", "--xpath", xpath}, tools_.options,
                            [handler](const ChildResult& r) {
                                if (!r.error && r.exit_code == kNoSuchAttribute) return handler(StepResult::ok(), {});
                                if (!r.ok()) return handler(command_failure("cibadmin --query --xpath", r), {});
                                auto attributes = parse_node_attributes(r.out);
                                if (!attributes)
                                    return handler({std::make_error_code(std::errc::protocol_error),
                                                    "cibadmin --query --xpath printed no <node> element"},
                                                   {});
                                handler(StepResult::ok(), *attributes);
                            });
    if (cancel) *cancel = std::move(kill);
}

Step PacemakerActions::create_trigger(const std::string& id) {
    const std::string what = "cibadmin -C " + id;
    return command_step("create trigger " + id,
                        {tools_.cibadmin, "-C", "-o", "resources", "-X", trigger_xml(id, true)},
                        [what, id](const ChildResult& r) {
                            if (r.ok()) return StepResult::ok(id + " created");
                            if (!r.error && r.exit_code == kCibExists) return StepResult::ok(id + " already present");
                            return command_failure(what, r);
                        });
}

// cibadmin -D deletes the first element of `section` that has the given
// tag and attributes; none is success (rc 0) too.
Step PacemakerActions::delete_element(const std::string& name, const std::string& section, const std::string& xml,
                                      const std::string& id) {
    const std::string what = "cibadmin -D " + id;
    return command_step(name, {tools_.cibadmin, "-D", "-o", section, "-X", xml}, [what, id](const ChildResult& r) {
        return r.ok() ? StepResult::ok(id + " absent") : command_failure(what, r);
    });
}

Step PacemakerActions::delete_trigger(const std::string& id) {
    return delete_element("delete trigger " + id, "resources", trigger_xml(id, false), id);
}

Step PacemakerActions::delete_location(const std::string& id, const std::string& node) {
    // ids and node names are host-name characters only: no escaping needed.
    const std::string xml = "<rsc_location id=\"" + id + "\" node=\"" + node + "\"/>";
    return delete_element("delete constraint " + id, "constraints", xml, id);
}

}  // namespace gha

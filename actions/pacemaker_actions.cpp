#include "actions/pacemaker_actions.hpp"

#include <memory>

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

Step PacemakerActions::delete_trigger(const std::string& id) {
    const std::string what = "cibadmin -D " + id;
    return command_step("delete trigger " + id,
                        {tools_.cibadmin, "-D", "-o", "resources", "-X", trigger_xml(id, false)},
                        [what, id](const ChildResult& r) {
                            return r.ok() ? StepResult::ok(id + " absent") : command_failure(what, r);
                        });
}

}  // namespace gha

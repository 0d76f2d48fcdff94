#include "service/command_registry.hpp"

#include <exception>

namespace gha::control {

CommandRegistry::CommandRegistry(Authorizer may_change) : may_change_(std::move(may_change)) {
    add("list-commands", "list the commands this daemon understands", false,
        [this](const Request&, const Caller&) { return answer(success, "", list()); });
}

void CommandRegistry::add(std::string name, std::string help, bool changes, Handler handler) {
    commands_[std::move(name)] = Command{std::move(help), changes, std::move(handler), nullptr};
}

void CommandRegistry::add_async(std::string name, std::string help, bool changes, AsyncHandler handler) {
    commands_[std::move(name)] = Command{std::move(help), changes, nullptr, std::move(handler)};
}

nlohmann::json CommandRegistry::list() const {
    auto commands = nlohmann::json::array();
    for (const auto& [name, command] : commands_)
        commands.push_back({{"name", name}, {"help", command.help}, {"changes", command.changes}});
    return {{"commands", commands}};
}

const CommandRegistry::Command* CommandRegistry::find(const Request& request, const Caller& caller,
                                                      nlohmann::json& refusal) const {
    auto it = commands_.find(request.command);
    if (it == commands_.end()) {
        refusal = answer(unsupported, "unknown command '" + request.command.substr(0, 64) + "' (try list-commands)");
        return nullptr;
    }
    if (it->second.changes && !may_change_(caller)) {
        refusal = answer(error, "permission denied: '" + request.command + "' changes state and uid " +
                                    std::to_string(caller.uid) + " may not run it");
        return nullptr;
    }
    return &it->second;
}

nlohmann::json CommandRegistry::dispatch(const Request& request, const Caller& caller) const {
    nlohmann::json out;
    const Command* command = find(request, caller, out);
    if (!command) return out;
    if (!command->handler) return answer(error, request.command + ": answers later; not callable here");
    try {
        return command->handler(request, caller);
    } catch (const std::exception& e) {
        return answer(error, request.command + ": " + e.what());
    } catch (...) {
        return answer(error, request.command + ": unexpected error");
    }
}

void CommandRegistry::dispatch(const Request& request, const Caller& caller, const Reply& reply) const {
    nlohmann::json refusal;
    const Command* command = find(request, caller, refusal);
    if (!command) return reply(refusal);
    if (command->handler) return reply(dispatch(request, caller));
    // An async handler that throws has not replied (it replies last).
    try {
        command->async(request, caller, reply);
    } catch (const std::exception& e) {
        reply(answer(error, request.command + ": " + e.what()));
    } catch (...) {
        reply(answer(error, request.command + ": unexpected error"));
    }
}

}  // namespace gha::control

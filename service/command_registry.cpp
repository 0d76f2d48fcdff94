#include "service/command_registry.hpp"

#include <exception>

namespace gha::control {

CommandRegistry::CommandRegistry(Authorizer may_change) : may_change_(std::move(may_change)) {
    add("list-commands", "list the commands this daemon understands", false,
        [this](const Request&, const Caller&) { return answer(success, "", list()); });
}

void CommandRegistry::add(std::string name, std::string help, bool changes, Handler handler) {
    commands_[std::move(name)] = Command{std::move(help), changes, std::move(handler)};
}

nlohmann::json CommandRegistry::list() const {
    auto commands = nlohmann::json::array();
    for (const auto& [name, command] : commands_)
        commands.push_back({{"name", name}, {"help", command.help}, {"changes", command.changes}});
    return {{"commands", commands}};
}

nlohmann::json CommandRegistry::dispatch(const Request& request, const Caller& caller) const {
    auto it = commands_.find(request.command);
    if (it == commands_.end())
        return answer(unsupported, "unknown command '" + request.command.substr(0, 64) +
                                       "' (try list-commands)");
    if (it->second.changes && !may_change_(caller))
        return answer(error, "permission denied: '" + request.command + "' changes state and uid " +
                                 std::to_string(caller.uid) + " may not run it");
    try {
        return it->second.handler(request, caller);
    } catch (const std::exception& e) {
        return answer(error, request.command + ": " + e.what());
    } catch (...) {
        return answer(error, request.command + ": unexpected error");
    }
}

}  // namespace gha::control

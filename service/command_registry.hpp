// Every control command is registered here, in one place, with whether it
// changes anything. Dispatch is the single boundary where a handler's
// exception becomes a result-1 answer; list-commands is built in.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "service/control_protocol.hpp"

namespace gha::control {

class CommandRegistry {
public:
    using Handler = std::function<nlohmann::json(const Request&, const Caller&)>;
    using Authorizer = std::function<bool(const Caller&)>;
    using Reply = std::function<void(nlohmann::json)>;
    // A command that answers later (a query to another node): it calls
    // `reply` exactly once, at once or from the loop.
    using AsyncHandler = std::function<void(const Request&, const Caller&, Reply)>;

    explicit CommandRegistry(Authorizer may_change);

    // `changes`: the command alters state, so the caller must be authorized.
    void add(std::string name, std::string help, bool changes, Handler handler);
    void add_async(std::string name, std::string help, bool changes, AsyncHandler handler);
    // Only for commands that answer at once (an async one is an error here).
    nlohmann::json dispatch(const Request& request, const Caller& caller) const;
    // Any command; `reply` is called once.
    void dispatch(const Request& request, const Caller& caller, const Reply& reply) const;
    nlohmann::json list() const;

private:
    struct Command {
        std::string help;
        bool changes;
        Handler handler;
        AsyncHandler async;
    };
    // The command's entry when the caller may run it, else nullptr and `refusal`.
    const Command* find(const Request& request, const Caller& caller, nlohmann::json& refusal) const;
    Authorizer may_change_;
    std::map<std::string, Command> commands_;
};

}  // namespace gha::control

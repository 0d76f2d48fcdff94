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

    explicit CommandRegistry(Authorizer may_change);

    // `changes`: the command alters state, so the caller must be authorized.
    void add(std::string name, std::string help, bool changes, Handler handler);
    nlohmann::json dispatch(const Request& request, const Caller& caller) const;
    nlohmann::json list() const;

private:
    struct Command {
        std::string help;
        bool changes;
        Handler handler;
    };
    Authorizer may_change_;
    std::map<std::string, Command> commands_;
};

}  // namespace gha::control

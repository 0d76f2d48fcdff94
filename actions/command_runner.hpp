// How actions run helper programs. The daemon uses ProcessRunner (real
// children on the loop); unit tests script the answers.
#pragma once

#include <asio/io_context.hpp>
#include <functional>
#include <string>
#include <vector>

#include "actions/child_process.hpp"

namespace gha {

class CommandRunner {
public:
    using Handler = std::function<void(const ChildResult&)>;
    using Cancel = std::function<void()>;
    virtual ~CommandRunner() = default;
    // The handler runs once, later, on the loop. The returned function kills
    // the command if it is still running (its handler then still runs).
    virtual Cancel run(std::vector<std::string> argv, ChildOptions options, Handler handler) = 0;
};

class ProcessRunner final : public CommandRunner {
public:
    explicit ProcessRunner(asio::io_context& io) : io_(io) {}
    Cancel run(std::vector<std::string> argv, ChildOptions options, Handler handler) override;

private:
    asio::io_context& io_;
};

}  // namespace gha

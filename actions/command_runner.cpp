#include "actions/command_runner.hpp"

namespace gha {

CommandRunner::Cancel ProcessRunner::run(std::vector<std::string> argv, ChildOptions options,
                                         Handler handler) {
    std::weak_ptr<ChildProcess> child =
        ChildProcess::start(io_, std::move(argv), std::move(options), std::move(handler));
    return [child] {
        if (auto c = child.lock()) c->cancel();
    };
}

}  // namespace gha

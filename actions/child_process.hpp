// Runs one helper program (attrd_updater, cibadmin, crm_resource) from the
// loop without ever blocking it: posix_spawn without a shell, output through
// non-blocking pipes, the exit seen through a pidfd, a timeout that escalates
// SIGTERM -> SIGKILL. The child never inherits our systemd sockets
// (NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*), our signal mask or any other fd.
//
// The child runs in its own process group, so a timeout, cancel() or the
// destructor also reaches whatever it forked (a `sh -c` pipeline, ...).
#pragma once

#include <sys/types.h>

#include <array>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace gha {

struct ChildOptions {
    std::chrono::milliseconds timeout{5000};     // then SIGTERM; zero or less: none
    std::chrono::milliseconds kill_after{1000};  // SIGKILL this long after SIGTERM
    // A grandchild may keep our pipes open after the child itself exited:
    // wait this long for EOF, then report without the rest. Keep it well
    // above zero: what the child wrote just before exiting is read meanwhile.
    std::chrono::milliseconds drain_after_exit{500};
    std::size_t max_output = 64 * 1024;  // per stream; the rest is read and dropped
    std::map<std::string, std::string> env;  // added/overridden (applied after the scrub)
};

struct ChildResult {
    std::string program;  // argv[0], for describe()
    // Spawn failure (errc::no_such_file_or_directory, ...), errc::timed_out,
    // errc::operation_canceled; empty when the child ran to its own end.
    std::error_code error;
    int exit_code = -1;  // when it exited
    int signal = 0;      // when killed by a signal
    std::string out, err;
    bool out_truncated = false, err_truncated = false;
    std::chrono::milliseconds timeout{0};  // as configured, for describe()
    std::chrono::milliseconds duration{0};

    bool ok() const { return !error && exit_code == 0; }
    // One line: "exit 102: <first line of stderr>", "killed by SIGKILL",
    // "timed out after 5000 ms", "cannot run attrd_updater: No such file or directory".
    std::string describe() const;
};

// Our environ minus what would let the child talk to systemd as us, plus
// `extra`, as "NAME=value" strings. Exposed for unit tests.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra);

// Not thread-safe: use from the io_context's (single) thread. Must not
// outlive its io_context; destroying the io_context while a child runs kills
// the child (and its process group) and reaps it.
class ChildProcess : public std::enable_shared_from_this<ChildProcess> {
public:
    using Handler = std::function<void(const ChildResult&)>;

    // Starts at once. The handler runs exactly once on the io_context, never
    // from inside start() or cancel(), after the child exited and both pipes
    // reached EOF (or drain_after_exit passed). The returned pointer may be
    // dropped: a running child keeps itself alive.
    static std::shared_ptr<ChildProcess> start(asio::io_context& io,
                                               std::vector<std::string> argv,
                                               ChildOptions options, Handler handler);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Kill now (SIGTERM, SIGKILL after kill_after); the handler still runs,
    // with errc::operation_canceled unless another error came first.
    // Does nothing once the handler ran.
    void cancel();

    pid_t pid() const { return pid_; }  // -1 when the spawn failed
    bool finished() const { return done_; }

private:
    struct Stream {
        explicit Stream(asio::io_context& io) : pipe(io) {}
        asio::posix::stream_descriptor pipe;
        std::array<char, 16 * 1024> buffer{};
        std::string* text = nullptr;
        bool* truncated = nullptr;
        bool open = false;
    };

    ChildProcess(asio::io_context& io, ChildOptions options, Handler handler);

    std::error_code spawn(const std::vector<std::string>& argv);
    void read(Stream& stream);
    void wait_for_exit();
    void on_exit_seen(std::error_code ec);
    void on_timeout();
    void terminate();
    void signal_group(int sig) const;
    void finish();
    void post_finish();
    bool streams_done() const { return !out_.open && !err_.open; }

    template <class Fn>
    auto guarded(Fn fn) {  // wraps a handler so it does nothing once we are gone
        return [weak = weak_from_this(), fn = std::move(fn)](auto&&... args) mutable {
            if (auto self = weak.lock()) fn(std::forward<decltype(args)>(args)...);
        };
    }

    asio::io_context& io_;
    ChildOptions options_;
    Handler handler_;
    ChildResult result_;
    std::chrono::steady_clock::time_point started_;
    pid_t pid_ = -1;
    Stream out_;
    Stream err_;
    asio::posix::stream_descriptor pidfd_;
    asio::steady_timer deadline_;  // timeout, then kill_after
    asio::steady_timer drain_;     // drain_after_exit
    bool signalled_ = false;       // SIGTERM/SIGKILL sent by us
    bool reaped_ = false;
    bool done_ = false;
};

}  // namespace gha

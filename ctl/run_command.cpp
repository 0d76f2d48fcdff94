#include "ctl/run_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "monitors/unique_fd.hpp"

extern char** environ;

namespace gha::cluster {
namespace {

using Monotonic = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    *read_end.out() = fds[0];
    *write_end.out() = fds[1];
    return true;
}

bool scrubbed(const std::string& entry) {
    for (const char* prefix : {"NOTIFY_SOCKET=", "WATCHDOG_PID=", "WATCHDOG_USEC=", "LISTEN_PID=", "LISTEN_FDS=",
                               "LISTEN_FDNAMES="})
        if (entry.rfind(prefix, 0) == 0) return true;
    return false;
}

std::vector<std::string> environment(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> out;
    for (char** e = environ; e && *e; ++e) {
        const std::string entry(*e);
        const auto eq = entry.find('=');
        if (scrubbed(entry) || (eq != std::string::npos && extra.count(entry.substr(0, eq)))) continue;
        out.push_back(entry);
    }
    for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace

std::string CommandResult::describe() const {
    if (!spawn_error.empty()) return "cannot run " + program + ": " + spawn_error;
    if (timed_out) return program + " timed out after " + std::to_string(duration.count()) + " ms";
    if (signal != 0) return program + " killed by signal " + std::to_string(signal);
    std::string first = err.substr(0, err.find('\n'));
    if (first.empty()) first = out.substr(0, out.find('\n'));
    return program + " exit " + std::to_string(exit_code) + (first.empty() ? "" : ": " + first);
}

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options) {
    CommandResult result;
    result.program = argv.empty() ? std::string() : argv.front();
    if (argv.empty()) {
        result.spawn_error = "empty command";
        return result;
    }
    const auto started = Monotonic::now();

    UniqueFd in_r, in_w, out_r, out_w, err_r, err_w;
    if (!make_pipe(in_r, in_w) || !make_pipe(out_r, out_w) || !make_pipe(err_r, err_w)) {
        result.spawn_error = std::strerror(errno);
        return result;
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_r.get(), 0);
    posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

    std::vector<std::string> args = argv;
    std::vector<std::string> env = environment(options.env);
    auto argp = pointers(args);
    auto envp = pointers(env);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, argv.front().c_str(), &actions, &attr, argp.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    in_r.reset();
    out_w.reset();
    err_w.reset();
    if (rc != 0) {
        result.spawn_error = std::strerror(rc);
        return result;
    }

    ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
    std::size_t written = 0;
    if (options.input.empty()) in_w.reset();

    const auto deadline = started + options.timeout;
    bool term_sent = false;
    Monotonic::time_point kill_at{};
    bool out_open = true, err_open = true;
    char buffer[65536];
    while (out_open || err_open || in_w.get() >= 0) {
        pollfd fds[3];
        nfds_t n = 0;
        int out_i = -1, err_i = -1, in_i = -1;
        if (out_open) { out_i = static_cast<int>(n); fds[n++] = {out_r.get(), POLLIN, 0}; }
        if (err_open) { err_i = static_cast<int>(n); fds[n++] = {err_r.get(), POLLIN, 0}; }
        if (in_w.get() >= 0) { in_i = static_cast<int>(n); fds[n++] = {in_w.get(), POLLOUT, 0}; }
        const auto now = Monotonic::now();
        if (!term_sent && now >= deadline) {
            ::kill(-pid, SIGTERM);
            ::kill(-pid, SIGCONT);
            term_sent = true;
            result.timed_out = true;
            kill_at = now + options.kill_after;
        }
        if (term_sent && now >= kill_at) {
            ::kill(-pid, SIGKILL);
            break;  // a grandchild may keep the pipes open: stop reading
        }
        const auto until = term_sent ? kill_at : deadline;
        const auto wait_ms = std::chrono::duration_cast<milliseconds>(until - now).count() + 1;
        const int ready = ::poll(fds, n, static_cast<int>(std::min<long long>(wait_ms, 1000)));
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        auto drain = [&](int index, UniqueFd& fd, std::string& sink, bool& open) {
            if (index < 0 || !(fds[index].revents & (POLLIN | POLLHUP | POLLERR))) return;
            const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
            if (got > 0) {
                const auto room = options.max_output > sink.size() ? options.max_output - sink.size() : 0;
                sink.append(buffer, std::min<std::size_t>(room, static_cast<std::size_t>(got)));
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                open = false;
            }
        };
        drain(out_i, out_r, result.out, out_open);
        drain(err_i, err_r, result.err, err_open);
        if (in_i >= 0 && (fds[in_i].revents & (POLLOUT | POLLERR | POLLHUP))) {
            // A child that exits without reading its stdin must not kill us
            // with SIGPIPE: block it around the write and consume it.
            sigset_t pipe_set, old_mask;
            sigemptyset(&pipe_set);
            sigaddset(&pipe_set, SIGPIPE);
            ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
            const ssize_t put = ::write(in_w.get(), options.input.data() + written, options.input.size() - written);
            const int write_errno = errno;
            if (put < 0 && write_errno == EPIPE) {
                const timespec zero{0, 0};
                ::sigtimedwait(&pipe_set, nullptr, &zero);
            }
            ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
            if (put > 0) written += static_cast<std::size_t>(put);
            if ((put < 0 && write_errno != EAGAIN && write_errno != EINTR) || written >= options.input.size())
                in_w.reset();
        }
    }
    in_w.reset();

    int status = 0;
    for (;;) {
        const pid_t r = ::waitpid(pid, &status, term_sent ? 0 : WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) break;
        if (r == 0) {
            // Pipes closed but the child has not exited yet: give it until the deadline.
            if (Monotonic::now() >= deadline) {
                ::kill(-pid, SIGTERM);
                ::kill(-pid, SIGCONT);
                result.timed_out = true;
                term_sent = true;
                const auto until = Monotonic::now() + options.kill_after;
                while (::waitpid(pid, &status, WNOHANG) == 0) {
                    if (Monotonic::now() >= until) {
                        ::kill(-pid, SIGKILL);
                        ::waitpid(pid, &status, 0);
                        break;
                    }
                    ::poll(nullptr, 0, 10);
                }
                break;
            }
            ::poll(nullptr, 0, 5);
        }
    }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    result.duration = std::chrono::duration_cast<milliseconds>(Monotonic::now() - started);
    return result;
}

}  // namespace gha::cluster

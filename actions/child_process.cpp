#include "actions/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>
#include <utility>

#include "monitors/unique_fd.hpp"

extern char** environ;

// glibc 2.34 has closefrom as a spawn file action: the child then cannot
// inherit an fd some library opened without O_CLOEXEC.
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define GHA_HAVE_SPAWN_CLOSEFROM 1
#endif

namespace gha {
namespace {

using Monotonic = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Only the destructor and a failed setup wait for a child synchronously, and
// only after SIGKILL; a child stuck in the kernel past this stays a zombie.
constexpr milliseconds kReapBound{2000};
constexpr std::size_t kMaxDescribedLine = 200;

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

std::error_code errno_code(int error) { return {error, std::generic_category()}; }

// A daemon started with a closed stdout could get fd 1 or 2 for a pipe end;
// the child's dup2s onto 1 and 2 would then clobber each other.
std::error_code move_above_stdio(int& fd) {
    if (fd > STDERR_FILENO) return {};
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (moved < 0) return errno_code(errno);
    ::close(fd);
    fd = moved;
    return {};
}

// O_CLOEXEC on both ends (the child gets its end through dup2, which clears
// it); O_NONBLOCK on the read end only: a child must not see EAGAIN on write.
std::error_code make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return errno_code(errno);
    *read_end.out() = fds[0];
    *write_end.out() = fds[1];
    if (auto ec = move_above_stdio(*read_end.out())) return ec;
    if (auto ec = move_above_stdio(*write_end.out())) return ec;
    const int flags = ::fcntl(read_end.get(), F_GETFL);
    if (flags < 0 || ::fcntl(read_end.get(), F_SETFL, flags | O_NONBLOCK) != 0)
        return errno_code(errno);
    return {};
}

// SIGKILL leaves the child nothing to run, so this is short in practice.
bool reap_blocking(pid_t pid, int pidfd) {
    const auto deadline = Monotonic::now() + kReapBound;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return true;
        if (r < 0 && errno == ECHILD) return true;  // already reaped elsewhere: no zombie either
        const auto left = std::chrono::ceil<milliseconds>(deadline - Monotonic::now());
        if (left.count() <= 0) return false;
        if (r < 0) continue;  // EINTR
        if (pidfd >= 0) {
            pollfd p{pidfd, POLLIN, 0};
            ::poll(&p, 1, static_cast<int>(left.count()));
        } else {
            std::this_thread::sleep_for(milliseconds(1));
        }
    }
}

bool scrubbed(std::string_view name) {
    // The child must never notify or ping systemd, or take our sockets, as us.
    return name == "NOTIFY_SOCKET" || name.starts_with("WATCHDOG_") || name == "LISTEN_FDS" ||
           name == "LISTEN_PID" || name == "LISTEN_FDNAMES";
}

std::string first_line(const std::string& text) {
    std::size_t begin = 0;
    while (begin < text.size()) {
        std::size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(begin, end - begin);
        for (char& c : line)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
        const auto first = line.find_first_not_of(' ');
        if (first != std::string::npos) {
            line.erase(0, first);
            line.erase(line.find_last_not_of(' ') + 1);
            if (line.size() > kMaxDescribedLine) line.resize(kMaxDescribedLine);
            return line;
        }
        begin = end + 1;
    }
    return {};
}

std::string signal_name(int sig) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
#endif
    return "signal " + std::to_string(sig);
}

// posix_spawn's C structures, destroyed on every path out of spawn().
struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    bool have_actions = false, have_attr = false;
    ~SpawnSetup() {
        if (have_actions) ::posix_spawn_file_actions_destroy(&actions);
        if (have_attr) ::posix_spawnattr_destroy(&attr);
    }
};

}  // namespace

std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto name = text.substr(0, text.find('='));
        if (scrubbed(name) || extra.count(std::string(name)) != 0) continue;
        env.emplace_back(text);
    }
    for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
    return env;
}

std::string ChildResult::describe() const {
    if (error == std::errc::timed_out)
        return "timed out after " + std::to_string(timeout.count()) + " ms";
    if (error == std::errc::operation_canceled) return "canceled";
    if (error) return "cannot run " + program + ": " + error.message();
    std::string line = first_line(err);
    std::string text =
        signal != 0 ? "killed by " + signal_name(signal) : "exit " + std::to_string(exit_code);
    if (!line.empty()) text += ": " + line;
    return text;
}

ChildProcess::ChildProcess(asio::io_context& io, ChildOptions options, Handler handler)
    : io_(io),
      options_(std::move(options)),
      handler_(std::move(handler)),
      out_(io),
      err_(io),
      pidfd_(io),
      deadline_(io),
      drain_(io) {
    out_.text = &result_.out;
    out_.truncated = &result_.out_truncated;
    err_.text = &result_.err;
    err_.truncated = &result_.err_truncated;
}

// Reached with the child still unreaped only when nobody can wait for it any
// more: the io_context is being destroyed (it dropped the handler that kept
// us alive) or a setup step failed. No zombie, no orphaned process group.
ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
        signal_group(SIGKILL);
        reap_blocking(pid_, pidfd_.is_open() ? pidfd_.native_handle() : -1);
    }
}

std::shared_ptr<ChildProcess> ChildProcess::start(asio::io_context& io,
                                                  std::vector<std::string> argv,
                                                  ChildOptions options, Handler handler) {
    std::shared_ptr<ChildProcess> self(
        new ChildProcess(io, std::move(options), std::move(handler)));
    self->result_.program = argv.empty() ? std::string() : argv.front();
    self->result_.timeout = self->options_.timeout;
    self->started_ = Monotonic::now();
    if (auto ec = self->spawn(argv)) {
        self->result_.error = ec;
        self->post_finish();  // never from inside start()
        return self;
    }
    self->read(self->out_);
    self->read(self->err_);
    self->wait_for_exit();
    if (self->options_.timeout.count() > 0) {
        self->deadline_.expires_after(self->options_.timeout);
        self->deadline_.async_wait(self->guarded([s = self.get()](std::error_code ec) {
            if (!ec) s->on_timeout();
        }));
    }
    return self;
}

std::error_code ChildProcess::spawn(const std::vector<std::string>& argv) {
    if (argv.empty() || argv.front().empty()) return std::make_error_code(std::errc::invalid_argument);
    for (const auto& [name, value] : options_.env)
        if (name.empty() || name.find('=') != std::string::npos)
            return std::make_error_code(std::errc::invalid_argument);

    UniqueFd out_read, out_write, err_read, err_write;
    if (auto ec = make_pipe(out_read, out_write)) return ec;
    if (auto ec = make_pipe(err_read, err_write)) return ec;

    SpawnSetup setup;
    int rc = ::posix_spawn_file_actions_init(&setup.actions);
    if (rc != 0) return errno_code(rc);
    setup.have_actions = true;
    rc = ::posix_spawnattr_init(&setup.attr);
    if (rc != 0) return errno_code(rc);
    setup.have_attr = true;

    auto* actions = &setup.actions;
    if ((rc = ::posix_spawn_file_actions_addopen(actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) ||
        (rc = ::posix_spawn_file_actions_adddup2(actions, out_write.get(), STDOUT_FILENO)) ||
        (rc = ::posix_spawn_file_actions_adddup2(actions, err_write.get(), STDERR_FILENO)))
        return errno_code(rc);
#ifdef GHA_HAVE_SPAWN_CLOSEFROM
    if ((rc = ::posix_spawn_file_actions_addclosefrom_np(actions, STDERR_FILENO + 1)))
        return errno_code(rc);
#endif

    // The daemon blocks and handles signals for asio::signal_set; the child
    // starts clean. Its own process group lets a kill reach its children too.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    auto* attr = &setup.attr;
    if ((rc = ::posix_spawnattr_setsigmask(attr, &none)) ||
        (rc = ::posix_spawnattr_setsigdefault(attr, &all)) ||
        (rc = ::posix_spawnattr_setpgroup(attr, 0)) ||
        (rc = ::posix_spawnattr_setflags(
             attr, static_cast<short>(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP))))
        return errno_code(rc);

    std::vector<std::string> env = child_environment(options_.env);
    std::vector<char*> envp;
    envp.reserve(env.size() + 1);
    for (auto& entry : env) envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));  // not written to
    args.push_back(nullptr);

    // Exec failures (ENOENT, EACCES) come back as rc: glibc spawns with
    // CLONE_VFORK and reaps the failed child itself. posix_spawnp searches
    // the PATH of our environment, not of options.env.
    pid_t pid = -1;
    const bool search = argv.front().find('/') == std::string::npos;
    rc = search ? ::posix_spawnp(&pid, args[0], actions, attr, args.data(), envp.data())
                : ::posix_spawn(&pid, args[0], actions, attr, args.data(), envp.data());
    out_write.reset();  // only the child writes: EOF comes when it (and its children) are done
    err_write.reset();
    if (rc != 0) return errno_code(rc);
    pid_ = pid;

    // From here on a failure must not leave the child behind; the destructor
    // kills and reaps what is not reaped.
    std::error_code ec;
    const int pidfd = pidfd_open(pid);
    if (pidfd < 0) ec = errno_code(errno);
    if (!ec) {
        pidfd_.assign(pidfd, ec);
        if (ec) ::close(pidfd);
    }
    for (auto [stream, fd] : {std::pair{&out_, &out_read}, std::pair{&err_, &err_read}}) {
        if (ec) break;
        const int raw = fd->release();
        stream->pipe.assign(raw, ec);
        if (ec) ::close(raw);
        stream->open = !ec;
    }
    if (ec) {
        signal_group(SIGKILL);
        reaped_ = reap_blocking(pid_, pidfd_.is_open() ? pidfd_.native_handle() : -1);
    }
    return ec;
}

void ChildProcess::read(Stream& stream) {
    stream.pipe.async_read_some(
        asio::buffer(stream.buffer), guarded([this, &stream](std::error_code ec, std::size_t n) {
            if (ec == asio::error::operation_aborted || done_ || !stream.open) return;
            // Past the cap, keep reading and dropping: a child blocked on a
            // full pipe would never exit.
            const std::size_t room =
                options_.max_output - std::min(options_.max_output, stream.text->size());
            const std::size_t kept = std::min(n, room);
            stream.text->append(stream.buffer.data(), kept);
            if (kept < n) *stream.truncated = true;
            if (!ec) {
                read(stream);
                return;
            }
            // EOF (or a read error, which ends the stream just the same).
            std::error_code ignored;
            stream.pipe.close(ignored);
            stream.open = false;
            if (reaped_ && streams_done()) finish();
        }));
}

// The one handler holding a strong reference while the child runs: it keeps
// us alive without an owner, and when the io_context is destroyed under us,
// dropping it runs the destructor, which kills and reaps the child.
void ChildProcess::wait_for_exit() {
    pidfd_.async_wait(asio::posix::stream_descriptor::wait_read,
                      [self = shared_from_this()](std::error_code ec) { self->on_exit_seen(ec); });
}

void ChildProcess::on_exit_seen(std::error_code ec) {
    if (ec == asio::error::operation_aborted || done_ || reaped_) return;
    // Still a zombie, so the group id is still ours: finish off anything it
    // left running from the group we were killing.
    if (signalled_) signal_group(SIGKILL);
    int status = 0;
    pid_t r;
    do r = ::waitpid(pid_, &status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0) {  // not exited after all
        if (!ec) {
            wait_for_exit();
            return;
        }
        if (!result_.error) result_.error = ec;  // cannot watch it any more
        signal_group(SIGKILL);
        reap_blocking(pid_, pidfd_.native_handle());
    } else if (r < 0) {
        // ECHILD: someone reaped it behind our back (SIGCHLD ignored, or a
        // waitpid(-1) elsewhere); its status is lost.
        if (!result_.error) result_.error = errno_code(errno);
    } else if (WIFEXITED(status)) {
        result_.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result_.signal = WTERMSIG(status);
    }
    reaped_ = true;
    deadline_.cancel();
    if (streams_done()) {
        finish();
        return;
    }
    // Pipes still open after the exit: a grandchild holds them. Bounded.
    drain_.expires_after(options_.drain_after_exit);
    drain_.async_wait([self = shared_from_this()](std::error_code wait_ec) {
        if (!wait_ec && !self->done_) self->finish();
    });
}

void ChildProcess::on_timeout() {
    if (done_ || reaped_ || signalled_) return;
    if (!result_.error) result_.error = std::make_error_code(std::errc::timed_out);
    terminate();
}

void ChildProcess::cancel() {
    if (done_) return;
    if (!result_.error) result_.error = std::make_error_code(std::errc::operation_canceled);
    if (pid_ < 0) return;  // the spawn failed; that report is already on its way
    if (reaped_) {
        post_finish();  // only draining the pipes: stop now
        return;
    }
    terminate();
}

void ChildProcess::terminate() {
    if (signalled_ || reaped_) return;
    signalled_ = true;
    if (options_.kill_after.count() <= 0) {
        signal_group(SIGKILL);
        return;
    }
    signal_group(SIGTERM);
    // Replaces the timeout wait; a timeout completion already queued finds
    // signalled_ set and does nothing.
    deadline_.expires_after(options_.kill_after);
    deadline_.async_wait(guarded([this](std::error_code ec) {
        if (!ec && !reaped_ && !done_) signal_group(SIGKILL);
    }));
}

// Only while the child is unreaped: until then its pid, and so its process
// group id, cannot be reused by anyone else.
void ChildProcess::signal_group(int sig) const {
    if (pid_ <= 0 || reaped_) return;
    ::kill(-pid_, sig);
    ::kill(pid_, sig);  // in case it moved to another group
}

void ChildProcess::post_finish() {
    asio::post(io_, [self = shared_from_this()] { self->finish(); });
}

void ChildProcess::finish() {
    if (done_) return;
    done_ = true;
    std::error_code ignored;
    deadline_.cancel();
    drain_.cancel();
    out_.pipe.close(ignored);
    err_.pipe.close(ignored);
    out_.open = err_.open = false;
    if (reaped_) pidfd_.close(ignored);
    result_.duration = std::chrono::duration_cast<milliseconds>(Monotonic::now() - started_);
    // Moved out first: the handler may call cancel() or drop the last owner.
    Handler handler = std::move(handler_);
    handler_ = nullptr;
    if (handler) handler(result_);
}

}  // namespace gha

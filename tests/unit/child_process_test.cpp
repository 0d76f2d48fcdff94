// The child-process runner with real processes (/bin/sh, sleep, env, ls): it
// is about posix_spawn, pipes, pidfds and signals, so faking them would test
// nothing. No fixed sleeps: every wait is a loop on the io_context with a
// deadline.
#include "actions/child_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/steady_timer.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace gha {
namespace {

using namespace std::chrono_literals;
using Monotonic = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Runs the loop until `done` or the deadline; false on the deadline, or when
// the loop ran out of work first.
template <class Pred>
bool run_until(asio::io_context& io, Pred done, std::chrono::milliseconds limit = 20s) {
    const auto deadline = Monotonic::now() + limit;
    while (!done()) {
        if (io.stopped() || Monotonic::now() >= deadline) return done();
        io.run_one_for(10ms);
    }
    return true;
}

struct Run {
    ChildResult result;
    int calls = 0;
    bool called_inline = false;
    bool left_no_work = false;
    pid_t pid = -1;
    std::chrono::milliseconds wall{0};
};

Run run(std::vector<std::string> argv, ChildOptions options = {}) {
    asio::io_context io;
    Run r;
    const auto begin = Monotonic::now();
    auto child = ChildProcess::start(io, std::move(argv), std::move(options),
                                     [&r](const ChildResult& result) {
                                         ++r.calls;
                                         r.result = result;
                                     });
    r.called_inline = r.calls != 0;
    r.pid = child->pid();
    child.reset();  // a running child keeps itself alive
    EXPECT_TRUE(run_until(io, [&] { return r.calls > 0; })) << "no report";
    r.wall = std::chrono::duration_cast<std::chrono::milliseconds>(Monotonic::now() - begin);
    // Once it reported, nothing of it may stay pending or report again.
    io.restart();
    io.run_for(10s);
    r.left_no_work = io.stopped();
    EXPECT_EQ(r.calls, 1);
    EXPECT_FALSE(r.called_inline);
    EXPECT_TRUE(r.left_no_work);
    return r;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> result;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
}

// Gone, or a zombie waiting for whoever inherited it: either way not running.
bool not_running(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) return true;
    const auto paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

bool eventually_not_running(pid_t pid) {
    asio::io_context io;
    asio::steady_timer tick(io);
    const auto deadline = Monotonic::now() + 10s;
    while (!not_running(pid)) {
        if (Monotonic::now() >= deadline) return false;
        tick.expires_after(5ms);
        tick.wait();
    }
    return true;
}

bool reaped_by_us(pid_t pid) {
    errno = 0;
    const pid_t r = ::waitpid(pid, nullptr, WNOHANG);
    return r == -1 && errno == ECHILD && !fs::exists("/proc/" + std::to_string(pid));
}

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "gha-child-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data()) ? pattern : std::string();
    }
    ~TempDir() {
        std::error_code ignored;
        if (!path_.empty()) fs::remove_all(path_, ignored);
    }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// setenv for the length of a test.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value, 1);
    }
    ~ScopedEnv() {
        if (old_) ::setenv(name_.c_str(), old_->c_str(), 1);
        else ::unsetenv(name_.c_str());
    }

private:
    std::string name_;
    std::optional<std::string> old_;
};

TEST(ChildProcess, CapturesStdoutAndStderr) {
    const auto r = run({"/bin/sh", "-c", "echo out; echo err >&2; printf 'no newline'"});
    EXPECT_TRUE(r.result.ok()) << r.result.describe();
    EXPECT_FALSE(r.result.error);
    EXPECT_EQ(r.result.exit_code, 0);
    EXPECT_EQ(r.result.signal, 0);
    EXPECT_EQ(r.result.out, "out\nno newline");
    EXPECT_EQ(r.result.err, "err\n");
    EXPECT_FALSE(r.result.out_truncated);
    EXPECT_FALSE(r.result.err_truncated);
    EXPECT_EQ(r.result.program, "/bin/sh");
    EXPECT_GT(r.pid, 0);
    EXPECT_TRUE(reaped_by_us(r.pid));
}

TEST(ChildProcess, ReportsNonZeroExitWithFirstStderrLine) {
    const auto r = run({"/bin/sh", "-c", "echo; echo '  first line  ' >&2; echo second >&2; exit 102"});
    EXPECT_FALSE(r.result.ok());
    EXPECT_FALSE(r.result.error);
    EXPECT_EQ(r.result.exit_code, 102);
    EXPECT_EQ(r.result.signal, 0);
    EXPECT_EQ(r.result.describe(), "exit 102: first line");
}

TEST(ChildProcess, SearchesPathForABareName) {
    const auto r = run({"false"});
    EXPECT_FALSE(r.result.error);
    EXPECT_EQ(r.result.exit_code, 1);
    EXPECT_EQ(r.result.describe(), "exit 1");
    EXPECT_TRUE(run({"true"}).result.ok());
}

TEST(ChildProcess, ReportsDeathBySignal) {
    const auto r = run({"/bin/sh", "-c", "echo dying >&2; kill -KILL $$"});
    EXPECT_FALSE(r.result.ok());
    EXPECT_FALSE(r.result.error);
    EXPECT_EQ(r.result.exit_code, -1);
    EXPECT_EQ(r.result.signal, SIGKILL);
    EXPECT_EQ(r.result.describe(), "killed by SIGKILL: dying");
}

TEST(ChildProcess, MissingBinaryIsAnErrorNotACrash) {
    const auto r = run({"gha-no-such-binary", "-n", "x"});
    EXPECT_EQ(r.result.error, std::errc::no_such_file_or_directory);
    EXPECT_FALSE(r.result.ok());
    EXPECT_EQ(r.pid, -1);
    EXPECT_EQ(r.result.describe(), "cannot run gha-no-such-binary: No such file or directory");

    const auto absolute = run({"/nonexistent/gha/attrd_updater"});
    EXPECT_EQ(absolute.result.error, std::errc::no_such_file_or_directory);
}

TEST(ChildProcess, NonExecutableFileIsAnError) {
    TempDir dir;
    const auto path = dir.file("script");
    std::ofstream(path) << "#!/bin/sh\nexit 0\n";
    ::chmod(path.c_str(), 0644);
    const auto r = run({path});
    EXPECT_EQ(r.result.error, std::errc::permission_denied);
}

TEST(ChildProcess, RejectsEmptyArgvAndBadEnvNames) {
    EXPECT_EQ(run({}).result.error, std::errc::invalid_argument);
    ChildOptions options;
    options.env["A=B"] = "c";
    EXPECT_EQ(run({"true"}, options).result.error, std::errc::invalid_argument);
}

TEST(ChildProcess, StdinIsDevNull) {
    const auto r = run({"cat"});  // would wait for our stdin otherwise
    EXPECT_TRUE(r.result.ok()) << r.result.describe();
    EXPECT_EQ(r.result.out, "");
}

TEST(ChildProcess, TimeoutTerminates) {
    ChildOptions options;
    options.timeout = 200ms;
    const auto r = run({"sleep", "30"}, options);
    EXPECT_EQ(r.result.error, std::errc::timed_out);
    EXPECT_EQ(r.result.signal, SIGTERM);
    EXPECT_FALSE(r.result.ok());
    EXPECT_EQ(r.result.describe(), "timed out after 200 ms");
    EXPECT_GE(r.result.duration, 200ms);
    EXPECT_LT(r.wall, 200ms + 3s);
    EXPECT_TRUE(reaped_by_us(r.pid));
}

TEST(ChildProcess, TimeoutEscalatesToSigkill) {
    ChildOptions options;
    options.timeout = 500ms;  // ample for sh to set its trap first
    options.kill_after = 300ms;
    const auto r = run({"/bin/sh", "-c", "trap '' TERM; sleep 30"}, options);
    EXPECT_EQ(r.result.error, std::errc::timed_out);
    EXPECT_EQ(r.result.signal, SIGKILL);
    EXPECT_GE(r.result.duration, 800ms);
    EXPECT_LT(r.wall, 800ms + 3s);
}

TEST(ChildProcess, TimeoutKillsTheWholeProcessGroup) {
    ChildOptions options;
    options.timeout = 300ms;
    const auto r = run({"/bin/sh", "-c", "sleep 30 & echo $!; wait"}, options);
    EXPECT_EQ(r.result.error, std::errc::timed_out);
    EXPECT_LT(r.wall, 300ms + 3s);
    const pid_t grandchild = std::atoi(r.result.out.c_str());
    ASSERT_GT(grandchild, 0) << r.result.out;
    EXPECT_TRUE(eventually_not_running(grandchild));
}

TEST(ChildProcess, RunsInItsOwnProcessGroup) {
    const auto r = run({"cat", "/proc/self/stat"});
    ASSERT_TRUE(r.result.ok()) << r.result.describe();
    // pid (comm) state ppid pgrp ...
    std::istringstream fields(r.result.out.substr(r.result.out.rfind(')') + 2));
    std::string state;
    pid_t ppid = 0, pgrp = 0;
    fields >> state >> ppid >> pgrp;
    EXPECT_EQ(ppid, ::getpid());
    EXPECT_EQ(pgrp, r.pid);
}

TEST(ChildProcess, GivesUpOnPipesHeldByAGrandchild) {
    ChildOptions options;
    options.drain_after_exit = 300ms;
    const auto r = run({"/bin/sh", "-c", "sleep 30 & echo $!"}, options);
    const pid_t grandchild = std::atoi(r.result.out.c_str());
    if (grandchild > 0) ::kill(grandchild, SIGKILL);
    EXPECT_TRUE(r.result.ok()) << r.result.describe();
    EXPECT_GT(grandchild, 0) << r.result.out;
    EXPECT_GE(r.result.duration, 300ms);
    EXPECT_LT(r.wall, 300ms + 3s);
}

TEST(ChildProcess, CapsOutputAndKeepsDraining) {
    ChildOptions options;
    options.max_output = 64 * 1024;
    const auto r =
        run({"/bin/sh", "-c", "head -c 1048576 /dev/zero; echo done >&2"}, options);
    EXPECT_TRUE(r.result.ok()) << r.result.describe();
    EXPECT_EQ(r.result.out.size(), 64u * 1024u);
    EXPECT_TRUE(r.result.out_truncated);
    EXPECT_EQ(r.result.err, "done\n");
    EXPECT_FALSE(r.result.err_truncated);

    options.max_output = 4;
    const auto small = run({"/bin/sh", "-c", "printf abcdefgh >&2"}, options);
    EXPECT_EQ(small.result.err, "abcd");
    EXPECT_TRUE(small.result.err_truncated);
    EXPECT_FALSE(small.result.out_truncated);
}

TEST(ChildProcess, ScrubsSystemdVariablesAndAddsOptions) {
    ScopedEnv notify("NOTIFY_SOCKET", "/run/systemd/notify");
    ScopedEnv usec("WATCHDOG_USEC", "2000000");
    ScopedEnv wpid("WATCHDOG_PID", "1");
    ScopedEnv listen_fds("LISTEN_FDS", "1");
    ScopedEnv listen_pid("LISTEN_PID", "1");
    ScopedEnv listen_names("LISTEN_FDNAMES", "x");
    ScopedEnv kept("GHA_TEST_KEPT", "ours");
    ScopedEnv overridden("GHA_TEST_OVERRIDDEN", "old");
    ChildOptions options;
    options.env = {{"GHA_TEST_ADDED", "yes"}, {"GHA_TEST_OVERRIDDEN", "new"}};
    const auto r = run({"env"}, options);
    ASSERT_TRUE(r.result.ok()) << r.result.describe();
    std::set<std::string> names;
    std::set<std::string> entries;
    for (const auto& line : lines(r.result.out)) {
        entries.insert(line);
        names.insert(line.substr(0, line.find('=')));
    }
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS",
                             "LISTEN_PID", "LISTEN_FDNAMES"})
        EXPECT_EQ(names.count(name), 0u) << name;
    EXPECT_EQ(entries.count("GHA_TEST_KEPT=ours"), 1u);
    EXPECT_EQ(entries.count("GHA_TEST_ADDED=yes"), 1u);
    EXPECT_EQ(entries.count("GHA_TEST_OVERRIDDEN=new"), 1u);
    EXPECT_EQ(entries.count("GHA_TEST_OVERRIDDEN=old"), 0u);
}

TEST(ChildProcess, ChildEnvironmentHelper) {
    ScopedEnv notify("NOTIFY_SOCKET", "@x");
    ScopedEnv other("WATCHDOG_SOMETHING", "1");
    const auto env = child_environment({{"PATH", "/only"}});
    EXPECT_EQ(std::count(env.begin(), env.end(), "PATH=/only"), 1);
    for (const auto& entry : env) {
        EXPECT_FALSE(entry.starts_with("NOTIFY_SOCKET=")) << entry;
        EXPECT_FALSE(entry.starts_with("WATCHDOG_")) << entry;
        if (entry.starts_with("PATH=")) {
            EXPECT_EQ(entry, "PATH=/only");
        }
    }
}

TEST(ChildProcess, NoFdLeaksIntoTheChild) {
    TempDir dir;
    const auto marker = dir.file("leak-marker");
    std::ofstream(marker) << "x";
    // Deliberately without O_CLOEXEC, and at a number nothing else uses.
    const int plain = ::open(marker.c_str(), O_RDONLY);
    ASSERT_GE(plain, 0);
    const int high = ::fcntl(plain, F_DUPFD, 100);
    ASSERT_GE(high, 100);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);

    const auto r = run({"ls", "-l", "/proc/self/fd/"});
    ::close(plain);
    ::close(high);
    ::close(fds[0]);
    ::close(fds[1]);
    ASSERT_TRUE(r.result.ok()) << r.result.describe();
    std::set<int> seen;
    for (const auto& line : lines(r.result.out)) {
        const auto arrow = line.find(" -> ");
        if (arrow == std::string::npos) continue;
        const auto space = line.rfind(' ', arrow - 1);
        seen.insert(std::atoi(line.c_str() + space + 1));
        if (line.compare(space + 1, 5, "0 -> ") == 0) {
            EXPECT_NE(line.find("/dev/null"), std::string::npos) << line;
        }
    }
    // 0-2, and 3: the directory ls itself is reading.
    EXPECT_EQ(seen, (std::set<int>{0, 1, 2, 3})) << r.result.out;
    EXPECT_EQ(r.result.out.find("leak-marker"), std::string::npos) << r.result.out;
}

TEST(ChildProcess, ResetsSignalMaskAndDispositions) {
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
    struct sigaction ignore{}, old_action{};
    ignore.sa_handler = SIG_IGN;
    ASSERT_EQ(::sigaction(SIGUSR1, &ignore, &old_action), 0);

    const auto r = run({"grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"});

    ::sigaction(SIGUSR1, &old_action, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    ASSERT_TRUE(r.result.ok()) << r.result.describe();
    std::map<std::string, unsigned long long> masks;
    for (const auto& line : lines(r.result.out)) {
        const auto colon = line.find(':');
        masks[line.substr(0, colon)] = std::stoull(line.substr(colon + 1), nullptr, 16);
    }
    ASSERT_EQ(masks.size(), 2u) << r.result.out;
    EXPECT_EQ(masks["SigBlk"], 0u) << r.result.out;
    // Signals 1-31 only: glibc's posix_spawn itself leaves its internal
    // signals 32 and 33 (SIGCANCEL, SIGSETXID) ignored in every child.
    EXPECT_EQ(masks["SigIgn"] & 0x7fffffffULL, 0u) << r.result.out;
}

TEST(ChildProcess, LoopKeepsRunningWhileTheChildDoes) {
    asio::io_context io;
    int calls = 0;
    ChildResult result;
    ChildProcess::start(io, {"sleep", "0.3"}, {}, [&](const ChildResult& res) {
        ++calls;
        result = res;
    });
    int ticks = 0;
    asio::steady_timer tick(io);
    std::function<void()> arm = [&] {
        tick.expires_after(10ms);
        tick.async_wait([&](std::error_code ec) {
            if (ec || calls > 0) return;
            ++ticks;
            arm();
        });
    };
    arm();
    ASSERT_TRUE(run_until(io, [&] { return calls > 0; }));
    EXPECT_TRUE(result.ok()) << result.describe();
    EXPECT_GE(result.duration, 300ms);
    EXPECT_GE(ticks, 5);
}

TEST(ChildProcess, CancelTerminatesAndStillReports) {
    asio::io_context io;
    int calls = 0;
    ChildResult result;
    ChildOptions options;
    options.timeout = 60s;
    auto child = ChildProcess::start(io, {"sleep", "30"}, options, [&](const ChildResult& res) {
        ++calls;
        result = res;
    });
    child->cancel();
    EXPECT_EQ(calls, 0);  // never from inside cancel()
    const auto begin = Monotonic::now();
    ASSERT_TRUE(run_until(io, [&] { return calls > 0; }));
    EXPECT_LT(Monotonic::now() - begin, 3s);
    EXPECT_EQ(result.error, std::errc::operation_canceled);
    EXPECT_EQ(result.signal, SIGTERM);
    EXPECT_EQ(result.describe(), "canceled");
    EXPECT_TRUE(child->finished());
    child->cancel();  // after the report: nothing
    io.restart();
    io.run_for(10s);
    EXPECT_TRUE(io.stopped());
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(reaped_by_us(child->pid()));
}

TEST(ChildProcess, CancelEscalatesToSigkill) {
    TempDir dir;
    const auto ready = dir.file("ready");
    asio::io_context io;
    int calls = 0;
    ChildResult result;
    ChildOptions options;
    options.timeout = 0ms;  // none
    options.kill_after = 200ms;
    auto child = ChildProcess::start(io, {"/bin/sh", "-c", "trap '' TERM; touch \"$1\"; sleep 30", "sh", ready},
                                     options, [&](const ChildResult& res) {
                                         ++calls;
                                         result = res;
                                     });
    ASSERT_TRUE(run_until(io, [&] { return fs::exists(ready); }));
    const auto begin = Monotonic::now();
    child->cancel();
    ASSERT_TRUE(run_until(io, [&] { return calls > 0; }));
    EXPECT_GE(Monotonic::now() - begin, 200ms);
    EXPECT_LT(Monotonic::now() - begin, 3s);
    EXPECT_EQ(result.error, std::errc::operation_canceled);
    EXPECT_EQ(result.signal, SIGKILL);
}

TEST(ChildProcess, CancelWhileDrainingReportsAtOnce) {
    asio::io_context io;
    int calls = 0;
    ChildResult result;
    ChildOptions options;
    options.drain_after_exit = 60s;
    auto child = ChildProcess::start(io, {"/bin/sh", "-c", "sleep 30 & echo $!"}, options,
                                     [&](const ChildResult& res) {
                                         ++calls;
                                         result = res;
                                     });
    const pid_t pid = child->pid();
    // Reaped by us (gone from /proc) while the grandchild holds the pipes.
    ASSERT_TRUE(run_until(io, [&] { return !fs::exists("/proc/" + std::to_string(pid)); }));
    EXPECT_EQ(calls, 0);
    child->cancel();
    ASSERT_TRUE(run_until(io, [&] { return calls > 0; }, 3s));
    const pid_t grandchild = std::atoi(result.out.c_str());
    if (grandchild > 0) ::kill(grandchild, SIGKILL);
    EXPECT_EQ(result.error, std::errc::operation_canceled);
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_GT(grandchild, 0);
}

TEST(ChildProcess, CancelAfterSpawnFailureKeepsTheSpawnError) {
    asio::io_context io;
    int calls = 0;
    ChildResult result;
    auto child = ChildProcess::start(io, {"gha-no-such-binary"}, {}, [&](const ChildResult& res) {
        ++calls;
        result = res;
    });
    child->cancel();
    ASSERT_TRUE(run_until(io, [&] { return calls > 0; }));
    EXPECT_EQ(result.error, std::errc::no_such_file_or_directory);
    io.restart();
    io.run_for(10s);
    EXPECT_EQ(calls, 1);
}

TEST(ChildProcess, HandlerMayDropTheLastReference) {
    asio::io_context io;
    int calls = 0;
    std::shared_ptr<ChildProcess> child;
    child = ChildProcess::start(io, {"true"}, {}, [&](const ChildResult& result) {
        ++calls;
        EXPECT_TRUE(result.ok());
        child->cancel();  // no effect once reporting
        child.reset();
    });
    ASSERT_TRUE(run_until(io, [&] { return calls > 0; }));
    io.restart();
    io.run_for(10s);
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(child);
}

TEST(ChildProcess, DestroyingTheLoopMidRunKillsAndReaps) {
    int calls = 0;
    pid_t pid = -1;
    {
        asio::io_context io;
        auto child = ChildProcess::start(io, {"sleep", "30"}, {},
                                         [&](const ChildResult&) { ++calls; });
        pid = child->pid();
        io.run_for(20ms);  // running or not, the outcome must be the same
        child.reset();
    }
    ASSERT_GT(pid, 0);
    EXPECT_EQ(calls, 0);
    EXPECT_TRUE(reaped_by_us(pid));

    {  // never run at all, and we still hold the pointer (released first)
        asio::io_context io;
        auto child = ChildProcess::start(io, {"sleep", "30"}, {}, [&](const ChildResult&) { ++calls; });
        pid = child->pid();
    }
    EXPECT_EQ(calls, 0);
    EXPECT_TRUE(reaped_by_us(pid));
}

TEST(ChildProcess, DestroyingTheLoopMidRunKillsTheWholeGroup) {
    TempDir dir;
    const auto pidfile = dir.file("grandchild");
    pid_t pid = -1;
    {
        asio::io_context io;
        auto child = ChildProcess::start(
            io, {"/bin/sh", "-c", "sleep 30 & echo $! > \"$1.tmp\"; mv \"$1.tmp\" \"$1\"; wait", "sh", pidfile},
            {}, [](const ChildResult&) {});
        pid = child->pid();
        ASSERT_TRUE(run_until(io, [&] { return fs::exists(pidfile); }));
    }
    EXPECT_TRUE(reaped_by_us(pid));
    pid_t grandchild = 0;
    std::ifstream(pidfile) >> grandchild;
    ASSERT_GT(grandchild, 0);
    EXPECT_TRUE(eventually_not_running(grandchild));
}

TEST(ChildProcess, DestroyingTheLoopWhileDrainingIsClean) {
    TempDir dir;
    const auto pidfile = dir.file("grandchild");
    int calls = 0;
    pid_t pid = -1;
    {
        asio::io_context io;
        ChildOptions options;
        options.drain_after_exit = 60s;
        auto child = ChildProcess::start(
            io, {"/bin/sh", "-c", "sleep 30 & echo $! > \"$1.tmp\"; mv \"$1.tmp\" \"$1\"", "sh", pidfile},
            options, [&](const ChildResult&) { ++calls; });
        pid = child->pid();
        child.reset();
        // Reaped by us while the grandchild still holds the pipes.
        ASSERT_TRUE(run_until(io, [&] { return !fs::exists("/proc/" + std::to_string(pid)); }));
    }
    EXPECT_EQ(calls, 0);
    EXPECT_TRUE(reaped_by_us(pid));
    pid_t grandchild = 0;
    std::ifstream(pidfile) >> grandchild;
    ASSERT_GT(grandchild, 0);
    ::kill(grandchild, SIGKILL);  // a child that exited normally leaves its children alone
}

TEST(ChildResult, Describe) {
    ChildResult r;
    r.program = "attrd_updater";
    r.error = std::make_error_code(std::errc::no_such_file_or_directory);
    EXPECT_EQ(r.describe(), "cannot run attrd_updater: No such file or directory");
    r.error = std::make_error_code(std::errc::timed_out);
    r.timeout = 5000ms;
    EXPECT_EQ(r.describe(), "timed out after 5000 ms");
    r.error.clear();
    r.exit_code = 0;
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.describe(), "exit 0");
    r.exit_code = 102;
    r.err = "\n  \n\tcould not connect\r\nmore\n";
    EXPECT_EQ(r.describe(), "exit 102: could not connect");
    r.err = std::string(1000, 'x');
    EXPECT_EQ(r.describe().size(), std::string("exit 102: ").size() + 200);
    r.exit_code = -1;
    r.signal = SIGTERM;
    r.err.clear();
    EXPECT_EQ(r.describe(), "killed by SIGTERM");
    EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace gha

// PidfdKiller with real processes (a forked child that pauses): it is about
// pidfds and signals, so faking them would test nothing. The wait runs on
// the io_context with a deadline, never a fixed sleep.
#include "actions/process_killer.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "monitors/asio_clock.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;

// A child that waits for a signal; the test is its parent and reaps it.
struct Child {
    Child() {
        pid = ::fork();
        if (pid == 0) {
            for (;;) ::pause();
        }
        pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    }
    ~Child() {
        if (!reaped) {
            ::kill(pid, SIGKILL);
            status();
        }
        if (pidfd >= 0) ::close(pidfd);
    }
    int status() {
        int s = 0;
        ::waitpid(pid, &s, 0);
        reaped = true;
        return s;
    }
    pid_t pid = -1;
    int pidfd = -1;
    bool reaped = false;
};

class PidfdKillerTest : public ::testing::Test {
protected:
    bool run_until_done(std::chrono::milliseconds limit = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!result && std::chrono::steady_clock::now() < deadline) io.run_one_for(10ms);
        return result.has_value();
    }
    KillDone record() {
        return [this](KillResult r) { result = r; };
    }
    asio::io_context io;
    AsioClock clock{io};
    std::optional<KillResult> result;
};

TEST_F(PidfdKillerTest, KillsThroughThePidfdAndConfirmsTheExit) {
    Child child;
    ASSERT_GE(child.pidfd, 0);
    PidfdKiller killer(io, clock);
    killer.kill(child.pidfd, 5000ms, record());
    ASSERT_TRUE(run_until_done());
    EXPECT_FALSE(result->error) << result->error.message();
    EXPECT_FALSE(result->already_gone);
    EXPECT_LT(result->waited, 5000ms);
    const int status = child.status();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

// A stopped process (the hang the fence is for) dies of SIGKILL too.
TEST_F(PidfdKillerTest, AStoppedProcessIsKilled) {
    Child child;
    ASSERT_EQ(::kill(child.pid, SIGSTOP), 0);
    PidfdKiller killer(io, clock);
    killer.kill(child.pidfd, 5000ms, record());
    ASSERT_TRUE(run_until_done());
    EXPECT_FALSE(result->error);
    const int status = child.status();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

// Exited but not reaped (a zombie): already gone, and nothing is signalled.
TEST_F(PidfdKillerTest, AZombieIsAlreadyGone) {
    Child child;
    ASSERT_EQ(::kill(child.pid, SIGTERM), 0);
    pollfd p{child.pidfd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1);
    PidfdKiller killer(io, clock);
    killer.kill(child.pidfd, 5000ms, record());
    ASSERT_TRUE(result.has_value()) << "answered at once";
    EXPECT_TRUE(result->already_gone);
    EXPECT_FALSE(result->error);
    const int status = child.status();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "signalled again";
}

// Its owner gone mid-wait: no callback, and the loop drains cleanly.
TEST_F(PidfdKillerTest, ADestroyedKillerCallsNothing) {
    Child child;
    {
        PidfdKiller killer(io, clock);
        killer.kill(child.pidfd, 5000ms, record());
    }
    io.run_for(200ms);
    EXPECT_FALSE(result.has_value());
}

TEST_F(PidfdKillerTest, ABadDescriptorIsAnError) {
    PidfdKiller killer(io, clock);
    killer.kill(-1, 1000ms, record());
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->error, std::errc::bad_file_descriptor);
}

}  // namespace
}  // namespace gha

// The pid monitor with real processes and pid files (it is about the kernel's
// pidfd, so faking that would test nothing) and the fake clock for its timers.
#include "monitors/pid_monitor.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/support/fake_clock.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;

std::string own_comm() {
    std::ifstream in("/proc/self/comm");
    std::string comm;
    std::getline(in, comm);
    return comm;
}

// A child that just waits to be killed; it has our comm (fork, no exec).
pid_t spawn_sleeper() {
    const pid_t pid = ::fork();
    if (pid == 0) {
        for (;;) ::pause();
    }
    return pid;
}

class PidMonitorTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::filesystem::temp_directory_path() / ("gha-pid-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        pidfile = (dir / "ganesha.pid").string();
    }
    void TearDown() override {
        monitor.reset();
        for (pid_t p : children) {
            ::kill(p, SIGKILL);
            ::waitpid(p, nullptr, 0);
        }
        std::filesystem::remove_all(dir);
    }
    void start(std::string comm) {
        MonitorSettings s;
        s.interval = 1000ms;
        s.rise = 1;
        s.fall = 1;
        monitor = std::make_shared<PidMonitor>(io, clock, s, PidMonitorTarget{{pidfile}, std::move(comm)},
                                               [this](const MonitorSession&, Transition t, const ProbeResult&) {
                                                   if (t == Transition::changed) ++edges;
                                               });
        monitor->start();
    }
    void write_pid(const std::string& text) { std::ofstream(pidfile) << text; }
    pid_t child() { return children.emplace_back(spawn_sleeper()); }
    // Runs the loop until the monitor's health is `want` (the pidfd wakes it).
    bool run_until(Health want) {
        const auto deadline = std::chrono::steady_clock::now() + 2s;
        while (monitor->health() != want && std::chrono::steady_clock::now() < deadline) io.run_one_for(50ms);
        return monitor->health() == want;
    }

    asio::io_context io;
    test::FakeClock clock;
    std::shared_ptr<PidMonitor> monitor;
    std::filesystem::path dir;
    std::string pidfile;
    std::vector<pid_t> children;
    int edges = 0;
};

TEST(PidFile, ParsesOnlyAPlainPid) {
    EXPECT_EQ(PidMonitor::parse_pid("1234\n"), 1234);
    EXPECT_EQ(PidMonitor::parse_pid("1234"), 1234);
    for (const char* bad : {"", "\n", "abc", "12a", "-5", "0", "1", "99999999999", "12 34", " 12"})
        EXPECT_FALSE(PidMonitor::parse_pid(bad)) << bad;
}

TEST_F(PidMonitorTest, ALiveProcessIsHealthy) {
    const pid_t pid = child();
    write_pid(std::to_string(pid) + "\n");
    start(own_comm());
    EXPECT_EQ(monitor->health(), Health::healthy);
    EXPECT_EQ(monitor->pid(), pid);
}

TEST_F(PidMonitorTest, AKilledProcessIsSeenAtOnceEvenAsAnUnreapedZombie) {
    const pid_t pid = child();
    write_pid(std::to_string(pid));
    start(own_comm());
    ASSERT_EQ(monitor->health(), Health::healthy);
    ::kill(pid, SIGKILL);  // not reaped: it stays a zombie, kill(pid, 0) would still succeed
    ASSERT_TRUE(run_until(Health::unhealthy));
    EXPECT_EQ(monitor->status().last.reason, "exited");
    EXPECT_EQ(::kill(pid, 0), 0) << "the child should still be a zombie here";
}

TEST_F(PidMonitorTest, FollowsARestartUnderANewPid) {
    const pid_t first = child();
    write_pid(std::to_string(first));
    start(own_comm());
    ::kill(first, SIGKILL);
    ASSERT_TRUE(run_until(Health::unhealthy));
    const pid_t second = child();
    write_pid(std::to_string(second));
    clock.advance(1000ms);  // next probe re-reads the pid file
    EXPECT_EQ(monitor->health(), Health::healthy);
    EXPECT_EQ(monitor->pid(), second);
}

TEST_F(PidMonitorTest, MissingPidFileMeansNotRunning) {
    start(own_comm());
    EXPECT_EQ(monitor->health(), Health::unhealthy);
    EXPECT_EQ(monitor->status().last.reason, "no-pidfile");
    EXPECT_NE(monitor->status().last.detail.find(pidfile), std::string::npos);
}

TEST_F(PidMonitorTest, GarbageInThePidFileIsNamed) {
    write_pid("not a pid\n");
    start(own_comm());
    EXPECT_EQ(monitor->status().last.reason, "pidfile-garbage");
    EXPECT_EQ(monitor->status().last.outcome, Outcome::failure);  // counts toward fall, not definite
}

TEST_F(PidMonitorTest, APidOfAGoneProcessIsStale) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    ::waitpid(pid, nullptr, 0);  // reaped: the pid no longer exists
    write_pid(std::to_string(pid));
    start(own_comm());
    EXPECT_EQ(monitor->health(), Health::unhealthy);
    EXPECT_EQ(monitor->status().last.reason, "stale-pidfile");
}

TEST_F(PidMonitorTest, APidOfSomeOtherProgramIsStale) {
    write_pid(std::to_string(::getpid()));  // alive, but not ganesha.nfsd
    start("ganesha.nfsd");
    EXPECT_EQ(monitor->health(), Health::unhealthy);
    EXPECT_EQ(monitor->status().last.reason, "stale-pidfile");
    EXPECT_NE(monitor->status().last.detail.find(own_comm()), std::string::npos);
}

TEST_F(PidMonitorTest, TheFirstExistingDefaultPidFileWins) {
    const pid_t pid = child();
    const std::string second = (dir / "older.pid").string();
    std::ofstream(second) << pid;
    MonitorSettings s;
    monitor = std::make_shared<PidMonitor>(io, clock, s, PidMonitorTarget{{pidfile, second}, own_comm()}, nullptr);
    monitor->start();
    EXPECT_EQ(monitor->health(), Health::healthy);
    EXPECT_EQ(monitor->pid(), pid);
}

}  // namespace
}  // namespace gha

// The drop table against the real nft and kernel, in a network namespace of
// the test's own (addresses assigned only inside it): a connection attempt
// to a VIP's NFS port is dropped (the client times out and tries again)
// where a plain node would refuse it (RST: the Linux NFS client then waits
// ~3 s), and nothing else is touched.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cerrno>

#include "actions/nfs_firewall.hpp"
#include "tests/support/ganesha_lab.hpp"
#include "tests/support/netns_connect.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;

constexpr std::uint16_t kNfsPort = 2049;
const char* const kVip = "192.0.2.101";

class NfsFirewallTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, nftables)";
        ns_ = "gha-fw-" + std::to_string(::getpid());
        ASSERT_EQ(run({"ip", "netns", "add", ns_}).exit_code, 0);
        created_ = true;
        ASSERT_EQ(run({"ip", "-n", ns_, "link", "set", "lo", "up"}).exit_code, 0);
        ASSERT_EQ(run({"ip", "-n", ns_, "addr", "add", std::string(kVip) + "/32", "dev", "lo"}).exit_code, 0);
    }
    void TearDown() override {
        if (created_) run({"ip", "netns", "del", ns_});
    }
    static lab::CliResult run(const std::vector<std::string>& argv) { return lab::run_capture(argv, 10s); }
    // The table as the daemon would write it, applied inside the namespace.
    void apply(bool leaving, bool present = true) {
        FirewallState state{{asio::ip::make_address(kVip)}, leaving, present};
        const auto r = run({"ip", "netns", "exec", ns_, "nft", NfsFirewall::commands(state, kNfsPort)});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    // 0 connected, ECONNREFUSED, or ETIMEDOUT after 300 ms (the SYN was dropped).
    int connect_to(std::uint16_t port) { return lab::connect_outcome(ns_, kVip, port, 300ms); }
    // A connection attempt while a server listens on the NFS port (a child
    // in the namespace holds the listener until the attempt is over).
    int with_listener() {
        int ready[2], done[2];
        if (::pipe(ready) != 0 || ::pipe(done) != 0) return -1;
        const pid_t server = ::fork();
        if (server == 0) {
            char c = listener() < 0 ? 'x' : 'y';
            (void)!::write(ready[1], &c, 1);
            (void)!::read(done[0], &c, 1);
            ::_exit(0);
        }
        char c = 0;
        (void)!::read(ready[0], &c, 1);
        const int outcome = c == 'y' ? connect_to(kNfsPort) : 99;
        (void)!::write(done[1], "q", 1);
        ::waitpid(server, nullptr, 0);
        for (int fd : {ready[0], ready[1], done[0], done[1]}) ::close(fd);
        return outcome;
    }
    // In the namespace's child: a listener on the NFS port, every address.
    int listener() {
        const int fd = ::open(("/run/netns/" + ns_).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) return -1;
        const int s = ::socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in any{};
        any.sin_family = AF_INET;
        any.sin_port = htons(kNfsPort);
        if (::bind(s, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 || ::listen(s, 8) != 0) return -1;
        return s;
    }

    std::string ns_;
    bool created_ = false;
};

TEST_F(NfsFirewallTest, WithoutTheTableNobodyListeningMeansRefused) {
    EXPECT_EQ(connect_to(kNfsPort), ECONNREFUSED);
}

TEST_F(NfsFirewallTest, NobodyListeningOnTheNfsPortIsADropAndOtherPortsAreUntouched) {
    apply(false);
    EXPECT_EQ(connect_to(kNfsPort), ETIMEDOUT);
    EXPECT_EQ(connect_to(kNfsPort + 1), ECONNREFUSED);
    EXPECT_EQ(with_listener(), 0) << "a listening server must be reached";
}

TEST_F(NfsFirewallTest, WhileLeavingEvenAListeningServerIsNotReachedAndRemovalRestoresEverything) {
    apply(true);
    EXPECT_EQ(with_listener(), ETIMEDOUT);
    apply(false);
    EXPECT_EQ(with_listener(), 0);
    apply(false, false);
    EXPECT_EQ(connect_to(kNfsPort), ECONNREFUSED);
    const auto listed = run({"ip", "netns", "exec", ns_, "nft", "list", "tables"});
    EXPECT_EQ(listed.out.find("ganesha_ha"), std::string::npos) << listed.out;
}

TEST_F(NfsFirewallTest, ApplyingTwiceIsTheSameTable) {
    apply(true);
    const auto first = run({"ip", "netns", "exec", ns_, "nft", "list", "table", "inet", "ganesha_ha"});
    apply(true);
    const auto second = run({"ip", "netns", "exec", ns_, "nft", "list", "table", "inet", "ganesha_ha"});
    EXPECT_EQ(first.out, second.out);
    EXPECT_NE(first.out.find("elements = { 192.0.2.101 }"), std::string::npos) << first.out;
}

}  // namespace
}  // namespace gha

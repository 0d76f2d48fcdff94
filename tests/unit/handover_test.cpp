// What the node giving a VIP up needs to release its clients: ganesha's
// record names parsed into (client address, owner), and the remote ends of
// the connections to a local address read through sock_diag.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "actions/recovery_records.hpp"
#include "actions/tcp_peers.hpp"

namespace gha {
namespace {

TEST(RecoveryRecords, ParsesGaneshaRecordNames) {
    RecoveryRecord r;
    ASSERT_TRUE(parse_recovery_record("::ffff:192.168.77.201-(17:Linux NFSv4.1 kc1)", r));
    EXPECT_EQ(r.client_address, "192.168.77.201");
    EXPECT_EQ(r.owner, "Linux NFSv4.1 kc1");
    ASSERT_TRUE(parse_recovery_record("2001:db8::5-(20:Linux NFSv4.2 host-a)", r));
    EXPECT_EQ(r.client_address, "2001:db8::5");
    EXPECT_EQ(r.owner, "Linux NFSv4.2 host-a");
    // An owner holding "-(" and ')' still parses: the length decides.
    ASSERT_TRUE(parse_recovery_record("10.0.0.1-(7:a-(b):c)", r));
    EXPECT_EQ(r.owner, "a-(b):c");
}

TEST(RecoveryRecords, RejectsWhatIsNotARecord) {
    RecoveryRecord r;
    for (const char* name : {".", "..", "node0", "10.0.0.1-(3:abcd)", "10.0.0.1-(x:abc)", "10.0.0.1-(3:abc",
                             "-(3:abc)", "10.0.0.1-(:abc)", "10.0.0.1-(0:)", "10.0.0.1-(123456789:abc)"})
        EXPECT_FALSE(parse_recovery_record(name, r)) << name;
}

TEST(RecoveryRecords, OwnersOfTheVipsClientsOnly) {
    const std::vector<RecoveryRecord> records = {
        {"192.168.77.201", "Linux NFSv4.1 kc1"},
        {"192.168.77.202", "Linux NFSv4.1 kc2"},
        {"192.168.77.201", "Linux NFSv4.1 kc1"},  // twice: one release is enough
    };
    EXPECT_EQ(owners_of(records, {"192.168.77.201"}), std::vector<std::string>{"Linux NFSv4.1 kc1"});
    EXPECT_TRUE(owners_of(records, {"192.168.77.203"}).empty());
    EXPECT_TRUE(owners_of(records, {}).empty());
}

TEST(TcpPeers, UnmapsIpv4MappedAddresses) {
    EXPECT_EQ(unmapped_address("::ffff:10.1.2.3"), "10.1.2.3");
    EXPECT_EQ(unmapped_address("::ffff:abcd"), "::ffff:abcd");
    EXPECT_EQ(unmapped_address("2001:db8::1"), "2001:db8::1");
}

// A real connection on loopback, read back through the kernel's sock_diag.
TEST(TcpPeers, FindsTheRemoteEndOfAConnectionToTheLocalAddress) {
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
    const auto port = ntohs(a.sin_port);

    std::error_code ec;
    EXPECT_TRUE(tcp_peers("127.0.0.1", port, ec).empty()) << "a listening socket is no client";
    EXPECT_FALSE(ec) << ec.message();

    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.7", &from.sin_addr);
    ASSERT_EQ(::bind(client, reinterpret_cast<sockaddr*>(&from), sizeof from), 0);
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    const int served = ::accept(listener, nullptr, nullptr);
    ASSERT_GE(served, 0);

    EXPECT_EQ(tcp_peers("127.0.0.1", port, ec), std::vector<std::string>{"127.0.0.7"});
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(tcp_peers("127.0.0.2", port, ec).empty()) << "another local address";
    EXPECT_TRUE(tcp_peers("127.0.0.1", static_cast<std::uint16_t>(port + 1), ec).empty()) << "another port";
    tcp_peers("not an address", port, ec);
    EXPECT_EQ(ec, std::errc::invalid_argument);
    ::close(served);
    ::close(client);
    ::close(listener);
}

}  // namespace
}  // namespace gha

// Steering NFS clients across a VIP move (issue 12), the logic without the
// kernel: the connection list datagram (layout, bounds, MAC, replay, chunk
// assembly), the tickle segment, the rtnetlink address parser and the nft
// commands. The lab's kernel client tests the mechanisms end to end.
#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sodium.h>

#include <cstring>
#include <map>

#include "actions/nfs_firewall.hpp"
#include "actions/tickle.hpp"
#include "monitors/connection_list_codec.hpp"
#include "monitors/local_addresses.hpp"

namespace gha {
namespace {

using asio::ip::make_address;

HeartbeatKey key_of(std::uint8_t fill) {
    std::array<std::uint8_t, kHeartbeatKeyBytes> bytes;
    bytes.fill(fill);
    return HeartbeatKey(bytes);
}

ClientConnection conn(const char* vip, const char* client, std::uint16_t port) {
    return {make_address(vip), make_address(client), port};
}

std::vector<ClientConnection> many(std::size_t n) {
    std::vector<ClientConnection> out;
    for (std::size_t i = 0; i < n; ++i) {
        asio::ip::address_v4::bytes_type b{10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                                           static_cast<std::uint8_t>(i)};
        out.push_back({make_address("192.0.2.101"), asio::ip::address_v4(b), static_cast<std::uint16_t>(700 + i % 300)});
    }
    return out;
}

class ConnectionListTest : public ::testing::Test {
protected:
    ConnectionDecodeResult decode(const std::vector<std::uint8_t>& bytes) {
        return codec.decode(bytes, [this](std::string_view node) -> ReplayWindow* {
            auto it = windows.find(std::string(node));
            return it == windows.end() ? nullptr : &it->second;
        });
    }
    DropReason drop(const std::vector<std::uint8_t>& bytes) {
        const auto r = decode(bytes);
        EXPECT_FALSE(r) << "accepted";
        return r.reason;
    }
    // Re-MACs a datagram changed by a test, so that the layout check is what refuses it.
    static std::vector<std::uint8_t> resign(std::vector<std::uint8_t> d) {
        const auto key = key_of(7);
        crypto_auth(d.data() + d.size() - 32, d.data(), d.size() - 32, key.bytes().data());
        return d;
    }

    ConnectionListCodec codec{"demo", key_of(7)};
    std::map<std::string, ReplayWindow> windows{{"n2", {}}};
};

TEST_F(ConnectionListTest, RoundTripsIpv4AndIpv6Connections) {
    const std::vector<ClientConnection> list{conn("192.0.2.101", "192.0.2.201", 812),
                                             conn("2001:db8::101", "2001:db8::c1", 65535)};
    const auto chunks = codec.encode("n2", 5, 1, 1, list);
    ASSERT_EQ(chunks.size(), 1u);
    const auto r = decode(chunks[0]);
    ASSERT_TRUE(r) << to_string(r.reason);
    EXPECT_EQ(r.chunk->node, "n2");
    EXPECT_EQ(r.chunk->entries, list);
    EXPECT_FALSE(r.chunk->incomplete);
}

TEST_F(ConnectionListTest, ALongListIsSplitIntoDatagramsThatNeverFragment) {
    const auto list = many(1000);
    const auto chunks = codec.encode("n2", 5, 1, 1, list);
    ASSERT_GT(chunks.size(), 1u);
    ConnectionListAssembler assembler;
    std::optional<std::vector<ClientConnection>> got;
    for (const auto& c : chunks) {
        EXPECT_LE(c.size(), kMaxHeartbeatBytes);
        const auto r = decode(c);
        ASSERT_TRUE(r) << to_string(r.reason);
        EXPECT_FALSE(got) << "complete before the last chunk";
        got = assembler.add(*r.chunk);
    }
    ASSERT_TRUE(got);
    auto sorted = list;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(*got, sorted);
}

TEST_F(ConnectionListTest, MoreThanTheBoundIsSentIncompleteNotUnbounded) {
    const auto chunks = codec.encode("n2", 5, 1, 1, many(kMaxSharedConnections + 100));
    EXPECT_LE(chunks.size(), kMaxConnectionChunks);
    ConnectionListAssembler assembler;
    std::optional<std::vector<ClientConnection>> got;
    for (const auto& c : chunks) got = assembler.add(*decode(c).chunk);
    ASSERT_TRUE(got);
    EXPECT_LE(got->size(), kMaxSharedConnections);
    EXPECT_TRUE(assembler.incomplete());
}

TEST_F(ConnectionListTest, AnEmptyListIsOneChunk) {
    const auto chunks = codec.encode("n2", 5, 1, 1, {});
    ASSERT_EQ(chunks.size(), 1u);
    ConnectionListAssembler assembler;
    const auto got = assembler.add(*decode(chunks[0]).chunk);
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->empty());
}

TEST_F(ConnectionListTest, AMissingChunkKeepsTheListFromCountingAndANewerListReplacesIt) {
    const auto old_list = codec.encode("n2", 5, 1, 1, many(300));
    ASSERT_GE(old_list.size(), 3u);
    ConnectionListAssembler assembler;
    EXPECT_FALSE(assembler.add(*decode(old_list[0]).chunk));
    // Chunk 1 is lost; the next generation starts.
    const auto next = codec.encode("n2", 5, old_list.size() + 1, 2, {conn("192.0.2.101", "192.0.2.9", 1)});
    const auto got = assembler.add(*decode(next[0]).chunk);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->size(), 1u);
}

TEST_F(ConnectionListTest, RefusesForgeriesReplaysStrangersAndOtherClusters) {
    auto d = codec.encode("n2", 5, 1, 1, {conn("192.0.2.101", "192.0.2.201", 812)})[0];
    auto forged = d;
    forged[forged.size() - 40] ^= 1;
    EXPECT_EQ(drop(forged), DropReason::bad_mac);
    ASSERT_TRUE(decode(d));
    EXPECT_EQ(drop(d), DropReason::replay);
    ConnectionListCodec other_cluster{"other", key_of(7)};
    EXPECT_EQ(drop(other_cluster.encode("n2", 5, 9, 1, {})[0]), DropReason::wrong_cluster);
    EXPECT_EQ(drop(codec.encode("n9", 5, 1, 1, {})[0]), DropReason::unknown_sender);
    ConnectionListCodec other_key{"demo", key_of(8)};
    EXPECT_EQ(drop(other_key.encode("n2", 5, 10, 1, {})[0]), DropReason::bad_mac);
}

TEST_F(ConnectionListTest, NamesWhatIsWrongWithABadLayout) {
    const auto good = codec.encode("n2", 5, 1, 1, {conn("192.0.2.101", "192.0.2.201", 812)})[0];
    EXPECT_EQ(drop({good.begin(), good.begin() + 20}), DropReason::truncated);
    EXPECT_EQ(drop(std::vector<std::uint8_t>(kMaxHeartbeatBytes + 1, 'G')), DropReason::oversized);
    auto version = good;
    version[4] = 2;
    EXPECT_EQ(drop(resign(version)), DropReason::bad_version);
    auto index = good;
    index[6] = 1;  // chunk 1 of 1
    EXPECT_EQ(drop(resign(index)), DropReason::malformed);
    auto count = good;
    count[7] = 0;
    EXPECT_EQ(drop(resign(count)), DropReason::malformed);
    auto entries = good;
    entries[29] = 2;  // says two entries, carries one
    EXPECT_EQ(drop(resign(entries)), DropReason::truncated);
    entries[29] = 0;  // says none, carries one
    EXPECT_EQ(drop(resign(entries)), DropReason::malformed);
    entries[28] = 0xff;  // more than a datagram can hold
    EXPECT_EQ(drop(resign(entries)), DropReason::malformed);
    auto family = good;
    family[30 + 1 + 4 + 1 + 2] = 5;  // after "demo" and "n2": the first entry's family
    EXPECT_EQ(drop(resign(family)), DropReason::malformed);
    EXPECT_FALSE(is_connection_list(std::vector<std::uint8_t>{'G', 'H', 'H', 'B', 3}));
    EXPECT_TRUE(is_connection_list(good));
}

TEST(Tickle, SegmentIsABareAckFromTheVipWithAValidChecksum) {
    for (const auto& c : {conn("192.0.2.101", "192.0.2.201", 812), conn("2001:db8::101", "2001:db8::c1", 65000)}) {
        const auto s = tickle_segment(c, 2049);
        ASSERT_EQ(s.size(), 20u);
        EXPECT_EQ(s[0] << 8 | s[1], 2049);
        EXPECT_EQ(s[2] << 8 | s[3], c.client_port);
        EXPECT_EQ(s[13], 0x10) << "ACK only";
        EXPECT_EQ(s[12] >> 4, 5);
        for (int i = 4; i < 12; ++i) EXPECT_EQ(s[i], 0) << "sequence/ack byte " << i;
        // A receiver sums pseudo-header and segment, checksum included: all ones.
        EXPECT_EQ(tcp_checksum_sum(c.vip, c.client, s), 0xffff) << c.to_string();
        const auto other = c.vip.is_v4() ? make_address("192.0.2.102") : make_address("2001:db8::102");
        EXPECT_NE(tcp_checksum_sum(other, c.client, s), 0xffff) << "the addresses are part of it";
    }
}

// An RTM_NEWADDR message as the kernel sends it.
std::vector<std::uint8_t> newaddr(int family, std::uint16_t attr_type, std::span<const std::uint8_t> address,
                                  std::uint16_t type = RTM_NEWADDR) {
    std::vector<std::uint8_t> m(NLMSG_LENGTH(sizeof(ifaddrmsg)) + RTA_SPACE(address.size()), 0);
    nlmsghdr h{};
    h.nlmsg_len = static_cast<std::uint32_t>(m.size());
    h.nlmsg_type = type;
    std::memcpy(m.data(), &h, sizeof h);
    ifaddrmsg ifa{};
    ifa.ifa_family = static_cast<std::uint8_t>(family);
    ifa.ifa_index = 7;
    std::memcpy(m.data() + NLMSG_HDRLEN, &ifa, sizeof ifa);
    rtattr a{};
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(address.size()));
    a.rta_type = attr_type;
    const std::size_t at = NLMSG_LENGTH(sizeof(ifaddrmsg));
    std::memcpy(m.data() + at, &a, sizeof a);
    std::memcpy(m.data() + at + RTA_LENGTH(0), address.data(), address.size());
    return m;
}

TEST(LocalAddresses, ParsesAddedIpv4AndIpv6AddressesAndIgnoresTheRest) {
    const auto v4 = make_address("192.0.2.101").to_v4().to_bytes();
    const auto v6 = make_address("2001:db8::101").to_v6().to_bytes();
    auto stream = newaddr(AF_INET, IFA_LOCAL, v4);
    const auto m6 = newaddr(AF_INET6, IFA_ADDRESS, v6);
    stream.insert(stream.end(), m6.begin(), m6.end());
    const auto del = newaddr(AF_INET, IFA_LOCAL, v4, RTM_DELADDR);
    stream.insert(stream.end(), del.begin(), del.end());
    const auto got = added_addresses(stream);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].address, make_address("192.0.2.101"));
    EXPECT_EQ(got[0].ifindex, 7);
    EXPECT_EQ(got[1].address, make_address("2001:db8::101"));
    // Cut anywhere: never read past the end, never a crash.
    for (std::size_t n = 0; n < stream.size(); ++n)
        EXPECT_LE(added_addresses(std::span<const std::uint8_t>(stream.data(), n)).size(), 2u);
    auto bad = newaddr(AF_INET, IFA_LOCAL, v4);
    bad[NLMSG_LENGTH(sizeof(ifaddrmsg))] = 0xff;  // attribute longer than the message
    EXPECT_TRUE(added_addresses(bad).empty());
}

// Found by fuzz/rtnetlink_addresses (ASan, heap-buffer-overflow): a last
// attribute of 9 bytes (a label "eth0") in a message whose length leaves the
// padding out rounded the position past the message's end, and the parser
// read on past the buffer. The input is in fuzz/corpus/rtnetlink_addresses/.
TEST(LocalAddresses, LengthsThatAreNotMultiplesOfFourStopAtTheEnd) {
    const auto v4 = make_address("192.0.2.101").to_v4().to_bytes();
    const auto v6 = make_address("2001:db8::101").to_v6().to_bytes();
    auto first = newaddr(AF_INET, IFA_LOCAL, v4);
    const std::uint8_t label[] = {'e', 't', 'h', '0', 0};
    rtattr a{};
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(sizeof label));  // 9: no padding after it
    a.rta_type = IFA_LABEL;
    const auto* ap = reinterpret_cast<const std::uint8_t*>(&a);
    first.insert(first.end(), ap, ap + sizeof a);
    first.insert(first.end(), label, label + sizeof label);
    const auto unpadded = static_cast<std::uint32_t>(first.size());
    ASSERT_NE(unpadded % 4, 0u);
    std::memcpy(first.data(), &unpadded, sizeof unpadded);  // nlmsg_len without the padding

    // Alone: exactly as long as it says (an exact-size buffer, so ASan sees
    // any read past it).
    const std::vector<std::uint8_t> alone(first);
    const auto got = added_addresses(alone);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].address, make_address("192.0.2.101"));

    // Followed by a message at the next 4-byte boundary: both are read.
    auto stream = first;
    stream.resize(NLMSG_ALIGN(stream.size()), 0);
    const auto m6 = newaddr(AF_INET6, IFA_ADDRESS, v6);
    stream.insert(stream.end(), m6.begin(), m6.end());
    const std::vector<std::uint8_t> both(stream);
    const auto two = added_addresses(both);
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[1].address, make_address("2001:db8::101"));
    for (std::size_t n = 0; n < both.size(); ++n) {
        const std::vector<std::uint8_t> cut(both.begin(), both.begin() + static_cast<std::ptrdiff_t>(n));
        EXPECT_LE(added_addresses(cut).size(), 2u);
    }
}

TEST(NfsFirewall, TheTableDropsOnlyWhatItMustAndIsReplacedWhole) {
    FirewallState state{{make_address("192.0.2.101"), make_address("2001:db8::101")}, false, true};
    const std::string steady = NfsFirewall::commands(state, 2049);
    EXPECT_EQ(steady.rfind("add table inet ganesha_ha; delete table inet ganesha_ha; table inet ganesha_ha {", 0), 0u)
        << steady;
    EXPECT_NE(steady.find("set vips4 { type ipv4_addr; elements = { 192.0.2.101 }; }"), std::string::npos);
    EXPECT_NE(steady.find("set vips6 { type ipv6_addr; elements = { 2001:db8::101 }; }"), std::string::npos);
    EXPECT_NE(steady.find("set leaving4 { type ipv4_addr; }"), std::string::npos) << "nothing leaves";
    EXPECT_NE(steady.find("ip daddr @vips4 tcp dport 2049 drop"), std::string::npos);
    state.leaving = true;
    const std::string leaving = NfsFirewall::commands(state, 2049);
    EXPECT_NE(leaving.find("set leaving4 { type ipv4_addr; elements = { 192.0.2.101 }; }"), std::string::npos);
    EXPECT_NE(leaving.find("ip saddr @leaving4 tcp sport 2049 drop"), std::string::npos);
    state.present = false;
    EXPECT_EQ(NfsFirewall::commands(state, 2049), "add table inet ganesha_ha; delete table inet ganesha_ha");
}

class QueuedRunner final : public CommandRunner {
public:
    Cancel run(std::vector<std::string> argv, ChildOptions, Handler handler) override {
        calls.push_back(std::move(argv));
        handlers.push_back(std::move(handler));
        return [] {};
    }
    void finish(int exit_code) {
        ChildResult r;
        r.exit_code = exit_code;
        auto h = std::move(handlers.front());
        handlers.erase(handlers.begin());
        h(r);
    }
    std::vector<std::vector<std::string>> calls;
    std::vector<Handler> handlers;
};

TEST(NfsFirewall, OneNftAtATimeAndOnlyTheLatestWantedStateAfterIt) {
    QueuedRunner runner;
    NfsFirewall firewall(runner, "/usr/sbin/nft", 2049, std::chrono::milliseconds(5000));
    std::vector<bool> outcomes;
    firewall.on_done([&](const FirewallState&, const ChildResult& r) { outcomes.push_back(r.ok()); });
    const FirewallState a{{make_address("192.0.2.101")}, false, true};
    FirewallState b = a, c = a;
    b.leaving = true;
    c.present = false;
    firewall.apply(a);
    firewall.apply(b);
    firewall.apply(c);
    ASSERT_EQ(runner.calls.size(), 1u);
    EXPECT_EQ(runner.calls[0][0], "/usr/sbin/nft");
    EXPECT_TRUE(firewall.busy());
    runner.finish(0);
    EXPECT_EQ(firewall.applied(), a);
    ASSERT_EQ(runner.calls.size(), 2u) << "b is skipped: c is what is wanted now";
    EXPECT_EQ(runner.calls[1][1], NfsFirewall::commands(c, 2049));
    runner.finish(1);
    EXPECT_FALSE(firewall.applied()) << "a failure leaves the state unknown, for the caller to retry";
    EXPECT_EQ(outcomes, (std::vector<bool>{true, false}));
}

}  // namespace
}  // namespace gha

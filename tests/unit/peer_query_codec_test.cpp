// The peer query datagram (monitors/peer_query_codec) and its side of the
// heartbeat socket (monitors/peer_queries): round trips, bounds, the
// recipient check, replays, answers in chunks.
#include <gtest/gtest.h>

#include <map>

#include "monitors/peer_queries.hpp"
#include "monitors/peer_query_codec.hpp"

namespace gha {
namespace {

const std::uint64_t kIncarnation = make_incarnation(std::chrono::system_clock::now(), 7);

HeartbeatKey key(std::uint8_t fill) {
    std::array<std::uint8_t, kHeartbeatKeyBytes> bytes;
    bytes.fill(fill);
    return HeartbeatKey(bytes);
}

TEST(PeerQueryCodec, ARequestRoundTripsAndIsBounded) {
    const PeerQueryCodec codec("lab", key(1));
    const auto d = codec.encode_request("node1", "node2", kIncarnation, 1, 42, R"({"command":"status"})");
    EXPECT_TRUE(is_peer_query(d));
    DropReason why{};
    const auto q = PeerQueryCodec::parse(d, why);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->kind, QueryKind::request);
    EXPECT_EQ(q->sender, "node1");
    EXPECT_EQ(q->recipient, "node2");
    EXPECT_EQ(q->id, 42u);
    EXPECT_EQ(q->payload, R"({"command":"status"})");
    EXPECT_THROW(codec.encode_request("node1", "node2", kIncarnation, 1, 1, std::string(kMaxQueryRequestBytes + 1, 'x')),
                 std::invalid_argument);
}

TEST(PeerQueryCodec, ALargeAnswerIsChunkedUnderTheDatagramBoundAndReassembled) {
    const PeerQueryCodec codec("lab", key(1));
    std::string text;
    for (int i = 0; text.size() < kMaxQueryAnswerBytes - 20; ++i) text += std::to_string(i) + ",";
    const std::string longest(253, 'n');
    const auto chunks = codec.encode_answer(longest, longest, kIncarnation, 10, 5, text);
    ASSERT_LE(chunks.size(), kMaxQueryChunks);
    QueryAnswerAssembler assembler;
    std::optional<std::string> whole;
    // Out of order, one repeated: the assembler does not care.
    for (std::size_t i = chunks.size(); i-- > 0;) {
        EXPECT_LE(chunks[i].size(), kMaxHeartbeatBytes);
        DropReason why{};
        const auto q = PeerQueryCodec::parse(chunks[i], why);
        ASSERT_TRUE(q);
        EXPECT_EQ(q->sequence, 10 + i);
        if (auto t = assembler.add(*q)) whole = t;
        EXPECT_FALSE(assembler.add(*q));
    }
    ASSERT_TRUE(whole);
    EXPECT_EQ(*whole, text);
    EXPECT_THROW(codec.encode_answer("a", "b", kIncarnation, 1, 1, std::string(kMaxQueryAnswerBytes + 1, 'x')),
                 std::invalid_argument);
}

TEST(PeerQueryCodec, MalformedDatagramsAreRefused) {
    const PeerQueryCodec codec("lab", key(1));
    auto d = codec.encode_request("node1", "node2", kIncarnation, 1, 42, "{}");
    DropReason why{};
    auto bad = d;
    bad[5] = 3;  // no such kind
    EXPECT_FALSE(PeerQueryCodec::parse(bad, why));
    EXPECT_EQ(why, DropReason::malformed);
    bad = d;
    bad[7] = 2;  // a request in two chunks
    EXPECT_FALSE(PeerQueryCodec::parse(bad, why));
    bad = d;
    bad[4] = 9;
    EXPECT_FALSE(PeerQueryCodec::parse(bad, why));
    EXPECT_EQ(why, DropReason::bad_version);
    bad = d;
    bad[29] = static_cast<std::uint8_t>(bad[29] + 1);  // payload longer than the datagram
    EXPECT_FALSE(PeerQueryCodec::parse(bad, why));
    EXPECT_EQ(why, DropReason::truncated);
    EXPECT_FALSE(PeerQueryCodec::parse(std::span<const std::uint8_t>(d.data(), 20), why));
    EXPECT_EQ(why, DropReason::truncated);
}

struct Side {
    std::vector<std::tuple<std::string, std::uint32_t, std::string>> queries, answers;
    PeerQueries queries_of(const std::string& self, const std::vector<std::string>& peers, std::uint8_t k = 1) {
        return PeerQueries("lab", self, key(k), peers,
                           {[this](const std::string& n, std::uint32_t id, const std::string& t) { queries.emplace_back(n, id, t); },
                            [this](const std::string& n, std::uint32_t id, const std::string& t) { answers.emplace_back(n, id, t); }});
    }
};

TEST(PeerQueries, AQueryAndItsAnswerOnlyForTheirRecipientAndOnlyOnce) {
    Side a, b, c;
    PeerQueries node1 = a.queries_of("node1", {"node2", "node3"});
    PeerQueries node2 = b.queries_of("node2", {"node1", "node3"});
    PeerQueries node3 = c.queries_of("node3", {"node1", "node2"});
    const DecodeContext context;
    std::string claimed;
    const auto request = node1.request("node2", kIncarnation, 9, R"({"command":"peers"})");
    // Every node has the key: node3 drops what was meant for node2.
    EXPECT_EQ(node3.on_datagram(request, context, claimed), DropReason::wrong_source);
    EXPECT_EQ(node2.on_datagram(request, context, claimed), std::nullopt);
    ASSERT_EQ(b.queries.size(), 1u);
    EXPECT_EQ(b.queries[0], std::make_tuple(std::string("node1"), 9u, std::string(R"({"command":"peers"})")));
    EXPECT_EQ(node2.on_datagram(request, context, claimed), DropReason::replay);
    EXPECT_EQ(claimed, "node1");
    for (const auto& chunk : node2.answer("node1", kIncarnation, 9, std::string(3000, 'a')))
        EXPECT_EQ(node1.on_datagram(chunk, context, claimed), std::nullopt);
    ASSERT_EQ(a.answers.size(), 1u);
    EXPECT_EQ(std::get<2>(a.answers[0]), std::string(3000, 'a'));
    // Another key, or a node that is not a peer.
    Side d;
    PeerQueries stranger = d.queries_of("node1", {"node2"}, 2);
    EXPECT_EQ(node2.on_datagram(stranger.request("node2", kIncarnation, 1, "{}"), context, claimed), DropReason::bad_mac);
    PeerQueries node4 = d.queries_of("node4", {"node2"});
    EXPECT_EQ(node2.on_datagram(node4.request("node2", kIncarnation, 1, "{}"), context, claimed),
              DropReason::unknown_sender);
}

}  // namespace
}  // namespace gha

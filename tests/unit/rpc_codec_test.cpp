// Tests for the ONC RPC NULL codec: exact wire bytes, every reply status,
// hostile/truncated input, and TCP record reassembly at any split point.
#include "monitors/rpc_codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace gha::rpc {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint32_t kXid = 0x12345678;

// Builds XDR messages word by word so test replies read like the RFC.
class Xdr {
public:
    Xdr& u32(std::uint32_t v) {
        bytes_.push_back(static_cast<std::uint8_t>(v >> 24));
        bytes_.push_back(static_cast<std::uint8_t>(v >> 16));
        bytes_.push_back(static_cast<std::uint8_t>(v >> 8));
        bytes_.push_back(static_cast<std::uint8_t>(v));
        return *this;
    }
    // Opaque body with XDR zero padding to a multiple of 4.
    Xdr& opaque(const Bytes& body) {
        u32(static_cast<std::uint32_t>(body.size()));
        bytes_.insert(bytes_.end(), body.begin(), body.end());
        while (bytes_.size() % 4 != 0) bytes_.push_back(0);
        return *this;
    }
    Xdr& raw(const Bytes& b) {
        bytes_.insert(bytes_.end(), b.begin(), b.end());
        return *this;
    }
    const Bytes& bytes() const { return bytes_; }

private:
    Bytes bytes_;
};

// xid, REPLY, MSG_ACCEPTED, AUTH_NONE verifier; caller appends accept_stat.
Xdr accepted_header(std::uint32_t xid = kXid) {
    Xdr x;
    x.u32(xid).u32(1).u32(0).u32(0).u32(0);
    return x;
}

Bytes good_reply(std::uint32_t xid = kXid) { return accepted_header(xid).u32(0).bytes(); }

Reply parse(const Bytes& b, std::uint32_t xid = kXid) {
    return parse_null_reply(std::span<const std::uint8_t>(b), xid);
}

// Record-marks `body` as one fragment.
Bytes fragment(const Bytes& body, bool last) {
    Xdr x;
    x.u32((last ? 0x80000000u : 0u) | static_cast<std::uint32_t>(body.size()));
    x.raw(body);
    return x.bytes();
}

RecordReader::State feed(RecordReader& r, const Bytes& b) {
    return r.feed(std::span<const std::uint8_t>(b));
}

// ---------------------------------------------------------------- encoding

TEST(RpcEncode, NullCallExactBytes) {
    const Bytes expected = {
        0x80, 0x00, 0x00, 0x28,  // last fragment, 40 bytes
        0x12, 0x34, 0x56, 0x78,  // xid
        0x00, 0x00, 0x00, 0x00,  // CALL
        0x00, 0x00, 0x00, 0x02,  // rpcvers 2
        0x00, 0x01, 0x86, 0xa3,  // program 100003 (NFS)
        0x00, 0x00, 0x00, 0x04,  // version 4
        0x00, 0x00, 0x00, 0x00,  // proc NULL
        0x00, 0x00, 0x00, 0x00,  // cred AUTH_NONE
        0x00, 0x00, 0x00, 0x00,  //   length 0
        0x00, 0x00, 0x00, 0x00,  // verf AUTH_NONE
        0x00, 0x00, 0x00, 0x00,  //   length 0
    };
    EXPECT_EQ(encode_null_call(kXid), expected);
}

TEST(RpcEncode, CustomProgramAndVersion) {
    const Bytes call = encode_null_call(0xdeadbeef, 100005, 3);
    ASSERT_EQ(call.size(), 44u);
    EXPECT_EQ(Bytes(call.begin() + 4, call.begin() + 8),
              (Bytes{0xde, 0xad, 0xbe, 0xef}));
    EXPECT_EQ(Bytes(call.begin() + 16, call.begin() + 20), (Bytes{0, 0x01, 0x86, 0xa5}));
    EXPECT_EQ(Bytes(call.begin() + 20, call.begin() + 24), (Bytes{0, 0, 0, 3}));
}

TEST(RpcEncode, CallIsAcceptedByOwnRecordReader) {
    RecordReader r;
    EXPECT_EQ(feed(r, encode_null_call(7)), RecordReader::State::complete);
    EXPECT_EQ(r.record().size(), 40u);
}

// ---------------------------------------------------------------- names

TEST(RpcNames, ToString) {
    EXPECT_STREQ(to_string(ReplyStatus::success), "success");
    EXPECT_STREQ(to_string(ReplyStatus::prog_unavail), "prog-unavail");
    EXPECT_STREQ(to_string(ReplyStatus::prog_mismatch), "prog-mismatch");
    EXPECT_STREQ(to_string(ReplyStatus::proc_unavail), "proc-unavail");
    EXPECT_STREQ(to_string(ReplyStatus::garbage_args), "garbage-args");
    EXPECT_STREQ(to_string(ReplyStatus::system_err), "system-err");
    EXPECT_STREQ(to_string(ReplyStatus::rpc_mismatch), "rpc-mismatch");
    EXPECT_STREQ(to_string(ReplyStatus::auth_error), "auth-error");
    EXPECT_STREQ(to_string(ReplyStatus::wrong_xid), "wrong-xid");
    EXPECT_STREQ(to_string(ReplyStatus::bad_reply), "bad-reply");
}

// ---------------------------------------------------------------- replies

TEST(RpcReply, Success) {
    const Reply r = parse(good_reply());
    EXPECT_EQ(r.status, ReplyStatus::success);
}

TEST(RpcReply, TrailingBytesAfterSuccessTolerated) {
    const Reply r = parse(accepted_header().u32(0).u32(0xffffffff).bytes());
    EXPECT_EQ(r.status, ReplyStatus::success);
}

TEST(RpcReply, SimpleAcceptStats) {
    struct Case {
        std::uint32_t stat;
        ReplyStatus want;
    };
    for (const Case c : {Case{1, ReplyStatus::prog_unavail}, Case{3, ReplyStatus::proc_unavail},
                         Case{4, ReplyStatus::garbage_args}, Case{5, ReplyStatus::system_err}}) {
        const Reply r = parse(accepted_header().u32(c.stat).bytes());
        EXPECT_EQ(r.status, c.want) << "accept_stat " << c.stat;
        EXPECT_FALSE(r.detail.empty());
    }
}

TEST(RpcReply, ProgMismatchCarriesRange) {
    const Reply r = parse(accepted_header().u32(2).u32(2).u32(3).bytes());
    EXPECT_EQ(r.status, ReplyStatus::prog_mismatch);
    EXPECT_EQ(r.low, 2u);
    EXPECT_EQ(r.high, 3u);
    EXPECT_NE(r.detail.find("2..3"), std::string::npos) << r.detail;
}

TEST(RpcReply, ProgMismatchTruncatedRange) {
    EXPECT_EQ(parse(accepted_header().u32(2).u32(2).bytes()).status, ReplyStatus::bad_reply);
    EXPECT_EQ(parse(accepted_header().u32(2).bytes()).status, ReplyStatus::bad_reply);
}

TEST(RpcReply, UnknownAcceptStat) {
    const Reply r = parse(accepted_header().u32(6).bytes());
    EXPECT_EQ(r.status, ReplyStatus::bad_reply);
    EXPECT_EQ(r.detail, "unknown accept_stat 6");
}

TEST(RpcReply, DeniedRpcMismatch) {
    const Reply r = parse(Xdr().u32(kXid).u32(1).u32(1).u32(0).u32(2).u32(2).bytes());
    EXPECT_EQ(r.status, ReplyStatus::rpc_mismatch);
    EXPECT_EQ(r.low, 2u);
    EXPECT_EQ(r.high, 2u);
}

TEST(RpcReply, DeniedAuthError) {
    const Reply r = parse(Xdr().u32(kXid).u32(1).u32(1).u32(1).u32(5).bytes());
    EXPECT_EQ(r.status, ReplyStatus::auth_error);
    EXPECT_NE(r.detail.find("auth_stat 5"), std::string::npos) << r.detail;
    EXPECT_NE(r.detail.find("AUTH_TOOWEAK"), std::string::npos) << r.detail;
}

TEST(RpcReply, DeniedAuthErrorTruncated) {
    const Reply r = parse(Xdr().u32(kXid).u32(1).u32(1).u32(1).bytes());
    EXPECT_EQ(r.status, ReplyStatus::bad_reply);
    EXPECT_EQ(r.detail, "truncated at auth_stat");
}

TEST(RpcReply, UnknownRejectStat) {
    const Reply r = parse(Xdr().u32(kXid).u32(1).u32(1).u32(2).bytes());
    EXPECT_EQ(r.status, ReplyStatus::bad_reply);
}

TEST(RpcReply, UnknownReplyStat) {
    const Reply r = parse(Xdr().u32(kXid).u32(1).u32(2).u32(0).u32(0).u32(0).bytes());
    EXPECT_EQ(r.status, ReplyStatus::bad_reply);
}

TEST(RpcReply, WrongXid) {
    const Reply r = parse(good_reply(kXid + 1));
    EXPECT_EQ(r.status, ReplyStatus::wrong_xid);
    EXPECT_FALSE(r.detail.empty());
}

TEST(RpcReply, NotAReply) {
    // Our own call echoed back (minus the record marker) is a CALL message.
    const Bytes call = encode_null_call(kXid);
    const Reply r = parse(Bytes(call.begin() + 4, call.end()));
    EXPECT_EQ(r.status, ReplyStatus::bad_reply);
    EXPECT_EQ(r.detail, "msg_type 0 is not a reply");
}

TEST(RpcReply, EveryTruncationIsBadReply) {
    // Longest valid reply shape exercised: verifier body plus mismatch range.
    const std::vector<Bytes> valid = {
        good_reply(),
        Xdr().u32(kXid).u32(1).u32(0).u32(1).opaque({1, 2, 3, 4, 5}).u32(0).bytes(),
        accepted_header().u32(2).u32(2).u32(4).bytes(),
        Xdr().u32(kXid).u32(1).u32(1).u32(0).u32(2).u32(2).bytes(),
        Xdr().u32(kXid).u32(1).u32(1).u32(1).u32(1).bytes(),
    };
    for (const Bytes& full : valid) {
        ASSERT_NE(parse(full).status, ReplyStatus::bad_reply);
        for (std::size_t len = 0; len < full.size(); ++len) {
            // A fresh heap copy of exactly `len` bytes lets ASan catch overreads.
            const Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
            const Reply r = parse(prefix);
            EXPECT_EQ(r.status, ReplyStatus::bad_reply) << "prefix length " << len;
            EXPECT_EQ(r.detail.rfind("truncated at ", 0), 0u) << r.detail;
        }
    }
}

TEST(RpcReply, TruncationDetailNamesField) {
    const Bytes full = good_reply();
    EXPECT_EQ(parse(Bytes(full.begin(), full.begin() + 2)).detail, "truncated at xid");
    EXPECT_EQ(parse(Bytes(full.begin(), full.begin() + 20)).detail, "truncated at accept_stat");
}

TEST(RpcReply, VerifierWithBodyIsSkipped) {
    // Non-AUTH_NONE flavor with a 7-byte body (padded to 8) before accept_stat.
    const Bytes msg =
        Xdr().u32(kXid).u32(1).u32(0).u32(6).opaque({9, 9, 9, 9, 9, 9, 9}).u32(0).bytes();
    ASSERT_EQ(msg.size(), 32u);
    EXPECT_EQ(parse(msg).status, ReplyStatus::success);
}

TEST(RpcReply, VerifierAtMaximumSize) {
    const Bytes msg = Xdr().u32(kXid).u32(1).u32(0).u32(1).opaque(Bytes(400, 0xaa)).u32(0).bytes();
    EXPECT_EQ(parse(msg).status, ReplyStatus::success);
}

TEST(RpcReply, OversizedVerifierRejected) {
    const Bytes msg = Xdr().u32(kXid).u32(1).u32(0).u32(1).opaque(Bytes(401, 0)).u32(0).bytes();
    EXPECT_EQ(parse(msg).status, ReplyStatus::bad_reply);
    // A huge announced length with no body must not be trusted either.
    const Bytes huge = Xdr().u32(kXid).u32(1).u32(0).u32(1).u32(0xffffffff).bytes();
    EXPECT_EQ(parse(huge).status, ReplyStatus::bad_reply);
}

TEST(RpcReply, VerifierBodyTruncated) {
    const Bytes msg = Xdr().u32(kXid).u32(1).u32(0).u32(1).u32(8).u32(0).bytes();
    const Reply r = parse(msg);
    EXPECT_EQ(r.status, ReplyStatus::bad_reply);
    EXPECT_EQ(r.detail, "truncated at verifier body");
}

// ---------------------------------------------------------------- records

TEST(RecordReader, SingleFragment) {
    RecordReader r;
    EXPECT_EQ(r.state(), RecordReader::State::need_more);
    EXPECT_EQ(feed(r, fragment(good_reply(), true)), RecordReader::State::complete);
    EXPECT_EQ(r.record(), good_reply());
    EXPECT_EQ(parse(r.record()).status, ReplyStatus::success);
}

TEST(RecordReader, MultipleFragmentsConcatenated) {
    Bytes stream = fragment({1, 2, 3}, false);
    const Bytes f2 = fragment({}, false);  // zero-length fragments are legal
    const Bytes f3 = fragment({4, 5}, true);
    stream.insert(stream.end(), f2.begin(), f2.end());
    stream.insert(stream.end(), f3.begin(), f3.end());
    RecordReader r;
    EXPECT_EQ(feed(r, stream), RecordReader::State::complete);
    EXPECT_EQ(r.record(), (Bytes{1, 2, 3, 4, 5}));
}

TEST(RecordReader, ZeroLengthLastFragment) {
    Bytes stream = fragment({7, 8}, false);
    const Bytes last = fragment({}, true);
    stream.insert(stream.end(), last.begin(), last.end());
    RecordReader r;
    EXPECT_EQ(feed(r, stream), RecordReader::State::complete);
    EXPECT_EQ(r.record(), (Bytes{7, 8}));
}

TEST(RecordReader, ByteAtATime) {
    Bytes stream = fragment({1, 2, 3, 4, 5, 6}, false);
    const Bytes last = fragment(good_reply(), true);
    stream.insert(stream.end(), last.begin(), last.end());
    RecordReader r;
    for (std::size_t i = 0; i < stream.size(); ++i) {
        const auto want = i + 1 == stream.size() ? RecordReader::State::complete
                                                 : RecordReader::State::need_more;
        ASSERT_EQ(feed(r, {stream[i]}), want) << "byte " << i;
    }
    Bytes expected = {1, 2, 3, 4, 5, 6};
    const Bytes reply = good_reply();
    expected.insert(expected.end(), reply.begin(), reply.end());
    EXPECT_EQ(r.record(), expected);
}

TEST(RecordReader, EverySplitPoint) {
    Bytes stream = fragment({1, 2, 3}, false);
    const Bytes last = fragment({4, 5, 6, 7, 8}, true);
    stream.insert(stream.end(), last.begin(), last.end());
    for (std::size_t split = 0; split <= stream.size(); ++split) {
        RecordReader r;
        const auto mid = stream.begin() + static_cast<std::ptrdiff_t>(split);
        const auto first = feed(r, Bytes(stream.begin(), mid));
        EXPECT_EQ(first, split == stream.size() ? RecordReader::State::complete
                                                : RecordReader::State::need_more);
        EXPECT_EQ(feed(r, Bytes(mid, stream.end())), RecordReader::State::complete);
        EXPECT_EQ(r.record(), (Bytes{1, 2, 3, 4, 5, 6, 7, 8})) << "split " << split;
    }
}

TEST(RecordReader, HeaderSplitAcrossFeeds) {
    const Bytes stream = fragment({0xab, 0xcd}, true);
    RecordReader r;
    EXPECT_EQ(feed(r, {stream[0]}), RecordReader::State::need_more);
    EXPECT_EQ(feed(r, {stream[1], stream[2]}), RecordReader::State::need_more);
    EXPECT_EQ(feed(r, {stream[3], stream[4]}), RecordReader::State::need_more);
    EXPECT_EQ(feed(r, {stream[5]}), RecordReader::State::complete);
    EXPECT_EQ(r.record(), (Bytes{0xab, 0xcd}));
}

TEST(RecordReader, EmptyFeedIsHarmless) {
    RecordReader r;
    EXPECT_EQ(feed(r, {}), RecordReader::State::need_more);
    EXPECT_EQ(feed(r, fragment({1}, true)), RecordReader::State::complete);
    EXPECT_EQ(feed(r, {}), RecordReader::State::complete);
}

TEST(RecordReader, OversizeFragmentIsTooLarge) {
    RecordReader r(16);
    // Only the header is sent: the limit applies to the announced length.
    EXPECT_EQ(feed(r, {0x80, 0x00, 0x00, 0x11}), RecordReader::State::too_large);
    EXPECT_EQ(r.state(), RecordReader::State::too_large);
    EXPECT_TRUE(r.record().empty());
    EXPECT_EQ(feed(r, fragment({1}, true)), RecordReader::State::too_large);
}

TEST(RecordReader, MaxLengthFragmentAccepted) {
    RecordReader r(16);
    EXPECT_EQ(feed(r, fragment(Bytes(16, 1), true)), RecordReader::State::complete);
    EXPECT_EQ(r.record().size(), 16u);
}

TEST(RecordReader, FragmentsSummingOverLimitAreTooLarge) {
    RecordReader r(16);
    EXPECT_EQ(feed(r, fragment(Bytes(10, 1), false)), RecordReader::State::need_more);
    EXPECT_EQ(feed(r, fragment(Bytes(7, 1), true)), RecordReader::State::too_large);
}

TEST(RecordReader, HugeAnnouncedLengthIsTooLarge) {
    RecordReader r;
    EXPECT_EQ(feed(r, {0xff, 0xff, 0xff, 0xff}), RecordReader::State::too_large);
}

TEST(RecordReader, BytesAfterLastFragmentIgnored) {
    Bytes stream = fragment({1, 2}, true);
    const Bytes next = fragment({3, 4, 5}, true);
    stream.insert(stream.end(), next.begin(), next.end());
    RecordReader r;
    EXPECT_EQ(feed(r, stream), RecordReader::State::complete);
    EXPECT_EQ(feed(r, {9, 9, 9}), RecordReader::State::complete);
    EXPECT_EQ(r.record(), (Bytes{1, 2}));
}

// ---------------------------------------------------------------- fuzzing

// Raw mt19937 output is fully specified by the standard, unlike the
// distributions, so these loops see the same inputs on every toolchain.
class Rng {
public:
    explicit Rng(std::uint32_t seed) : gen_(seed) {}
    std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(gen_() % n); }
    std::uint8_t byte() { return static_cast<std::uint8_t>(gen_()); }
    Bytes bytes(std::size_t n) {
        Bytes b(n);
        for (auto& x : b) x = byte();
        return b;
    }

private:
    std::mt19937 gen_;
};

std::uint32_t word_at(const Bytes& b, std::size_t off) {
    return (std::uint32_t{b[off]} << 24) | (std::uint32_t{b[off + 1]} << 16) |
           (std::uint32_t{b[off + 2]} << 8) | std::uint32_t{b[off + 3]};
}

// Independent re-derivation of "this is a successful reply to xid": the
// parser must never report success for anything this rejects.
bool genuinely_successful(const Bytes& m, std::uint32_t xid) {
    if (m.size() < 20) return false;
    if (word_at(m, 0) != xid || word_at(m, 4) != 1 || word_at(m, 8) != 0) return false;
    const std::uint32_t verf_len = word_at(m, 16);
    if (verf_len > 400) return false;
    const std::size_t stat_at = 20 + ((std::size_t{verf_len} + 3) / 4) * 4;
    return m.size() >= stat_at + 4 && word_at(m, stat_at) == 0;
}

bool is_mismatch(ReplyStatus s) {
    return s == ReplyStatus::prog_mismatch || s == ReplyStatus::rpc_mismatch;
}

void check_sane(const Bytes& m, std::uint32_t xid) {
    const Reply r = parse(m, xid);
    ASSERT_LT(r.detail.size(), 100u);
    ASSERT_EQ(r.status == ReplyStatus::success, genuinely_successful(m, xid));
    if (r.status == ReplyStatus::wrong_xid) {
        ASSERT_GE(m.size(), 4u);
        ASSERT_NE(word_at(m, 0), xid);
    }
    if (!is_mismatch(r.status)) {
        ASSERT_EQ(r.low, 0u);
        ASSERT_EQ(r.high, 0u);
    }
    ASSERT_NE(std::string(to_string(r.status)), "");
}

// Mutates a valid reply so the fuzz loop reaches past the xid/msg_type checks
// that random bytes would almost never pass.
Bytes mutated_reply(Rng& rng) {
    const std::uint32_t stat = rng.below(8);
    Xdr x;
    x.u32(kXid).u32(1).u32(rng.below(3));
    if (rng.below(2) == 0) {
        x.u32(rng.below(4)).opaque(rng.bytes(rng.below(12)));
    } else {
        x.u32(0).u32(0);
    }
    x.u32(stat).u32(rng.below(5)).u32(rng.below(5));
    Bytes b = x.bytes();
    const std::uint32_t flips = rng.below(3);
    for (std::uint32_t i = 0; i < flips; ++i) b[rng.below(static_cast<std::uint32_t>(b.size()))] = rng.byte();
    b.resize(rng.below(static_cast<std::uint32_t>(b.size()) + 1));
    return b;
}

TEST(RpcFuzz, ParseNeverCrashesAndNeverFalseSuccess) {
    Rng rng(20240601);
    int successes = 0;
    for (int i = 0; i < 200000; ++i) {
        Bytes m;
        switch (rng.below(3)) {
            case 0: m = rng.bytes(rng.below(129)); break;
            case 1: {
                // Random bytes behind a matching xid and REPLY header.
                m = Xdr().u32(kXid).u32(1).raw(rng.bytes(rng.below(121))).bytes();
                break;
            }
            default: m = mutated_reply(rng); break;
        }
        ASSERT_NO_FATAL_FAILURE(check_sane(m, kXid)) << "iteration " << i;
        if (parse(m).status == ReplyStatus::success) ++successes;
    }
    // The mutation path must actually exercise the success branch.
    EXPECT_GT(successes, 100);
}

// Reference reassembler working on the whole stream at once; the incremental
// reader must agree with it whatever the chunking.
struct Expected {
    RecordReader::State state;
    Bytes record;
};

Expected reassemble_whole(const Bytes& s, std::size_t max) {
    Bytes rec;
    std::size_t pos = 0;
    while (s.size() - pos >= 4) {
        const std::uint32_t marker = word_at(s, pos);
        pos += 4;
        const std::size_t len = marker & 0x7fffffffu;
        if (rec.size() + len > max) return {RecordReader::State::too_large, {}};
        if (s.size() - pos < len) return {RecordReader::State::need_more, {}};
        rec.insert(rec.end(), s.begin() + static_cast<std::ptrdiff_t>(pos),
                   s.begin() + static_cast<std::ptrdiff_t>(pos + len));
        pos += len;
        if (marker & 0x80000000u) return {RecordReader::State::complete, rec};
    }
    return {RecordReader::State::need_more, {}};
}

// Random stream biased towards plausible markers so records often complete.
Bytes random_stream(Rng& rng) {
    if (rng.below(4) == 0) return rng.bytes(rng.below(129));
    Bytes s;
    const std::uint32_t frags = rng.below(5);
    for (std::uint32_t i = 0; i < frags && s.size() < 128; ++i) {
        const bool last = rng.below(3) == 0 || i + 1 == frags;
        const std::uint32_t len = rng.below(40);
        Xdr header;
        header.u32((last ? 0x80000000u : 0u) | len);
        s.insert(s.end(), header.bytes().begin(), header.bytes().end());
        const Bytes body = rng.bytes(len);
        s.insert(s.end(), body.begin(), body.end());
    }
    s.resize(std::min<std::size_t>(s.size(), rng.below(129)));
    return s;
}

TEST(RpcFuzz, RecordReaderMatchesReferenceUnderRandomChunking) {
    Rng rng(77);
    int completes = 0;
    for (int i = 0; i < 200000; ++i) {
        const Bytes s = random_stream(rng);
        const std::size_t max = rng.below(2) == 0 ? 64 : kMaxReplyRecord;
        const Expected want = reassemble_whole(s, max);

        RecordReader r(max);
        std::size_t pos = 0;
        while (pos < s.size()) {
            const std::size_t n = std::min<std::size_t>(s.size() - pos, 1 + rng.below(16));
            r.feed(std::span<const std::uint8_t>(s).subspan(pos, n));
            pos += n;
            ASSERT_LE(r.record().size(), max);
        }
        ASSERT_EQ(r.state(), want.state) << "iteration " << i;
        if (want.state == RecordReader::State::complete) {
            ASSERT_EQ(r.record(), want.record) << "iteration " << i;
            ++completes;
            // Whatever was reassembled must parse safely too.
            ASSERT_NO_FATAL_FAILURE(check_sane(r.record(), kXid));
        }
    }
    EXPECT_GT(completes, 1000);
}

}  // namespace
}  // namespace gha::rpc

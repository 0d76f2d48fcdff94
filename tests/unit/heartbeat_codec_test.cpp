// The heartbeat datagram: layout, MAC, replay window, and a reason for every
// drop; the key file's checks and `keygen`'s writer.
#include "monitors/heartbeat_codec.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace gha {
namespace {

namespace fs = std::filesystem;

HeartbeatKey key_of(std::uint8_t fill) {
    std::array<std::uint8_t, kHeartbeatKeyBytes> bytes;
    bytes.fill(fill);
    return HeartbeatKey(bytes);
}

Heartbeat sample(std::uint64_t sequence = 1) {
    Heartbeat hb;
    hb.cluster = "demo";
    hb.node = "n2";
    hb.incarnation = 0x0123456789abcdefULL;
    hb.sequence = sequence;
    hb.nfsd = NfsdState::healthy;
    hb.grace_held = {"n3", "node-4.example.com"};
    return hb;
}

// The same datagram as a version 2 daemon (random incarnations) sends it,
// MAC'd with the fixture's key.
std::vector<std::uint8_t> v2(std::vector<std::uint8_t> bytes) {
    bytes[4] = 2;
    const auto key = key_of(7);
    crypto_auth(bytes.data() + bytes.size() - 32, bytes.data(), bytes.size() - 32, key.bytes().data());
    return bytes;
}

class CodecTest : public ::testing::Test {
protected:
    DecodeResult decode(const std::vector<std::uint8_t>& bytes) {
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

    HeartbeatCodec codec{"demo", key_of(7)};
    std::map<std::string, ReplayWindow> windows{{"n2", {}}, {"n3", {}}};
};

TEST_F(CodecTest, RoundTripsEveryField) {
    const Heartbeat hb = sample();
    const auto bytes = codec.encode(hb);
    const auto r = decode(bytes);
    ASSERT_TRUE(r) << to_string(r.reason);
    EXPECT_EQ(*r.heartbeat, hb);
    EXPECT_FALSE(r.restart);
    EXPECT_EQ(windows["n2"].incarnation(), hb.incarnation);
    EXPECT_EQ(windows["n2"].sequence(), 1u);
}

TEST_F(CodecTest, TheLeavingFlagIsBitOne) {
    Heartbeat hb = sample();
    hb.leaving = true;
    const auto bytes = codec.encode(hb);
    EXPECT_EQ(bytes[6], 0x02);
    const auto r = decode(bytes);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r.heartbeat->leaving);
    EXPECT_EQ(*r.heartbeat, hb);
}

// Issue 11: a drained node takes no failed VIP; its peers must know.
TEST_F(CodecTest, TheDrainedFlagIsBitTwo) {
    Heartbeat hb = sample();
    hb.drained = true;
    hb.leaving = true;
    const auto bytes = codec.encode(hb);
    EXPECT_EQ(bytes[6], 0x06);
    const auto r = decode(bytes);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r.heartbeat->drained);
    EXPECT_EQ(*r.heartbeat, hb);
}

TEST_F(CodecTest, LayoutIsTheDocumentedOne) {
    Heartbeat hb = sample(0x0102030405060708ULL);
    hb.grace_held = {"n3"};
    hb.nfsd = NfsdState::down;
    hb.scope_fingerprint = 0x1112131415161718ULL;
    const auto bytes = codec.encode(hb);
    ASSERT_EQ(bytes.size(), 32u + 5 + 3 + 3 + 32);
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), "GHHB");
    EXPECT_EQ(bytes[4], 3);  // version
    EXPECT_EQ(bytes[5], 2);  // nfsd down
    EXPECT_EQ(bytes[6], 0);  // flags
    EXPECT_EQ(bytes[7], 1);  // grace count
    EXPECT_EQ(bytes[8], 0x01);
    EXPECT_EQ(bytes[15], 0xef);  // incarnation, big-endian
    EXPECT_EQ(bytes[16], 0x01);
    EXPECT_EQ(bytes[23], 0x08);  // sequence, big-endian
    EXPECT_EQ(bytes[24], 0x11);
    EXPECT_EQ(bytes[31], 0x18);  // server scope fingerprint, big-endian
    EXPECT_EQ(bytes[32], 4);
    EXPECT_EQ(std::string(bytes.begin() + 33, bytes.begin() + 37), "demo");
    EXPECT_EQ(bytes[37], 2);
    EXPECT_EQ(std::string(bytes.begin() + 38, bytes.begin() + 40), "n2");
    EXPECT_EQ(bytes[40], 2);
    EXPECT_EQ(std::string(bytes.begin() + 41, bytes.begin() + 43), "n3");
    const auto r = decode(bytes);
    ASSERT_TRUE(r);
    EXPECT_EQ(r.heartbeat->scope_fingerprint, 0x1112131415161718ULL);
}

// Version 1 (no fingerprint; names from offset 24), as a daemon not yet
// upgraded sends it, is still accepted, with the fingerprint unknown.
TEST_F(CodecTest, VersionOneIsAcceptedWithoutAFingerprint) {
    Heartbeat hb = sample(0x0102030405060708ULL);
    hb.scope_fingerprint = 0x1112131415161718ULL;
    auto v2 = codec.encode(hb);
    std::vector<std::uint8_t> v1;
    v1.reserve(v2.size());
    for (std::size_t i = 0; i + 32 < v2.size(); ++i)
        if (i < 24 || i >= 32) v1.push_back(v2[i]);  // without the fingerprint and the MAC
    v1[4] = 1;
    const auto key = key_of(7);
    std::array<std::uint8_t, 32> mac{};
    crypto_auth(mac.data(), v1.data(), v1.size(), key.bytes().data());
    v1.insert(v1.end(), mac.begin(), mac.end());
    const auto r = decode(v1);
    ASSERT_TRUE(r) << static_cast<int>(r.reason);
    hb.scope_fingerprint = 0;
    hb.version = 1;
    EXPECT_EQ(*r.heartbeat, hb);
}

// crypto_auth is HMAC-SHA-512 truncated to 256 bits, over every byte before it.
TEST_F(CodecTest, TheMacIsHmacSha512256OverTheBody) {
    const auto bytes = codec.encode(sample());
    const auto key = key_of(7);
    std::array<unsigned char, crypto_auth_hmacsha512_BYTES> full{};
    crypto_auth_hmacsha512_state state;
    crypto_auth_hmacsha512_init(&state, key.bytes().data(), key.bytes().size());
    crypto_auth_hmacsha512_update(&state, bytes.data(), bytes.size() - 32);
    crypto_auth_hmacsha512_final(&state, full.data());
    EXPECT_TRUE(std::equal(bytes.end() - 32, bytes.end(), full.begin()));
}

TEST_F(CodecTest, EveryChangedByteBreaksTheMac) {
    const auto good = codec.encode(sample());
    // Byte 5 (nfsd): a forger flipping "healthy" to "down".
    for (std::size_t i : {std::size_t{5}, std::size_t{6}, std::size_t{12}, std::size_t{20}, good.size() - 1}) {
        auto bad = good;
        bad[i] ^= 0x01;
        EXPECT_EQ(drop(bad), DropReason::bad_mac) << "byte " << i;
    }
    HeartbeatCodec other("demo", key_of(8));
    EXPECT_EQ(drop(other.encode(sample())), DropReason::bad_mac);
    EXPECT_FALSE(windows["n2"].incarnation()) << "a forged datagram moved the window";
}

TEST_F(CodecTest, ReplaysAndOldSequencesAreDropped) {
    const auto first = codec.encode(sample(5));
    ASSERT_TRUE(decode(first));
    EXPECT_EQ(drop(first), DropReason::replay);
    EXPECT_EQ(drop(codec.encode(sample(4))), DropReason::replay);
    EXPECT_EQ(drop(codec.encode(sample(5))), DropReason::replay);
    EXPECT_TRUE(decode(codec.encode(sample(6))));
    EXPECT_TRUE(decode(codec.encode(sample(100))));  // gaps are fine (lost datagrams)
    EXPECT_EQ(drop(codec.encode(sample(99))), DropReason::replay);  // reordered: older state, dropped
}

TEST_F(CodecTest, AGreaterIncarnationIsARestartAndTheOldOneIsNeverBack) {
    ASSERT_TRUE(decode(codec.encode(sample(50))));
    Heartbeat restarted = sample(1);
    restarted.incarnation = sample().incarnation + 42;
    const auto r = decode(codec.encode(restarted));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r.restart);
    EXPECT_EQ(windows["n2"].incarnation(), restarted.incarnation);
    // A datagram recorded from the previous life is a replay, even with a higher sequence.
    EXPECT_EQ(drop(codec.encode(sample(51))), DropReason::replay);
    restarted.sequence = 2;
    EXPECT_TRUE(decode(codec.encode(restarted)));
}

// Issue 13: one recorded datagram of an earlier life, injected after the
// live ones, must not lock the live incarnation out.
TEST_F(CodecTest, ARecordedOlderIncarnationIsAReplayAndTheLivePeerKeepsGoing) {
    auto with = [](std::uint64_t incarnation, std::uint64_t sequence) {
        Heartbeat hb = sample(sequence);
        hb.incarnation = incarnation;
        return hb;
    };
    ASSERT_TRUE(decode(codec.encode(with(7, 10))));
    Heartbeat recorded = with(5, 3);
    recorded.nfsd = NfsdState::down;
    recorded.leaving = true;
    EXPECT_EQ(drop(codec.encode(recorded)), DropReason::replay);
    const auto r = decode(codec.encode(with(7, 11)));
    ASSERT_TRUE(r) << to_string(r.reason);
    EXPECT_FALSE(r.restart);
    EXPECT_EQ(windows["n2"].incarnation(), 7u);
    EXPECT_EQ(windows["n2"].sequence(), 11u);
}

// A daemon that never heard the live incarnation believes a recording only
// until the live peer's next datagram, which then refuses the rest of it.
TEST_F(CodecTest, ARecordingBelievedFirstIsReplacedByTheLivePeer) {
    Heartbeat recorded = sample(3);
    recorded.incarnation = 5;
    ASSERT_TRUE(decode(codec.encode(recorded)));
    Heartbeat live = sample(900);
    live.incarnation = 7;
    const auto r = decode(codec.encode(live));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r.restart);
    recorded.sequence = 4;
    EXPECT_EQ(drop(codec.encode(recorded)), DropReason::replay);
}

TEST_F(CodecTest, IncarnationsAreOrderedByStartTime) {
    using namespace std::chrono;
    const system_clock::time_point t(milliseconds(1'764'000'000'000));
    EXPECT_LT(make_incarnation(t, 0xfffff), make_incarnation(t + 1ms, 0));
    EXPECT_EQ(make_incarnation(t, 0xffffffff) & 0xfffff, 0xfffffu);  // 20 random bits, no more
    EXPECT_EQ(incarnation_start(make_incarnation(t, 0x12345)), milliseconds(1'764'000'000'000));
}

// An incarnation started in our future would make the sender's later
// restarts look older; more than the allowance ahead, it is refused.
TEST_F(CodecTest, AnIncarnationFromTheFutureIsClockSkew) {
    using namespace std::chrono;
    const system_clock::time_point now(milliseconds(1'764'000'000'000));
    DecodeContext context;
    context.now = now;
    auto decode_at = [&](std::uint64_t incarnation) {
        Heartbeat hb = sample(1);
        hb.incarnation = incarnation;
        return codec.decode(codec.encode(hb), [this](std::string_view) { return &windows["n2"]; }, context);
    };
    const auto ahead = decode_at(make_incarnation(now + kMaxIncarnationSkew + 1ms, 0));
    EXPECT_FALSE(ahead);
    EXPECT_EQ(ahead.reason, DropReason::clock_skew);
    EXPECT_FALSE(windows["n2"].incarnation());
    EXPECT_TRUE(decode_at(make_incarnation(now + kMaxIncarnationSkew, 0)));
}

TEST_F(CodecTest, AnAuthenticDatagramFromTheWrongSourceIsDroppedBeforeTheReplayCheck) {
    DecodeContext context;
    std::string asked;
    context.source_ok = [&](std::string_view node) {
        asked = node;
        return false;
    };
    const auto r = codec.decode(codec.encode(sample(1)), [this](std::string_view) { return &windows["n2"]; }, context);
    EXPECT_FALSE(r);
    EXPECT_EQ(r.reason, DropReason::wrong_source);
    EXPECT_EQ(asked, "n2");
    EXPECT_FALSE(windows["n2"].incarnation());
    // A forgery is a bad MAC before anyone asks where it came from.
    asked.clear();
    HeartbeatCodec other("demo", key_of(8));
    EXPECT_EQ(codec.decode(other.encode(sample(1)), [this](std::string_view) { return &windows["n2"]; }, context).reason,
              DropReason::bad_mac);
    EXPECT_TRUE(asked.empty());
}

// Versions 1 and 2 had random incarnations: the old rule, until the peer is
// heard in version 3; then an older version claiming it is a replay.
TEST_F(CodecTest, VersionTwoKeepsTheOldRuleUntilThePeerSpeaksVersionThree) {
    Heartbeat hb = sample(10);
    hb.incarnation = 900;
    ASSERT_TRUE(decode(v2(codec.encode(hb))));
    hb.incarnation = 100;  // random: lower is a restart too
    hb.sequence = 1;
    const auto restart = decode(v2(codec.encode(hb)));
    ASSERT_TRUE(restart);
    EXPECT_TRUE(restart.restart);
    EXPECT_EQ(restart.heartbeat->version, 2);
    hb.incarnation = 900;  // retired
    EXPECT_EQ(drop(v2(codec.encode(hb))), DropReason::replay);
    // The upgrade: a version 3 datagram replaces it, whatever its value.
    hb.incarnation = 50;
    const auto upgraded = decode(codec.encode(hb));
    ASSERT_TRUE(upgraded);
    EXPECT_TRUE(upgraded.restart);
    hb.incarnation = 7000;
    hb.sequence = 99;
    EXPECT_EQ(drop(v2(codec.encode(hb))), DropReason::replay);
}

TEST_F(CodecTest, RetiredVersionTwoIncarnationsAreBounded) {
    for (std::uint64_t inc = 1; inc <= ReplayWindow::kRetired + 2; ++inc) {
        Heartbeat hb = sample(1);
        hb.incarnation = inc;
        ASSERT_TRUE(decode(v2(codec.encode(hb))));
    }
    Heartbeat old = sample(2);
    old.incarnation = ReplayWindow::kRetired + 1;  // retired, still remembered
    EXPECT_EQ(drop(v2(codec.encode(old))), DropReason::replay);
    old.incarnation = 1;  // forgotten: the old rule's limit
    EXPECT_TRUE(decode(v2(codec.encode(old))));
}

TEST_F(CodecTest, WindowsArePerSender) {
    ASSERT_TRUE(decode(codec.encode(sample(9))));
    Heartbeat from3 = sample(1);
    from3.node = "n3";
    EXPECT_TRUE(decode(codec.encode(from3)));
}

TEST_F(CodecTest, WrongClusterUnknownSenderAndSelf) {
    Heartbeat hb = sample();
    hb.cluster = "other";
    EXPECT_EQ(drop(codec.encode(hb)), DropReason::wrong_cluster);
    // Another cluster with another key is still "wrong cluster", not a forgery.
    HeartbeatCodec neighbour("other", key_of(9));
    EXPECT_EQ(drop(neighbour.encode(hb)), DropReason::wrong_cluster);
    hb = sample();
    hb.node = "n9";
    const auto r = decode(codec.encode(hb));
    EXPECT_EQ(r.reason, DropReason::unknown_sender);
    EXPECT_EQ(r.sender, "n9");
}

TEST_F(CodecTest, SizeLimits) {
    auto bytes = codec.encode(sample());
    auto big = bytes;
    big.resize(kMaxHeartbeatBytes + 1, 0);
    EXPECT_EQ(drop(big), DropReason::oversized);
    EXPECT_EQ(drop({}), DropReason::truncated);
    EXPECT_EQ(drop({'G', 'H'}), DropReason::truncated);
    EXPECT_EQ(drop(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 40)), DropReason::truncated);
    // A name longer than what is left: cut bytes from the middle (the MAC
    // no longer matches either, but the layout is checked first).
    auto cut = bytes;
    cut.erase(cut.begin() + 30, cut.begin() + 42);
    EXPECT_EQ(drop(cut), DropReason::truncated);
}

TEST_F(CodecTest, MalformedAndBadVersion) {
    const auto good = codec.encode(sample());
    auto v = good;
    v[4] = 4;
    EXPECT_EQ(drop(v), DropReason::bad_version);
    v[4] = 0;
    EXPECT_EQ(drop(v), DropReason::bad_version);
    auto magic = good;
    magic[0] = 'X';
    EXPECT_EQ(drop(magic), DropReason::malformed);
    auto nfsd = good;
    nfsd[5] = 3;
    EXPECT_EQ(drop(nfsd), DropReason::malformed);
    auto count = good;
    count[7] = 65;
    EXPECT_EQ(drop(count), DropReason::malformed);
    auto empty_name = good;
    empty_name[32] = 0;
    EXPECT_EQ(drop(empty_name), DropReason::malformed);
    auto bad_char = good;
    bad_char[33] = '/';
    EXPECT_EQ(drop(bad_char), DropReason::malformed);
    auto trailing = good;
    trailing.insert(trailing.end() - 32, 0x00);  // a byte between the last name and the MAC
    EXPECT_EQ(drop(trailing), DropReason::malformed);
    auto fewer = good;
    fewer[7] = 1;  // says one grace entry, carries two
    EXPECT_EQ(drop(fewer), DropReason::malformed);
}

TEST_F(CodecTest, AGraceListThatDoesNotFitIsCutAndFlagged) {
    Heartbeat hb = sample();
    hb.grace_held.clear();
    for (int i = 0; i < 64; ++i) hb.grace_held.push_back(std::string(40, 'a') + std::to_string(i));
    const auto bytes = codec.encode(hb);
    EXPECT_LE(bytes.size(), kMaxHeartbeatBytes);
    const auto r = decode(bytes);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r.heartbeat->grace_incomplete);
    EXPECT_LT(r.heartbeat->grace_held.size(), 64u);
    EXPECT_GT(r.heartbeat->grace_held.size(), 20u);
    EXPECT_EQ(r.heartbeat->grace_held.front(), hb.grace_held.front());
}

TEST_F(CodecTest, LongestNamesFit) {
    Heartbeat hb = sample();
    hb.node = std::string(253, 'n');
    hb.grace_held = {std::string(253, 'g'), std::string(253, 'h')};
    windows[hb.node];
    const auto bytes = codec.encode(hb);
    EXPECT_LE(bytes.size(), kMaxHeartbeatBytes);
    const auto r = decode(bytes);
    ASSERT_TRUE(r) << to_string(r.reason);
    EXPECT_EQ(r.heartbeat->grace_held.size(), 2u);
    EXPECT_FALSE(r.heartbeat->grace_incomplete);
}

TEST_F(CodecTest, EncodeRefusesNamesTheFormatCannotCarry) {
    Heartbeat hb = sample();
    hb.node = std::string(254, 'n');
    EXPECT_THROW(codec.encode(hb), std::invalid_argument);
    hb = sample();
    hb.grace_held = {"a b"};
    EXPECT_THROW(codec.encode(hb), std::invalid_argument);
    hb = sample();
    hb.cluster = "";
    EXPECT_THROW(codec.encode(hb), std::invalid_argument);
}

TEST(DropReasonNames, AreTheDocumentedLabels) {
    std::vector<std::string> names;
    for (auto r : kDropReasons) names.emplace_back(to_string(r));
    EXPECT_EQ(names, (std::vector<std::string>{"oversized", "truncated", "malformed", "bad-version", "wrong-cluster",
                                               "bad-mac", "unknown-sender", "replay", "wrong-source",
                                               "clock-skew"}));
}

// ---------------------------------------------------------------- key files

class KeyFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/gha-key-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
    }
    void TearDown() override { fs::remove_all(dir); }
    std::string write(const std::string& name, const std::string& content, mode_t mode) {
        const std::string path = dir + "/" + name;
        std::ofstream(path, std::ios::binary) << content;
        ::chmod(path.c_str(), mode);
        return path;
    }
    std::string error_of(const std::string& path) {
        try {
            HeartbeatKey::load(path);
        } catch (const HeartbeatKeyError& e) {
            return e.what();
        }
        return "(loaded)";
    }
    std::string dir;
};

const std::string kHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

TEST_F(KeyFileTest, HexAndRawKeysLoad) {
    const auto hex = HeartbeatKey::load(write("hex", kHex + "\n", 0600));
    EXPECT_EQ(hex.bytes()[0], 0x00);
    EXPECT_EQ(hex.bytes()[31], 0x1f);
    const auto no_newline = HeartbeatKey::load(write("hex2", kHex, 0400));  // stricter is fine
    EXPECT_TRUE(std::equal(hex.bytes().begin(), hex.bytes().end(), no_newline.bytes().begin()));
    std::string raw(32, '\0');
    for (int i = 0; i < 32; ++i) raw[i] = static_cast<char>(i);
    const auto from_raw = HeartbeatKey::load(write("raw", raw, 0600));
    EXPECT_TRUE(std::equal(hex.bytes().begin(), hex.bytes().end(), from_raw.bytes().begin()));
}

TEST_F(KeyFileTest, AReadableKeyIsRefusedWithTheFix) {
    const auto path = write("open", kHex + "\n", 0644);
    const std::string e = error_of(path);
    EXPECT_NE(e.find("HA_HEARTBEAT_KEY " + path), std::string::npos) << e;
    EXPECT_NE(e.find("mode 0644"), std::string::npos) << e;
    EXPECT_NE(e.find("0600 or stricter"), std::string::npos) << e;
    EXPECT_NE(error_of(write("group", kHex, 0640)).find("mode 0640"), std::string::npos);
    EXPECT_NE(error_of(write("other", kHex, 0604)).find("mode 0604"), std::string::npos);
}

TEST_F(KeyFileTest, GarbageMissingAndSymlinksAreRefused) {
    EXPECT_NE(error_of(write("short", "abcd\n", 0600)).find("64 hex digits"), std::string::npos);
    EXPECT_NE(error_of(write("nothex", std::string(64, 'z'), 0600)).find("64 hex digits"), std::string::npos);
    EXPECT_NE(error_of(dir + "/missing").find("cannot open"), std::string::npos);
    const auto target = write("target", kHex, 0600);
    fs::create_symlink(target, dir + "/link");
    EXPECT_NE(error_of(dir + "/link").find("symbolic link"), std::string::npos);
    EXPECT_NE(error_of(dir).find("not a regular file"), std::string::npos);
}

TEST_F(KeyFileTest, KeygenWritesMode0600AndRefusesToOverwrite) {
    const mode_t old = ::umask(0);  // the file must be 0600 whatever the umask
    const std::string path = dir + "/new.key";
    const auto key = HeartbeatKey::generate();
    key.save(path, false);
    ::umask(old);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_EQ(fs::file_size(path), 65u);
    const auto loaded = HeartbeatKey::load(path);
    EXPECT_TRUE(std::equal(key.bytes().begin(), key.bytes().end(), loaded.bytes().begin()));

    const auto other = HeartbeatKey::generate();
    EXPECT_FALSE(std::equal(key.bytes().begin(), key.bytes().end(), other.bytes().begin()));
    try {
        other.save(path, false);
        ADD_FAILURE() << "overwrote";
    } catch (const HeartbeatKeyError& e) {
        EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos) << e.what();
    }
    other.save(path, true);
    const auto replaced = HeartbeatKey::load(path);
    EXPECT_TRUE(std::equal(other.bytes().begin(), other.bytes().end(), replaced.bytes().begin()));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1) << "temporary file left";
}

// HA_HEARTBEAT_KEY_DERIVE: the key from corosync's authkey. The expected
// key was computed apart from libsodium (Python's hashlib.blake2b, with the
// salt and personalisation libsodium's crypto_kdf uses), so a change of the
// derivation, which would split a cluster of mixed versions, fails here.
TEST_F(KeyFileTest, ADerivedKeyIsTheDocumentedFunctionOfTheSecret) {
    std::string secret(256, '\0');  // corosync-keygen's default size
    for (int i = 0; i < 256; ++i) secret[i] = static_cast<char>(i);
    const auto key = HeartbeatKey::derive(write("authkey", secret, 0400));
    std::string hex;
    for (const auto b : key.bytes()) {
        char two[3];
        std::snprintf(two, sizeof two, "%02x", b);
        hex += two;
    }
    EXPECT_EQ(hex, "9cbd6769f8f40091eef7e95ec28773055bc6c62d84ab6e95fe343ced51c6ba63");
    const auto again = HeartbeatKey::from_file(write("copy", secret, 0600), true);
    EXPECT_TRUE(std::equal(key.bytes().begin(), key.bytes().end(), again.bytes().begin()));
    secret[100] ^= 1;
    const auto other = HeartbeatKey::derive(write("other", secret, 0600));
    EXPECT_FALSE(std::equal(key.bytes().begin(), key.bytes().end(), other.bytes().begin()));
    // A 32-byte file is a key as it is, unless derivation is asked for.
    const auto raw = write("raw", secret.substr(0, 32), 0600);
    const auto as_key = HeartbeatKey::from_file(raw, false), derived = HeartbeatKey::from_file(raw, true);
    EXPECT_FALSE(std::equal(as_key.bytes().begin(), as_key.bytes().end(), derived.bytes().begin()));
}

TEST_F(KeyFileTest, ASecretToDeriveFromGetsTheSameChecksAndABoundedSize) {
    const auto derive_error = [](const std::string& path) -> std::string {
        try {
            HeartbeatKey::derive(path);
        } catch (const HeartbeatKeyError& e) {
            return e.what();
        }
        return "(derived)";
    };
    const std::string secret(256, 'x');
    EXPECT_NE(derive_error(write("open", secret, 0644)).find("mode 0644"), std::string::npos);
    const std::string short_one = derive_error(write("short", std::string(15, 'x'), 0600));
    EXPECT_NE(short_one.find("holds 15 bytes"), std::string::npos) << short_one;
    EXPECT_NE(short_one.find("16 to 4096"), std::string::npos) << short_one;
    EXPECT_NE(short_one.find("HA_HEARTBEAT_KEY_DERIVE"), std::string::npos) << short_one;
    const std::string long_one = derive_error(write("long", std::string(4097, 'x'), 0600));
    EXPECT_NE(long_one.find("more than 4096 bytes"), std::string::npos) << long_one;
    EXPECT_EQ(derive_error(write("min", std::string(16, 'x'), 0600)), "(derived)");
    EXPECT_EQ(derive_error(write("max", std::string(4096, 'x'), 0600)), "(derived)");
    EXPECT_NE(derive_error(dir + "/missing").find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace gha

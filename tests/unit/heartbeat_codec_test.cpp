// The heartbeat datagram: layout, MAC, replay window, and a reason for every
// drop; the key file's checks and `keygen`'s writer.
#include "monitors/heartbeat_codec.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

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

TEST_F(CodecTest, LayoutIsTheDocumentedOne) {
    Heartbeat hb = sample(0x0102030405060708ULL);
    hb.grace_held = {"n3"};
    hb.nfsd = NfsdState::down;
    hb.scope_fingerprint = 0x1112131415161718ULL;
    const auto bytes = codec.encode(hb);
    ASSERT_EQ(bytes.size(), 32u + 5 + 3 + 3 + 32);
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), "GHHB");
    EXPECT_EQ(bytes[4], 2);  // version
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

TEST_F(CodecTest, ANewIncarnationIsARestartAndTheOldOneIsNeverBack) {
    ASSERT_TRUE(decode(codec.encode(sample(50))));
    Heartbeat restarted = sample(1);
    restarted.incarnation = 42;
    const auto r = decode(codec.encode(restarted));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r.restart);
    EXPECT_EQ(windows["n2"].incarnation(), 42u);
    // A datagram recorded from the previous life is a replay, even with a higher sequence.
    EXPECT_EQ(drop(codec.encode(sample(51))), DropReason::replay);
    restarted.sequence = 2;
    EXPECT_TRUE(decode(codec.encode(restarted)));
}

TEST_F(CodecTest, RetiredIncarnationsAreBounded) {
    for (std::uint64_t inc = 1; inc <= ReplayWindow::kRetired + 2; ++inc) {
        Heartbeat hb = sample(1);
        hb.incarnation = inc;
        ASSERT_TRUE(decode(codec.encode(hb)));
    }
    Heartbeat old = sample(2);
    old.incarnation = ReplayWindow::kRetired + 1;  // retired, still remembered
    EXPECT_EQ(drop(codec.encode(old)), DropReason::replay);
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
    v[4] = 3;
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
                                               "bad-mac", "unknown-sender", "replay"}));
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

}  // namespace
}  // namespace gha

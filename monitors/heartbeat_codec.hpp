// The peer heartbeat datagram: what one ganesha-had tells the others about
// itself, authenticated with a pre-shared key (libsodium crypto_auth,
// HMAC-SHA512-256). Pure code: no sockets, no clock.
//
// Wire format, version 3 (integers big-endian, names are a length byte
// 1..253 followed by that many bytes of [A-Za-z0-9._-]). Version 3 has
// version 2's layout; what changed is the meaning of the incarnation, which
// is ordered (see "Acceptance" below):
//
//   offset size
//    0      4   magic "GHHB"
//    4      1   version (3; versions 1 and 2 are still accepted, see below)
//    5      1   sender's nfsd: 0 unknown, 1 healthy, 2 down
//    6      1   flags: bit 0 = the grace list is incomplete (did not fit);
//               bit 1 = leaving: the daemon is stopping on purpose, its
//               silence from now on is not a failure; bit 2 = drained:
//               the sender takes no VIP (an operator's drain), so no
//               peer counts on it as a failed VIP's taker; other bits are
//               sent as 0 and ignored
//    7      1   grace count (0..64)
//    8      8   incarnation: the sender daemon's start time, milliseconds
//               since the Unix epoch (its wall clock), in the top 44 bits,
//               and 20 random bits below (make_incarnation)
//   16      8   sequence number (1, 2, ... per incarnation)
//   24      8   fingerprint of the sender's NFSv4 Server_Scope (from its
//               ganesha.conf, ganesha_conf::scope_fingerprint); 0 = unknown
//   32    1+n   cluster name (HA_NAME)
//         1+n   sender node
//   (1+n)×count nodes the sender currently holds grace for
//   last   32   MAC = crypto_auth(key, every byte before it)
//
// A datagram is at most kMaxHeartbeatBytes (1200: below the IPv6 minimum MTU
// payload, 1232, so it is never fragmented) and at least 68 bytes.
//
// Acceptance of an authentic datagram from a peer (ReplayWindow), version 3:
//  - its incarnation's start time must not be more than kMaxIncarnationSkew
//    ahead of the receiver's wall clock (else clock-skew): an incarnation
//    from the future would make every later restart of that node look older
//    and be refused;
//  - incarnation greater than the current one: a restart, any sequence;
//    equal: the sequence must be greater than the last accepted one;
//    lower: always a replay. So a recording of an earlier life is refused
//    by every daemon that has heard the current one, and a daemon that has
//    not (it started since) believes a recording only until the real peer's
//    next datagram, which has a greater incarnation and replaces it.
//
// Versions 1 and 2 carried random incarnations. They are still decoded (v1:
// fingerprint 0; names from offset 24) and judged by the old rule (another
// incarnation is a restart unless it is one of the last kRetired replaced),
// but only until that peer has been heard in version 3: from then on a
// version 1 or 2 datagram claiming to be it is a replay, and its first
// version 3 datagram replaces any version 1/2 incarnation (the upgrade).
// A version 1 or 2 daemon drops version 3 as bad-version: a peer restarted
// for the upgrade (it said goodbye) stays "unknown" to it, no grace is
// taken, until it is upgraded too.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gha {

inline constexpr std::size_t kHeartbeatKeyBytes = 32;  // crypto_auth_KEYBYTES
inline constexpr std::size_t kHeartbeatMacBytes = 32;  // crypto_auth_BYTES
inline constexpr std::size_t kMaxHeartbeatBytes = 1200;
inline constexpr std::size_t kMinHeartbeatBytes = 32 + 2 + 2 + kHeartbeatMacBytes;
inline constexpr std::size_t kMinHeartbeatV1Bytes = 24 + 2 + 2 + kHeartbeatMacBytes;
inline constexpr std::size_t kMaxHeartbeatName = 253;
inline constexpr std::size_t kMaxHeartbeatGrace = 64;  // the largest cluster
inline constexpr std::uint8_t kHeartbeatVersion = 3;  // sent; 1, 2 and 3 are accepted
inline constexpr std::uint8_t kFirstOrderedVersion = 3;  // incarnations ordered from here on

// Incarnations (version 3): start time in ms since the epoch << 20 | 20
// random bits. 44 bits of milliseconds last until the year 2527; the random
// bits only break ties between two daemons started in the same
// millisecond under the same node name (a misconfiguration).
inline constexpr unsigned kIncarnationRandomBits = 20;
// How far a peer's start time may be ahead of our clock. Nodes of a
// Pacemaker cluster run NTP; this only has to catch a clock that is wrong.
inline constexpr std::chrono::milliseconds kMaxIncarnationSkew{std::chrono::minutes(5)};
std::uint64_t make_incarnation(std::chrono::system_clock::time_point start, std::uint32_t random);
std::chrono::milliseconds incarnation_start(std::uint64_t incarnation);  // since the epoch

enum class NfsdState : std::uint8_t { unknown = 0, healthy = 1, down = 2 };
std::string_view to_string(NfsdState state);

// Why a datagram was dropped. A fixed set: these are metric labels.
enum class DropReason : std::uint8_t {
    oversized,       // longer than kMaxHeartbeatBytes
    truncated,       // shorter than its fields say (or than the minimum)
    malformed,       // not our magic, bad name bytes, count > 64, trailing bytes
    bad_version,     // our magic, another version
    wrong_cluster,   // another HA_NAME (checked before the MAC: a neighbouring
                     // cluster with its own key is a misconfiguration, not a forgery)
    bad_mac,         // forged, corrupted, or another key
    unknown_sender,  // authentic, but not a node of our HA_CLUSTER_NODES (or us)
    replay,          // sequence not above the last one of that incarnation, or
                     // an incarnation lower than (v3) or replaced by (v1/2) the current one
    wrong_source,    // authentic, but not from the peer's address (HA_PEER_ADDR_<node>
                     // or the address its name resolved to): relayed or misrouted
    clock_skew,      // authentic, but its incarnation started more than
                     // kMaxIncarnationSkew in our future
};
inline constexpr std::size_t kDropReasonCount = 10;
inline constexpr std::array<DropReason, kDropReasonCount> kDropReasons = {
    DropReason::oversized,      DropReason::truncated, DropReason::malformed,    DropReason::bad_version,
    DropReason::wrong_cluster,  DropReason::bad_mac,   DropReason::unknown_sender, DropReason::replay,
    DropReason::wrong_source,   DropReason::clock_skew};
std::string_view to_string(DropReason reason);

struct Heartbeat {
    std::string cluster;
    std::string node;
    std::uint64_t incarnation = 0;
    std::uint64_t sequence = 0;
    NfsdState nfsd = NfsdState::unknown;
    std::vector<std::string> grace_held;  // node names
    bool grace_incomplete = false;        // the sender holds grace for more than fitted
    bool leaving = false;                 // its daemon is stopping on purpose
    bool drained = false;                 // it takes no VIP (drained)
    std::uint64_t scope_fingerprint = 0;  // of its ganesha's Server_Scope; 0 = unknown (or version 1)
    std::uint8_t version = kHeartbeatVersion;  // as received; encode() always sends kHeartbeatVersion
    bool operator==(const Heartbeat&) const = default;
};

// A name the format can carry: 1..253 bytes of [A-Za-z0-9._-].
bool valid_heartbeat_name(std::string_view name);

// Thrown with a message an operator can act on ("HA_HEARTBEAT_KEY /etc/...: ...").
class HeartbeatKeyError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The shared key. Wiped from memory when destroyed.
class HeartbeatKey {
public:
    HeartbeatKey() = default;  // all zero: only for tests that want a fixed key
    explicit HeartbeatKey(std::span<const std::uint8_t> bytes);  // throws std::invalid_argument unless 32 bytes
    ~HeartbeatKey();
    HeartbeatKey(const HeartbeatKey&) = default;
    HeartbeatKey& operator=(const HeartbeatKey&) = default;

    static HeartbeatKey generate();
    // The key file: 64 hex digits (an optional trailing newline), as
    // `ganesha-hactl keygen` writes it, or exactly 32 raw bytes. It must be a
    // regular file (not a symlink) owned by root or by us with no group or
    // other permission bits (0600 or stricter); anything else is refused
    // with a HeartbeatKeyError that says what to do.
    static HeartbeatKey load(const std::string& path);
    // The key derived (libsodium's KDF over a BLAKE2b of the file) from a
    // secret every node already has, such as corosync's authkey: 16 to 4096
    // bytes, with the same file checks as load().
    static HeartbeatKey derive(const std::string& path);
    // derive(path) or load(path): HA_HEARTBEAT_KEY_DERIVE.
    static HeartbeatKey from_file(const std::string& path, bool derived);
    // Writes 64 hex digits and a newline, mode 0600. Refuses an existing
    // file unless `force` (then replaced atomically). Throws HeartbeatKeyError.
    void save(const std::string& path, bool force) const;

    std::span<const std::uint8_t, kHeartbeatKeyBytes> bytes() const { return bytes_; }

private:
    std::array<std::uint8_t, kHeartbeatKeyBytes> bytes_{};
};

// What one sender last sent, to refuse replays (the rule is in the comment
// at the top). `ordered`: the datagram is version 3 or later.
class ReplayWindow {
public:
    static constexpr std::size_t kRetired = 8;  // versions 1 and 2 only
    bool fresh(std::uint64_t incarnation, std::uint64_t sequence, bool ordered = true) const;
    // Records an accepted datagram; true when it started a new incarnation
    // after an earlier one (the sender restarted).
    bool accept(std::uint64_t incarnation, std::uint64_t sequence, bool ordered = true);
    std::optional<std::uint64_t> incarnation() const { return incarnation_; }
    std::uint64_t sequence() const { return sequence_; }

private:
    std::optional<std::uint64_t> incarnation_;
    std::uint64_t sequence_ = 0;
    bool ordered_ = false;  // heard in version 3: older versions are replays from now on
    std::deque<std::uint64_t> retired_;
};

// What decode() checks beyond the datagram itself.
struct DecodeContext {
    // The datagram came from the claimed node's address (or its address is
    // not known yet). Unset: not checked.
    std::function<bool(std::string_view node)> source_ok;
    // The receiver's wall clock, for the incarnation's skew. Unset: not checked.
    std::optional<std::chrono::system_clock::time_point> now;
};

struct DecodeResult {
    std::optional<Heartbeat> heartbeat;  // set when accepted
    DropReason reason = DropReason::malformed;  // when not
    std::string sender;   // the claimed sender once it could be parsed (authentic only if accepted)
    bool restart = false;  // accepted, and the sender has a new incarnation
    explicit operator bool() const { return heartbeat.has_value(); }
};

class HeartbeatCodec {
public:
    // window_for(node): the node's ReplayWindow, or nullptr when the node is
    // not one of our peers.
    using WindowLookup = std::function<ReplayWindow*(std::string_view node)>;

    HeartbeatCodec(std::string cluster, HeartbeatKey key);

    // The datagram for hb (hb.cluster is sent as given). Grace entries that
    // would push it over kMaxHeartbeatBytes are left out and the incomplete
    // flag is set: a peer then waits its HA_GRACE_DELAY instead of trusting
    // a confirmation that was not sent, which is the safe side. Throws
    // std::invalid_argument for a name the format cannot carry.
    std::vector<std::uint8_t> encode(const Heartbeat& hb) const;

    // Checks, in order: size, magic, version, layout; cluster; MAC; sender;
    // source; clock skew; replay. On success the sender's window has advanced.
    DecodeResult decode(std::span<const std::uint8_t> datagram, const WindowLookup& window_for,
                        const DecodeContext& context = {}) const;

    // Layout only (no MAC, cluster or replay check): nullopt and `why` for a
    // datagram that cannot be parsed. For decode() and for tests.
    static std::optional<Heartbeat> parse(std::span<const std::uint8_t> datagram, DropReason& why);

    const std::string& cluster() const { return cluster_; }

private:
    std::string cluster_;
    HeartbeatKey key_;
};

// What an authenticated datagram on the heartbeat socket claims about itself.
struct AuthenticClaim {
    std::string_view cluster;
    std::string_view node;
    std::uint64_t incarnation = 0;
    std::uint64_t sequence = 0;
    bool ordered = true;  // ordered incarnations (heartbeat version 3 and every connection list)
};

// The checks after a datagram's layout, in order: cluster; MAC over all but
// the last kHeartbeatMacBytes; known sender; source; clock skew; replay.
// nullopt: accepted, and the sender's window has advanced (`restart`: to a
// new incarnation).
std::optional<DropReason> accept_authentic(std::span<const std::uint8_t> datagram, const AuthenticClaim& claim,
                                           const std::string& cluster, const HeartbeatKey& key,
                                           const HeartbeatCodec::WindowLookup& window_for,
                                           const DecodeContext& context, bool& restart);

}  // namespace gha

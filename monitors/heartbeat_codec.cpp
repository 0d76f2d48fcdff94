#include "monitors/heartbeat_codec.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "monitors/unique_fd.hpp"
#include "monitors/wire_format.hpp"

namespace gha {
namespace {

using wire::get_u64;
using wire::put_name;
using wire::put_u64;
using wire::Reader;

static_assert(kHeartbeatKeyBytes == crypto_auth_KEYBYTES);
static_assert(kHeartbeatMacBytes == crypto_auth_BYTES);

constexpr std::array<std::uint8_t, 4> kBeatMagic = {'G', 'H', 'H', 'B'};
constexpr std::size_t kBeatHeaderBytes = 24;  // before the fingerprint (version 1: before the names)
constexpr std::uint8_t kFlagGraceIncomplete = 0x01;
constexpr std::uint8_t kFlagLeaving = 0x02;
constexpr std::uint8_t kFlagDrained = 0x04;
constexpr std::size_t kMaxKeyFileBytes = 128;
// A secret to derive from: corosync's authkey is 128 to 4096 bytes
// (corosync-keygen -l 1024..32768 bits; 256 by default).
constexpr std::size_t kMinDeriveSecretBytes = 16;
constexpr std::size_t kMaxDeriveSecretBytes = 4096;

void init_sodium() {
    static const bool ok = sodium_init() >= 0;
    if (!ok) throw std::runtime_error("libsodium could not be initialised");
}

std::string errno_text(int error) { return std::strerror(error); }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string mode_text(mode_t mode) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
    return buffer;
}

}  // namespace

std::string_view to_string(NfsdState state) {
    switch (state) {
        case NfsdState::healthy: return "healthy";
        case NfsdState::down: return "down";
        case NfsdState::unknown: break;
    }
    return "unknown";
}

std::string_view to_string(DropReason reason) {
    switch (reason) {
        case DropReason::oversized: return "oversized";
        case DropReason::truncated: return "truncated";
        case DropReason::malformed: return "malformed";
        case DropReason::bad_version: return "bad-version";
        case DropReason::wrong_cluster: return "wrong-cluster";
        case DropReason::bad_mac: return "bad-mac";
        case DropReason::unknown_sender: return "unknown-sender";
        case DropReason::replay: return "replay";
        case DropReason::wrong_source: return "wrong-source";
        case DropReason::clock_skew: return "clock-skew";
    }
    return "malformed";
}

bool valid_heartbeat_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxHeartbeatName) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
               c == '_';
    });
}

// ---------------------------------------------------------------- key

HeartbeatKey::HeartbeatKey(std::span<const std::uint8_t> bytes) {
    if (bytes.size() != kHeartbeatKeyBytes)
        throw std::invalid_argument("a heartbeat key is " + std::to_string(kHeartbeatKeyBytes) + " bytes");
    std::copy(bytes.begin(), bytes.end(), bytes_.begin());
}

HeartbeatKey::~HeartbeatKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

HeartbeatKey HeartbeatKey::generate() {
    init_sodium();
    HeartbeatKey key;
    crypto_auth_keygen(key.bytes_.data());
    return key;
}

namespace {

// The bytes of a secret file after the checks every key file gets: a
// regular file (not a symlink), owned by root or us, no group or other
// permission bits. At most `max` bytes are read (one more is looked at, to
// tell a longer file); `what` and `fix` go into every error. The caller
// wipes the buffer.
std::size_t read_secret_file(const std::string& path, std::span<char> buffer, const std::string& what,
                             const std::string& fix) {
    // O_NOFOLLOW: the file itself must have the checked owner and mode.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (fd.get() < 0) {
        const int e = errno;
        if (e == ELOOP) throw HeartbeatKeyError(what + "is a symbolic link; point HA_HEARTBEAT_KEY at the file itself");
        throw HeartbeatKeyError(what + "cannot open: " + errno_text(e) + fix);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw HeartbeatKeyError(what + "cannot stat: " + errno_text(errno));
    if (!S_ISREG(st.st_mode)) throw HeartbeatKeyError(what + "is not a regular file");
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
        throw HeartbeatKeyError(what + "is owned by uid " + std::to_string(st.st_uid) +
                                "; it must belong to root or to the daemon's user (uid " +
                                std::to_string(::geteuid()) + ")");
    if ((st.st_mode & 077) != 0)
        throw HeartbeatKeyError(what + "mode " + mode_text(st.st_mode) +
                                " lets group or others read the key; it must be 0600 or stricter (chmod 600 " +
                                path + ")" + fix);
    std::size_t size = 0;
    while (size < buffer.size()) {
        const ssize_t n = ::read(fd.get(), buffer.data() + size, buffer.size() - size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw HeartbeatKeyError(what + "cannot read: " + errno_text(errno));
        if (n == 0) break;
        size += static_cast<std::size_t>(n);
    }
    return size;
}

}  // namespace

HeartbeatKey HeartbeatKey::load(const std::string& path) {
    const std::string what = "HA_HEARTBEAT_KEY " + path + ": ";
    const std::string fix = " (ganesha-hactl keygen PATH writes a new key with the right mode)";
    std::array<char, kMaxKeyFileBytes + 1> buffer{};
    const std::size_t size = read_secret_file(path, buffer, what, fix);
    HeartbeatKey key;
    const std::string_view text(buffer.data(), size);
    if (size == kHeartbeatKeyBytes) {
        std::copy(buffer.begin(), buffer.begin() + kHeartbeatKeyBytes, key.bytes_.begin());
    } else {
        std::string_view hex = text;
        if (hex.ends_with('\n')) hex.remove_suffix(1);
        bool ok = hex.size() == 2 * kHeartbeatKeyBytes;
        for (std::size_t i = 0; ok && i < kHeartbeatKeyBytes; ++i) {
            const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            key.bytes_[i] = static_cast<std::uint8_t>(ok ? hi * 16 + lo : 0);
        }
        if (!ok) {
            sodium_memzero(buffer.data(), buffer.size());
            throw HeartbeatKeyError(what + "is not a key: expected 64 hex digits (or 32 raw bytes), got " +
                                    std::to_string(size) + " bytes" + fix);
        }
    }
    sodium_memzero(buffer.data(), buffer.size());
    return key;
}

HeartbeatKey HeartbeatKey::derive(const std::string& path) {
    const std::string what = "HA_HEARTBEAT_KEY " + path + " (HA_HEARTBEAT_KEY_DERIVE=yes): ";
    const std::string fix = " (corosync-keygen writes /etc/corosync/authkey; pcs copies it to every node)";
    std::array<char, kMaxDeriveSecretBytes + 1> buffer{};
    const std::size_t size = read_secret_file(path, buffer, what, fix);
    if (size < kMinDeriveSecretBytes || size > kMaxDeriveSecretBytes) {
        sodium_memzero(buffer.data(), buffer.size());
        throw HeartbeatKeyError(what + "holds " + (size > kMaxDeriveSecretBytes ? "more than " : "") +
                                std::to_string(std::min(size, kMaxDeriveSecretBytes)) + " bytes; a secret to derive " +
                                "from must have " + std::to_string(kMinDeriveSecretBytes) + " to " +
                                std::to_string(kMaxDeriveSecretBytes) + fix);
    }
    // BLAKE2b of the secret (any length) is the KDF's 32-byte master key;
    // the heartbeat key is its subkey 1 in context "gha-hbkd", so the same
    // file gives every node the same key and a key for any other use
    // (another id or context) is independent of this one.
    std::array<std::uint8_t, crypto_kdf_KEYBYTES> master{};
    crypto_generichash(master.data(), master.size(), reinterpret_cast<const unsigned char*>(buffer.data()), size,
                       nullptr, 0);
    sodium_memzero(buffer.data(), buffer.size());
    HeartbeatKey key;
    crypto_kdf_derive_from_key(key.bytes_.data(), key.bytes_.size(), 1, "gha-hbkd", master.data());
    sodium_memzero(master.data(), master.size());
    return key;
}

HeartbeatKey HeartbeatKey::from_file(const std::string& path, bool derived) {
    return derived ? derive(path) : load(path);
}

void HeartbeatKey::save(const std::string& path, bool force) const {
    const std::string what = path + ": ";
    std::string text;
    static constexpr char kDigits[] = "0123456789abcdef";
    for (auto b : bytes_) {
        text += kDigits[b >> 4];
        text += kDigits[b & 15];
    }
    text += '\n';
    // Written to a new file next to the target, then renamed over it, so a
    // reader never sees a half-written or wrongly-moded key.
    const std::string temp = force ? path + ".tmp." + std::to_string(::getpid()) : path;
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) {
        const int e = errno;
        sodium_memzero(text.data(), text.size());
        if (e == EEXIST && !force) throw HeartbeatKeyError(what + "exists; not overwritten (use --force to replace it)");
        throw HeartbeatKeyError(what + "cannot create: " + errno_text(e));
    }
    auto fail = [&](const std::string& step, int e) {
        sodium_memzero(text.data(), text.size());
        ::unlink(temp.c_str());
        throw HeartbeatKeyError(what + step + ": " + errno_text(e));
    };
    if (::fchmod(fd.get(), 0600) != 0) fail("chmod", errno);  // whatever the umask was
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd.get(), text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("write", errno);
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) fail("fsync", errno);
    if (::close(fd.release()) != 0) fail("close", errno);
    if (temp != path && ::rename(temp.c_str(), path.c_str()) != 0) fail("rename", errno);
    sodium_memzero(text.data(), text.size());
}

// ---------------------------------------------------------------- replay window

std::uint64_t make_incarnation(std::chrono::system_clock::time_point start, std::uint32_t random) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch()).count();
    const std::uint64_t mask = (std::uint64_t{1} << kIncarnationRandomBits) - 1;
    return (static_cast<std::uint64_t>(std::max<std::int64_t>(ms, 0)) << kIncarnationRandomBits) | (random & mask);
}

std::chrono::milliseconds incarnation_start(std::uint64_t incarnation) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(incarnation >> kIncarnationRandomBits));
}

bool ReplayWindow::fresh(std::uint64_t incarnation, std::uint64_t sequence, bool ordered) const {
    if (!incarnation_) return true;
    if (ordered) {
        // Random incarnations cannot be compared with ordered ones: the
        // first version 3 datagram after them is the upgrade's restart.
        if (!ordered_ || incarnation > *incarnation_) return true;
        return incarnation == *incarnation_ && sequence > sequence_;
    }
    if (ordered_) return false;  // it speaks version 3: an older one is a recording (or a rollback)
    if (incarnation == *incarnation_) return sequence > sequence_;
    return std::find(retired_.begin(), retired_.end(), incarnation) == retired_.end();
}

bool ReplayWindow::accept(std::uint64_t incarnation, std::uint64_t sequence, bool ordered) {
    bool restart = false;
    if (incarnation_ && (*incarnation_ != incarnation || ordered != ordered_)) {
        retired_.push_back(*incarnation_);
        if (retired_.size() > kRetired) retired_.pop_front();
        restart = true;
    }
    incarnation_ = incarnation;
    sequence_ = sequence;
    ordered_ = ordered;
    return restart;
}

// ---------------------------------------------------------------- codec

HeartbeatCodec::HeartbeatCodec(std::string cluster, HeartbeatKey key)
    : cluster_(std::move(cluster)), key_(std::move(key)) {
    init_sodium();
}

std::vector<std::uint8_t> HeartbeatCodec::encode(const Heartbeat& hb) const {
    if (!valid_heartbeat_name(hb.cluster)) throw std::invalid_argument("heartbeat: bad cluster name '" + hb.cluster + "'");
    if (!valid_heartbeat_name(hb.node)) throw std::invalid_argument("heartbeat: bad node name '" + hb.node + "'");
    for (const auto& name : hb.grace_held)
        if (!valid_heartbeat_name(name)) throw std::invalid_argument("heartbeat: bad grace entry '" + name + "'");

    std::vector<std::uint8_t> out;
    out.reserve(kMaxHeartbeatBytes);
    out.insert(out.end(), kBeatMagic.begin(), kBeatMagic.end());
    out.push_back(kHeartbeatVersion);
    out.push_back(static_cast<std::uint8_t>(hb.nfsd));
    out.push_back(0);  // flags, set below
    out.push_back(0);  // grace count, set below
    put_u64(out, hb.incarnation);
    put_u64(out, hb.sequence);
    put_u64(out, hb.scope_fingerprint);
    put_name(out, hb.cluster);
    put_name(out, hb.node);
    std::uint8_t count = 0;
    bool incomplete = hb.grace_incomplete;
    for (const auto& name : hb.grace_held) {
        if (count == kMaxHeartbeatGrace || out.size() + 1 + name.size() + kHeartbeatMacBytes > kMaxHeartbeatBytes) {
            incomplete = true;
            break;
        }
        put_name(out, name);
        ++count;
    }
    out[6] = static_cast<std::uint8_t>((incomplete ? kFlagGraceIncomplete : 0) | (hb.leaving ? kFlagLeaving : 0) |
                                     (hb.drained ? kFlagDrained : 0));
    out[7] = count;
    const std::size_t body = out.size();
    out.resize(body + kHeartbeatMacBytes);
    crypto_auth(out.data() + body, out.data(), body, key_.bytes().data());
    return out;
}

std::optional<Heartbeat> HeartbeatCodec::parse(std::span<const std::uint8_t> datagram, DropReason& why) {
    if (datagram.size() > kMaxHeartbeatBytes) {
        why = DropReason::oversized;
        return std::nullopt;
    }
    // Magic and version first, so that a foreign or newer datagram is named
    // as such even when it is short.
    if (datagram.size() >= kBeatMagic.size() && !std::equal(kBeatMagic.begin(), kBeatMagic.end(), datagram.begin())) {
        why = DropReason::malformed;
        return std::nullopt;
    }
    if (datagram.size() > 4 && (datagram[4] < 1 || datagram[4] > kHeartbeatVersion)) {
        why = DropReason::bad_version;
        return std::nullopt;
    }
    const bool v1 = datagram.size() > 4 && datagram[4] == 1;
    if (datagram.size() < (v1 ? kMinHeartbeatV1Bytes : kMinHeartbeatBytes)) {
        why = DropReason::truncated;
        return std::nullopt;
    }
    const auto body = datagram.first(datagram.size() - kHeartbeatMacBytes);
    Heartbeat hb;
    if (body[5] > static_cast<std::uint8_t>(NfsdState::down)) {
        why = DropReason::malformed;
        return std::nullopt;
    }
    hb.nfsd = static_cast<NfsdState>(body[5]);
    hb.version = body[4];
    hb.grace_incomplete = (body[6] & kFlagGraceIncomplete) != 0;
    hb.leaving = (body[6] & kFlagLeaving) != 0;
    hb.drained = (body[6] & kFlagDrained) != 0;
    const std::size_t count = body[7];
    if (count > kMaxHeartbeatGrace) {
        why = DropReason::malformed;
        return std::nullopt;
    }
    hb.incarnation = get_u64(body.data() + 8);
    hb.sequence = get_u64(body.data() + 16);
    if (!v1) hb.scope_fingerprint = get_u64(body.data() + 24);
    Reader reader(body, v1 ? kBeatHeaderBytes : kBeatHeaderBytes + 8);
    if (!reader.name(hb.cluster, why) || !reader.name(hb.node, why)) return std::nullopt;
    hb.grace_held.resize(count);
    for (auto& name : hb.grace_held)
        if (!reader.name(name, why)) return std::nullopt;
    if (!reader.done()) {
        why = DropReason::malformed;  // bytes between the last name and the MAC
        return std::nullopt;
    }
    return hb;
}

std::optional<DropReason> accept_authentic(std::span<const std::uint8_t> datagram, const AuthenticClaim& claim,
                                           const std::string& cluster, const HeartbeatKey& key,
                                           const HeartbeatCodec::WindowLookup& window_for,
                                           const DecodeContext& context, bool& restart) {
    restart = false;
    if (claim.cluster != cluster) return DropReason::wrong_cluster;
    const std::size_t body = datagram.size() - kHeartbeatMacBytes;
    if (crypto_auth_verify(datagram.data() + body, datagram.data(), body, key.bytes().data()) != 0)
        return DropReason::bad_mac;
    ReplayWindow* window = window_for ? window_for(claim.node) : nullptr;
    if (!window) return DropReason::unknown_sender;
    // Authentic from here on: what follows is charged to the claimed sender.
    if (context.source_ok && !context.source_ok(claim.node)) return DropReason::wrong_source;
    if (claim.ordered && context.now &&
        incarnation_start(claim.incarnation) >
            std::chrono::duration_cast<std::chrono::milliseconds>(context.now->time_since_epoch()) +
                kMaxIncarnationSkew)
        return DropReason::clock_skew;
    if (!window->fresh(claim.incarnation, claim.sequence, claim.ordered)) return DropReason::replay;
    restart = window->accept(claim.incarnation, claim.sequence, claim.ordered);
    return std::nullopt;
}

DecodeResult HeartbeatCodec::decode(std::span<const std::uint8_t> datagram, const WindowLookup& window_for,
                                    const DecodeContext& context) const {
    DecodeResult result;
    auto hb = parse(datagram, result.reason);
    if (!hb) return result;
    result.sender = hb->node;
    const AuthenticClaim claim{hb->cluster, hb->node, hb->incarnation, hb->sequence,
                               hb->version >= kFirstOrderedVersion};
    if (auto why = accept_authentic(datagram, claim, cluster_, key_, window_for, context, result.restart)) {
        result.reason = *why;
        return result;
    }
    result.heartbeat = std::move(hb);
    return result;
}

}  // namespace gha

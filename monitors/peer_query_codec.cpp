#include "monitors/peer_query_codec.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "monitors/wire_format.hpp"

namespace gha {
namespace {

constexpr std::array<std::uint8_t, 4> kQueryMagic = {'G', 'H', 'Q', 'Y'};
constexpr std::uint8_t kQueryVersion = 1;
constexpr std::size_t kQueryHeaderBytes = 30;  // up to the cluster name
constexpr std::size_t kQueryMinBytes = kQueryHeaderBytes + 3 * 2 + kHeartbeatMacBytes;

void require_name(const std::string& name, const char* what) {
    if (!valid_heartbeat_name(name)) throw std::invalid_argument(std::string(what) + " cannot be sent: " + name);
}

}  // namespace

bool is_peer_query(std::span<const std::uint8_t> datagram) {
    return datagram.size() >= kQueryMagic.size() && std::equal(kQueryMagic.begin(), kQueryMagic.end(), datagram.begin());
}

PeerQueryCodec::PeerQueryCodec(std::string cluster, HeartbeatKey key) : cluster_(std::move(cluster)), key_(std::move(key)) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::size_t PeerQueryCodec::room(const std::string& sender, const std::string& recipient) const {
    require_name(cluster_, "cluster name");
    require_name(sender, "node name");
    require_name(recipient, "node name");
    return kMaxHeartbeatBytes -
           (kQueryHeaderBytes + 3 + cluster_.size() + sender.size() + recipient.size() + kHeartbeatMacBytes);
}

std::vector<std::uint8_t> PeerQueryCodec::seal(const QueryDatagram& q) const {
    std::vector<std::uint8_t> d(kQueryMagic.begin(), kQueryMagic.end());
    d.push_back(kQueryVersion);
    d.push_back(static_cast<std::uint8_t>(q.kind));
    d.push_back(q.index);
    d.push_back(q.count);
    wire::put_u64(d, q.incarnation);
    wire::put_u64(d, q.sequence);
    wire::put_u32(d, q.id);
    wire::put_u16(d, static_cast<std::uint16_t>(q.payload.size()));
    wire::put_name(d, cluster_);
    wire::put_name(d, q.sender);
    wire::put_name(d, q.recipient);
    d.insert(d.end(), q.payload.begin(), q.payload.end());
    const std::size_t body = d.size();
    d.resize(body + kHeartbeatMacBytes);
    crypto_auth(d.data() + body, d.data(), body, key_.bytes().data());
    return d;
}

std::vector<std::uint8_t> PeerQueryCodec::encode_request(const std::string& sender, const std::string& recipient,
                                                         std::uint64_t incarnation, std::uint64_t sequence,
                                                         std::uint32_t id, const std::string& payload) const {
    if (payload.size() > std::min(kMaxQueryRequestBytes, room(sender, recipient)))
        throw std::invalid_argument("query of " + std::to_string(payload.size()) + " bytes is larger than " +
                                    std::to_string(kMaxQueryRequestBytes));
    return seal({QueryKind::request, cluster_, sender, recipient, incarnation, sequence, id, 0, 1, payload});
}

std::vector<std::vector<std::uint8_t>> PeerQueryCodec::encode_answer(const std::string& sender,
                                                                     const std::string& recipient,
                                                                     std::uint64_t incarnation,
                                                                     std::uint64_t first_sequence, std::uint32_t id,
                                                                     const std::string& text) const {
    if (text.size() > kMaxQueryAnswerBytes)
        throw std::invalid_argument("answer of " + std::to_string(text.size()) + " bytes is larger than " +
                                    std::to_string(kMaxQueryAnswerBytes));
    const std::size_t per_chunk = room(sender, recipient);
    const std::size_t count = std::max<std::size_t>(1, (text.size() + per_chunk - 1) / per_chunk);
    // 65536 / (1200 - 30 - 3 - 3 * 253 - 32) = 174 chunks at the worst.
    std::vector<std::vector<std::uint8_t>> out;
    for (std::size_t c = 0; c < count; ++c)
        out.push_back(seal({QueryKind::answer, cluster_, sender, recipient, incarnation, first_sequence + c, id,
                            static_cast<std::uint8_t>(c), static_cast<std::uint8_t>(count),
                            text.substr(c * per_chunk, per_chunk)}));
    return out;
}

std::optional<QueryDatagram> PeerQueryCodec::parse(std::span<const std::uint8_t> datagram, DropReason& why) {
    auto fail = [&why](DropReason reason) -> std::optional<QueryDatagram> {
        why = reason;
        return std::nullopt;
    };
    if (datagram.size() > kMaxHeartbeatBytes) return fail(DropReason::oversized);
    if (!is_peer_query(datagram)) return fail(DropReason::malformed);
    if (datagram.size() > 4 && datagram[4] != kQueryVersion) return fail(DropReason::bad_version);
    if (datagram.size() < kQueryMinBytes) return fail(DropReason::truncated);
    const auto body = datagram.first(datagram.size() - kHeartbeatMacBytes);
    QueryDatagram q;
    if (body[5] != static_cast<std::uint8_t>(QueryKind::request) && body[5] != static_cast<std::uint8_t>(QueryKind::answer))
        return fail(DropReason::malformed);
    q.kind = static_cast<QueryKind>(body[5]);
    q.index = body[6];
    q.count = body[7];
    if (q.count == 0 || q.index >= q.count || (q.kind == QueryKind::request && q.count != 1))
        return fail(DropReason::malformed);
    q.incarnation = wire::get_u64(body.data() + 8);
    q.sequence = wire::get_u64(body.data() + 16);
    q.id = static_cast<std::uint32_t>(wire::get_be(body.data() + 24, 4));
    const auto length = static_cast<std::size_t>(wire::get_be(body.data() + 28, 2));
    wire::Reader reader(body, kQueryHeaderBytes);
    if (!reader.name(q.cluster, why) || !reader.name(q.sender, why) || !reader.name(q.recipient, why))
        return std::nullopt;
    if (q.kind == QueryKind::request && length > kMaxQueryRequestBytes) return fail(DropReason::malformed);
    const std::uint8_t* payload = reader.bytes(length, why);
    if (!payload) return std::nullopt;
    if (!reader.done()) return fail(DropReason::malformed);
    q.payload.assign(reinterpret_cast<const char*>(payload), length);
    return q;
}

QueryDecodeResult PeerQueryCodec::decode(std::span<const std::uint8_t> datagram,
                                         const HeartbeatCodec::WindowLookup& window_for,
                                         const DecodeContext& context) const {
    QueryDecodeResult result;
    auto q = parse(datagram, result.reason);
    if (!q) return result;
    result.sender = q->sender;
    const AuthenticClaim claim{q->cluster, q->sender, q->incarnation, q->sequence, true};
    bool restart = false;
    if (auto why = accept_authentic(datagram, claim, cluster_, key_, window_for, context, restart)) {
        result.reason = *why;
        return result;
    }
    result.datagram = std::move(q);
    return result;
}

std::optional<std::string> QueryAnswerAssembler::add(const QueryDatagram& chunk) {
    if (chunk.kind != QueryKind::answer) return std::nullopt;
    if (!started_ || chunk.id != id_) {
        started_ = true;
        id_ = chunk.id;
        parts_.assign(chunk.count, std::nullopt);
    }
    if (chunk.count != parts_.size() || parts_[chunk.index]) return std::nullopt;  // inconsistent or repeated
    parts_[chunk.index] = chunk.payload;
    if (!std::all_of(parts_.begin(), parts_.end(), [](const auto& p) { return p.has_value(); })) return std::nullopt;
    std::string text;
    for (const auto& p : parts_) text += *p;
    // Delivered once: a repeat of this id's chunks starts nothing new.
    for (auto& p : parts_) p = std::string();
    return text;
}

}  // namespace gha

#include "monitors/connection_list_codec.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "monitors/wire_format.hpp"

namespace gha {
namespace {

constexpr std::array<std::uint8_t, 4> kListMagic = {'G', 'H', 'C', 'N'};
constexpr std::uint8_t kListVersion = 1;
constexpr std::uint8_t kFlagIncomplete = 0x01;
constexpr std::size_t kListHeaderBytes = 30;  // up to the cluster name
constexpr std::size_t kListMinBytes = kListHeaderBytes + 2 + 2 + kHeartbeatMacBytes;

std::size_t entry_bytes(const ClientConnection& c) { return c.vip.is_v4() ? 1 + 4 + 4 + 2 : 1 + 16 + 16 + 2; }

void put_address(std::vector<std::uint8_t>& out, const asio::ip::address& a) {
    if (a.is_v4()) {
        const auto b = a.to_v4().to_bytes();
        out.insert(out.end(), b.begin(), b.end());
    } else {
        const auto b = a.to_v6().to_bytes();
        out.insert(out.end(), b.begin(), b.end());
    }
}

asio::ip::address get_address(const std::uint8_t* p, bool v4) {
    if (v4) {
        asio::ip::address_v4::bytes_type b;
        std::copy_n(p, b.size(), b.begin());
        return asio::ip::address_v4(b);
    }
    asio::ip::address_v6::bytes_type b;
    std::copy_n(p, b.size(), b.begin());
    return asio::ip::address_v6(b);
}

}  // namespace

std::string ClientConnection::to_string() const {
    const std::string c = client.is_v6() ? "[" + client.to_string() + "]" : client.to_string();
    return vip.to_string() + " <- " + c + ":" + std::to_string(client_port);
}

bool is_connection_list(std::span<const std::uint8_t> datagram) {
    return datagram.size() >= kListMagic.size() && std::equal(kListMagic.begin(), kListMagic.end(), datagram.begin());
}

ConnectionListCodec::ConnectionListCodec(std::string cluster, HeartbeatKey key)
    : cluster_(std::move(cluster)), key_(std::move(key)) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::vector<std::vector<std::uint8_t>> ConnectionListCodec::encode(const std::string& node, std::uint64_t incarnation,
                                                                   std::uint64_t first_sequence,
                                                                   std::uint32_t generation,
                                                                   const std::vector<ClientConnection>& list) const {
    if (!valid_heartbeat_name(cluster_)) throw std::invalid_argument("cluster name cannot be sent: " + cluster_);
    if (!valid_heartbeat_name(node)) throw std::invalid_argument("node name cannot be sent: " + node);
    const std::size_t fixed = kListHeaderBytes + 1 + cluster_.size() + 1 + node.size() + kHeartbeatMacBytes;
    // Split first, so every chunk can carry the count and the flag.
    std::vector<std::pair<std::size_t, std::size_t>> ranges;  // [begin, end) of list
    std::size_t i = 0;
    const std::size_t shared = std::min(list.size(), kMaxSharedConnections);
    while (ranges.size() < kMaxConnectionChunks && (i < shared || ranges.empty())) {
        std::size_t size = fixed, begin = i;
        while (i < shared && size + entry_bytes(list[i]) <= kMaxHeartbeatBytes && i - begin < 0xffff) {
            size += entry_bytes(list[i]);
            ++i;
        }
        ranges.emplace_back(begin, i);
    }
    const bool incomplete = i < list.size();
    std::vector<std::vector<std::uint8_t>> out;
    for (std::size_t c = 0; c < ranges.size(); ++c) {
        std::vector<std::uint8_t> d(kListMagic.begin(), kListMagic.end());
        d.push_back(kListVersion);
        d.push_back(incomplete ? kFlagIncomplete : 0);
        d.push_back(static_cast<std::uint8_t>(c));
        d.push_back(static_cast<std::uint8_t>(ranges.size()));
        wire::put_u64(d, incarnation);
        wire::put_u64(d, first_sequence + c);
        wire::put_u32(d, generation);
        wire::put_u16(d, static_cast<std::uint16_t>(ranges[c].second - ranges[c].first));
        wire::put_name(d, cluster_);
        wire::put_name(d, node);
        for (std::size_t k = ranges[c].first; k < ranges[c].second; ++k) {
            const ClientConnection& e = list[k];
            d.push_back(e.vip.is_v4() ? 4 : 6);
            put_address(d, e.vip);
            put_address(d, e.client);
            wire::put_u16(d, e.client_port);
        }
        const std::size_t body = d.size();
        d.resize(body + kHeartbeatMacBytes);
        crypto_auth(d.data() + body, d.data(), body, key_.bytes().data());
        out.push_back(std::move(d));
    }
    return out;
}

std::optional<ConnectionChunk> ConnectionListCodec::parse(std::span<const std::uint8_t> datagram, DropReason& why) {
    if (datagram.size() > kMaxHeartbeatBytes) {
        why = DropReason::oversized;
        return std::nullopt;
    }
    if (!is_connection_list(datagram)) {
        why = DropReason::malformed;
        return std::nullopt;
    }
    if (datagram.size() > 4 && datagram[4] != kListVersion) {
        why = DropReason::bad_version;
        return std::nullopt;
    }
    if (datagram.size() < kListMinBytes) {
        why = DropReason::truncated;
        return std::nullopt;
    }
    const auto body = datagram.first(datagram.size() - kHeartbeatMacBytes);
    ConnectionChunk chunk;
    chunk.incomplete = (body[5] & kFlagIncomplete) != 0;
    chunk.index = body[6];
    chunk.count = body[7];
    if (chunk.count == 0 || chunk.count > kMaxConnectionChunks || chunk.index >= chunk.count) {
        why = DropReason::malformed;
        return std::nullopt;
    }
    chunk.incarnation = wire::get_u64(body.data() + 8);
    chunk.sequence = wire::get_u64(body.data() + 16);
    chunk.generation = static_cast<std::uint32_t>(wire::get_be(body.data() + 24, 4));
    const auto entries = static_cast<std::size_t>(wire::get_be(body.data() + 28, 2));
    wire::Reader reader(body, kListHeaderBytes);
    if (!reader.name(chunk.cluster, why) || !reader.name(chunk.node, why)) return std::nullopt;
    // Each entry is at least 11 bytes: a count the datagram cannot hold is
    // refused before anything is reserved for it.
    if (entries > kMaxHeartbeatBytes / 11) {
        why = DropReason::malformed;
        return std::nullopt;
    }
    chunk.entries.reserve(entries);
    for (std::size_t k = 0; k < entries; ++k) {
        const std::uint8_t* family = reader.bytes(1, why);
        if (!family) return std::nullopt;
        if (*family != 4 && *family != 6) {
            why = DropReason::malformed;
            return std::nullopt;
        }
        const bool v4 = *family == 4;
        const std::size_t n = v4 ? 4 : 16;
        const std::uint8_t* p = reader.bytes(2 * n + 2, why);
        if (!p) return std::nullopt;
        chunk.entries.push_back(ClientConnection{get_address(p, v4), get_address(p + n, v4),
                                                 static_cast<std::uint16_t>(wire::get_be(p + 2 * n, 2))});
    }
    if (!reader.done()) {
        why = DropReason::malformed;
        return std::nullopt;
    }
    return chunk;
}

ConnectionDecodeResult ConnectionListCodec::decode(std::span<const std::uint8_t> datagram,
                                                   const HeartbeatCodec::WindowLookup& window_for,
                                                   const DecodeContext& context) const {
    ConnectionDecodeResult result;
    auto chunk = parse(datagram, result.reason);
    if (!chunk) return result;
    result.sender = chunk->node;
    const AuthenticClaim claim{chunk->cluster, chunk->node, chunk->incarnation, chunk->sequence, true};
    bool restart = false;
    if (auto why = accept_authentic(datagram, claim, cluster_, key_, window_for, context, restart)) {
        result.reason = *why;
        return result;
    }
    result.chunk = std::move(chunk);
    return result;
}

std::optional<std::vector<ClientConnection>> ConnectionListAssembler::add(const ConnectionChunk& chunk) {
    const bool newer = !started_ || chunk.incarnation != incarnation_ || chunk.generation != generation_;
    if (newer) {
        started_ = true;
        incarnation_ = chunk.incarnation;
        generation_ = chunk.generation;
        have_.assign(chunk.count, false);
        entries_.clear();
    }
    if (chunk.count != have_.size() || have_[chunk.index]) return std::nullopt;  // inconsistent or repeated
    have_[chunk.index] = true;
    entries_.insert(entries_.end(), chunk.entries.begin(), chunk.entries.end());
    if (!std::all_of(have_.begin(), have_.end(), [](bool b) { return b; })) return std::nullopt;
    incomplete_ = chunk.incomplete;
    auto list = std::move(entries_);
    entries_.clear();
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    // Delivered once: a repeat of this generation's chunks starts nothing new.
    have_.assign(have_.size(), true);
    return list;
}

}  // namespace gha

// The connection list datagram: the NFS client connections a node serves on
// its VIPs, shared ahead of time with its peers so that whichever of them
// takes a VIP over can send those clients tickle ACKs (issue 12). It travels
// on the heartbeat socket with the heartbeat's key; a list is one or more
// chunks, each a datagram of at most kMaxHeartbeatBytes.
//
// Wire format, version 1 (integers big-endian; names as in the heartbeat):
//
//   offset size
//    0      4   magic "GHCN"
//    4      1   version (1)
//    5      1   flags: bit 0 = the list is incomplete (the node serves more
//               than kMaxSharedConnections); other bits 0, ignored
//    6      1   chunk index (0..count-1)
//    7      1   chunk count (1..kMaxConnectionChunks)
//    8      8   incarnation of the sender's daemon (as in its heartbeats)
//   16      8   sequence number (1, 2, ... per incarnation, lists only)
//   24      4   generation: the list this chunk belongs to (one per change)
//   28      2   entry count in this chunk
//   30    1+n   cluster name (HA_NAME)
//         1+n   sender node
//   entries:    family (4 or 6), VIP (4 or 16 bytes), client (4 or 16
//               bytes; same family), client port (2)
//   last   32   MAC = crypto_auth(key, every byte before it)
//
// Acceptance: the heartbeat's (cluster, MAC, known sender, source address,
// ordered incarnation and sequence), with a replay window of its own.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "monitors/client_connection.hpp"
#include "monitors/heartbeat_codec.hpp"

namespace gha {

inline constexpr std::size_t kMaxConnectionChunks = 64;
// 64 chunks hold at least this many IPv4 connections with 253-byte names;
// a node with more shares the first ones (sorted) and says it is incomplete.
inline constexpr std::size_t kMaxSharedConnections = 4096;

struct ConnectionChunk {
    std::string cluster;
    std::string node;
    std::uint64_t incarnation = 0;
    std::uint64_t sequence = 0;
    std::uint32_t generation = 0;
    std::uint8_t index = 0;
    std::uint8_t count = 1;
    bool incomplete = false;
    std::vector<ClientConnection> entries;
    bool operator==(const ConnectionChunk&) const = default;
};

struct ConnectionDecodeResult {
    std::optional<ConnectionChunk> chunk;   // set when accepted
    DropReason reason = DropReason::malformed;  // when not
    std::string sender;
    explicit operator bool() const { return chunk.has_value(); }
};

// True when the datagram claims to be a connection list (its magic).
bool is_connection_list(std::span<const std::uint8_t> datagram);

class ConnectionListCodec {
public:
    ConnectionListCodec(std::string cluster, HeartbeatKey key);

    // The chunks of one list. The caller numbers them: sequence is the first
    // chunk's and grows by one per chunk. Connections past what fits in
    // kMaxConnectionChunks datagrams (or past kMaxSharedConnections) are left
    // out and every chunk says the list is incomplete. Throws
    // std::invalid_argument for a name the format cannot carry.
    std::vector<std::vector<std::uint8_t>> encode(const std::string& node, std::uint64_t incarnation,
                                                  std::uint64_t first_sequence, std::uint32_t generation,
                                                  const std::vector<ClientConnection>& list) const;

    // As HeartbeatCodec::decode, with this message's own replay windows.
    ConnectionDecodeResult decode(std::span<const std::uint8_t> datagram,
                                  const HeartbeatCodec::WindowLookup& window_for,
                                  const DecodeContext& context = {}) const;

    // Layout only (no MAC, cluster or replay check).
    static std::optional<ConnectionChunk> parse(std::span<const std::uint8_t> datagram, DropReason& why);

private:
    std::string cluster_;
    HeartbeatKey key_;
};

// Puts a list's chunks back together, one assembler per sender: a list
// counts once every chunk of its generation has arrived; a chunk of a newer
// generation (or a new incarnation) drops a partial older one.
class ConnectionListAssembler {
public:
    // The complete list when this chunk completes one.
    std::optional<std::vector<ClientConnection>> add(const ConnectionChunk& chunk);
    bool incomplete() const { return incomplete_; }  // of the last complete list

private:
    std::uint64_t incarnation_ = 0;
    std::uint32_t generation_ = 0;
    std::vector<bool> have_;
    std::vector<ClientConnection> entries_;
    bool incomplete_ = false;
    bool started_ = false;
};

}  // namespace gha

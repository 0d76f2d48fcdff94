// The peer query datagram: `ganesha-hactl status|events|peers --node NAME`
// asks the local ganesha-had, which asks NAME's daemon over the heartbeat
// socket, with the heartbeat's key, MAC and replay protection (a window of
// its own per peer). A request is one datagram; its answer is one or more
// chunks of the answer's JSON text. Only read-only commands are answered
// (service/daemon_remote.cpp decides which).
//
// Wire format, version 1 (integers big-endian; names as in the heartbeat):
//
//   offset size
//    0      4   magic "GHQY"
//    4      1   version (1)
//    5      1   kind: 1 request, 2 answer
//    6      1   chunk index (0..count-1; 0 for a request)
//    7      1   chunk count (1..kMaxQueryChunks; 1 for a request)
//    8      8   incarnation of the sender's daemon (as in its heartbeats)
//   16      8   sequence number (1, 2, ... per incarnation, queries only)
//   24      4   query id (chosen by the asker; an answer carries its request's)
//   28      2   payload bytes in this datagram
//   30    1+n   cluster name (HA_NAME)
//         1+n   sender node
//         1+n   recipient node: every node has the key, so a datagram meant
//               for another node is dropped (wrong-source: relayed)
//         n     payload: a request's control request as JSON (at most
//               kMaxQueryRequestBytes); a slice of an answer's JSON text
//   last   32   MAC = crypto_auth(key, every byte before it)
//
// Every datagram is at most kMaxHeartbeatBytes; an answer is at most
// kMaxQueryAnswerBytes (the control socket's own bound), so at most
// kMaxQueryChunks datagrams even with 253-byte names.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "monitors/heartbeat_codec.hpp"

namespace gha {

inline constexpr std::size_t kMaxQueryRequestBytes = 512;
inline constexpr std::size_t kMaxQueryAnswerBytes = 65536;
inline constexpr std::size_t kMaxQueryChunks = 255;

enum class QueryKind : std::uint8_t { request = 1, answer = 2 };

struct QueryDatagram {
    QueryKind kind = QueryKind::request;
    std::string cluster;
    std::string sender;
    std::string recipient;
    std::uint64_t incarnation = 0;
    std::uint64_t sequence = 0;
    std::uint32_t id = 0;
    std::uint8_t index = 0;
    std::uint8_t count = 1;
    std::string payload;
    bool operator==(const QueryDatagram&) const = default;
};

struct QueryDecodeResult {
    std::optional<QueryDatagram> datagram;  // set when accepted
    DropReason reason = DropReason::malformed;
    std::string sender;
    explicit operator bool() const { return datagram.has_value(); }
};

// True when the datagram claims to be a peer query or answer (its magic).
bool is_peer_query(std::span<const std::uint8_t> datagram);

class PeerQueryCodec {
public:
    PeerQueryCodec(std::string cluster, HeartbeatKey key);

    // One request datagram. Throws std::invalid_argument for a name the
    // format cannot carry or a payload over kMaxQueryRequestBytes.
    std::vector<std::uint8_t> encode_request(const std::string& sender, const std::string& recipient,
                                             std::uint64_t incarnation, std::uint64_t sequence, std::uint32_t id,
                                             const std::string& payload) const;
    // The chunks of an answer; sequence numbers from first_sequence, one per
    // chunk. Throws std::invalid_argument as above, or for a text over
    // kMaxQueryAnswerBytes.
    std::vector<std::vector<std::uint8_t>> encode_answer(const std::string& sender, const std::string& recipient,
                                                         std::uint64_t incarnation, std::uint64_t first_sequence,
                                                         std::uint32_t id, const std::string& text) const;

    // As HeartbeatCodec::decode, with this message's own replay windows.
    QueryDecodeResult decode(std::span<const std::uint8_t> datagram, const HeartbeatCodec::WindowLookup& window_for,
                             const DecodeContext& context = {}) const;

    // Layout only (no MAC, cluster or replay check).
    static std::optional<QueryDatagram> parse(std::span<const std::uint8_t> datagram, DropReason& why);

private:
    std::vector<std::uint8_t> seal(const QueryDatagram& d) const;
    std::size_t room(const std::string& sender, const std::string& recipient) const;

    std::string cluster_;
    HeartbeatKey key_;
};

// Puts one answer's chunks back together: chunks of another query id start
// a new answer; a repeated or inconsistent chunk is ignored.
class QueryAnswerAssembler {
public:
    // The whole answer text when this chunk completes it.
    std::optional<std::string> add(const QueryDatagram& chunk);

private:
    std::uint32_t id_ = 0;
    bool started_ = false;
    std::vector<std::optional<std::string>> parts_;
};

}  // namespace gha

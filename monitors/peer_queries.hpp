// The query side of the heartbeat socket (monitors/peer_query_codec.hpp):
// per peer, the replay window of its queries and answers and the answer
// being put back together; our own query sequence. Pure code: PeerHeartbeats
// hands it the datagrams and sends what it encodes.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "monitors/peer_query_codec.hpp"

namespace gha {

class PeerQueries {
public:
    struct Callbacks {
        // A peer asks us (`request`: its control request as JSON).
        std::function<void(const std::string& node, std::uint32_t id, const std::string& request)> on_query;
        // A peer's answer to our query `id` arrived complete.
        std::function<void(const std::string& node, std::uint32_t id, const std::string& answer)> on_answer;
    };

    PeerQueries(std::string cluster, std::string self, HeartbeatKey key, const std::vector<std::string>& peers,
                Callbacks callbacks);

    // A datagram with the query magic: nullopt when accepted (callbacks
    // run), else why it was dropped; `claimed` is the sender it named.
    std::optional<DropReason> on_datagram(std::span<const std::uint8_t> bytes, const DecodeContext& context,
                                          std::string& claimed);

    // What to send to `node`. Throw std::invalid_argument (too large).
    std::vector<std::uint8_t> request(const std::string& node, std::uint64_t incarnation, std::uint32_t id,
                                      const std::string& payload);
    std::vector<std::vector<std::uint8_t>> answer(const std::string& node, std::uint64_t incarnation, std::uint32_t id,
                                                  const std::string& text);

private:
    struct Peer {
        ReplayWindow window;
        QueryAnswerAssembler answers;
    };

    PeerQueryCodec codec_;
    std::string self_;
    Callbacks callbacks_;
    std::map<std::string, Peer, std::less<>> peers_;
    std::uint64_t sequence_ = 0;
};

}  // namespace gha

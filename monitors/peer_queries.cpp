#include "monitors/peer_queries.hpp"

namespace gha {

PeerQueries::PeerQueries(std::string cluster, std::string self, HeartbeatKey key, const std::vector<std::string>& peers,
                         Callbacks callbacks)
    : codec_(std::move(cluster), std::move(key)), self_(std::move(self)), callbacks_(std::move(callbacks)) {
    for (const auto& node : peers) peers_[node];
}

std::optional<DropReason> PeerQueries::on_datagram(std::span<const std::uint8_t> bytes, const DecodeContext& context,
                                                   std::string& claimed) {
    Peer* sender = nullptr;
    auto result = codec_.decode(
        bytes,
        [this, &sender](std::string_view node) -> ReplayWindow* {
            const auto it = peers_.find(node);
            sender = it == peers_.end() ? nullptr : &it->second;
            return sender ? &sender->window : nullptr;
        },
        context);
    claimed = result.sender;
    if (!result) return result.reason;
    const QueryDatagram& q = *result.datagram;
    // Every node has the key: one meant for another node was relayed.
    if (q.recipient != self_) return DropReason::wrong_source;
    if (q.kind == QueryKind::request) {
        if (callbacks_.on_query) callbacks_.on_query(q.sender, q.id, q.payload);
    } else if (auto text = sender->answers.add(q)) {
        if (callbacks_.on_answer) callbacks_.on_answer(q.sender, q.id, *text);
    }
    return std::nullopt;
}

std::vector<std::uint8_t> PeerQueries::request(const std::string& node, std::uint64_t incarnation, std::uint32_t id,
                                               const std::string& payload) {
    auto bytes = codec_.encode_request(self_, node, incarnation, sequence_ + 1, id, payload);
    ++sequence_;
    return bytes;
}

std::vector<std::vector<std::uint8_t>> PeerQueries::answer(const std::string& node, std::uint64_t incarnation,
                                                           std::uint32_t id, const std::string& text) {
    auto chunks = codec_.encode_answer(self_, node, incarnation, sequence_ + 1, id, text);
    sequence_ += chunks.size();
    return chunks;
}

}  // namespace gha

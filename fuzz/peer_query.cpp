// A peer query or answer datagram (monitors/peer_query_codec): anyone who
// can send UDP to the heartbeat port. As for the other datagrams on that
// socket, each input is decoded as it came and with its MAC recomputed under
// the test key; an accepted answer chunk goes through the assembler, and a
// parsed datagram must survive encoding again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz/datagram_support.hpp"
#include "monitors/peer_query_codec.hpp"

namespace {

const std::string kCluster = "fuzz";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const gha::PeerQueryCodec codec(kCluster, gha::HeartbeatKey{});
    const std::span<const std::uint8_t> datagram(data, size);

    gha::DropReason why{};
    const auto parsed = gha::PeerQueryCodec::parse(datagram, why);

    if (const auto first = gha::fuzz::accepted_when_signed(codec, datagram, parsed.has_value())) {
        if (!parsed || first->datagram->payload != parsed->payload) std::abort();
        gha::QueryAnswerAssembler assembler;
        const auto text = assembler.add(*first->datagram);
        if (text && (first->datagram->count != 1 || *text != first->datagram->payload)) std::abort();
        if (assembler.add(*first->datagram)) std::abort();  // delivered once
    }

    if (parsed) {
        if (parsed->payload.size() > gha::kMaxHeartbeatBytes) std::abort();
        if (parsed->kind == gha::QueryKind::request) {
            try {
                const auto d = codec.encode_request(parsed->sender, parsed->recipient, parsed->incarnation, 1,
                                                    parsed->id, parsed->payload);
                const auto p = gha::PeerQueryCodec::parse(d, why);
                if (!p || p->payload != parsed->payload || d.size() > gha::kMaxHeartbeatBytes) std::abort();
            } catch (const std::invalid_argument&) {
                // A request that fits the datagram but not our bound on requests.
            }
        } else {
            const auto chunks =
                codec.encode_answer(parsed->sender, parsed->recipient, parsed->incarnation, 1, parsed->id, parsed->payload);
            std::string back;
            for (const auto& c : chunks) {
                if (c.size() > gha::kMaxHeartbeatBytes) std::abort();
                const auto p = gha::PeerQueryCodec::parse(c, why);
                if (!p) std::abort();
                back += p->payload;
            }
            if (back != parsed->payload) std::abort();
        }
    }
    (void)gha::to_string(why);
    return 0;
}

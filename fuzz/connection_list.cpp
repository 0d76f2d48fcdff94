// A connection list datagram (monitors/connection_list_codec): anyone who can
// send UDP to the heartbeat port. As for heartbeats, each input is decoded
// as it came and with its MAC recomputed under the test key; an accepted
// chunk goes through the assembler, and a parsed one must survive encode().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "fuzz/datagram_support.hpp"
#include "monitors/connection_list_codec.hpp"

namespace {

const std::string kCluster = "fuzz";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const gha::ConnectionListCodec codec(kCluster, gha::HeartbeatKey{});
    const std::span<const std::uint8_t> datagram(data, size);

    gha::DropReason why{};
    const auto parsed = gha::ConnectionListCodec::parse(datagram, why);

    if (const auto first = gha::fuzz::accepted_when_signed(codec, datagram, parsed.has_value())) {
        if (!parsed || first->chunk->entries != parsed->entries) std::abort();
        gha::ConnectionListAssembler assembler;
        const auto list = assembler.add(*first->chunk);
        if (list && first->chunk->count != 1) std::abort();  // one chunk of several never completes a list
        if (list && list->size() > first->chunk->entries.size()) std::abort();
    }

    if (parsed) {
        for (const auto& c : parsed->entries) (void)c.to_string();
        const auto chunks = codec.encode(parsed->node, parsed->incarnation, 1, parsed->generation, parsed->entries);
        if (chunks.empty() || chunks.size() > gha::kMaxConnectionChunks) std::abort();
        std::vector<gha::ClientConnection> back;
        for (const auto& c : chunks) {
            if (c.size() > gha::kMaxHeartbeatBytes) std::abort();
            const auto p = gha::ConnectionListCodec::parse(c, why);
            if (!p) std::abort();
            back.insert(back.end(), p->entries.begin(), p->entries.end());
        }
        if (back != parsed->entries) std::abort();
    }
    (void)gha::to_string(why);
    return 0;
}

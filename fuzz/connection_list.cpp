// A connection list datagram (monitors/connection_list_codec): anyone who can
// send UDP to the heartbeat port. As for heartbeats, each input is decoded
// as it came and with its MAC recomputed under the test key; an accepted
// chunk goes through the assembler, and a parsed one must survive encode().
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "monitors/connection_list_codec.hpp"

namespace {

const std::string kCluster = "fuzz";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const gha::ConnectionListCodec codec(kCluster, gha::HeartbeatKey{});
    const std::span<const std::uint8_t> datagram(data, size);

    gha::DropReason why{};
    const auto parsed = gha::ConnectionListCodec::parse(datagram, why);

    std::map<std::string, gha::ReplayWindow, std::less<>> windows;
    windows["n1"];
    const gha::HeartbeatCodec::WindowLookup lookup = [&](std::string_view node) -> gha::ReplayWindow* {
        const auto it = windows.find(node);
        return it == windows.end() ? nullptr : &it->second;
    };
    const auto raw = codec.decode(datagram, lookup);
    if (raw && !parsed) std::abort();

    if (size >= gha::kHeartbeatMacBytes) {
        std::vector<std::uint8_t> signed_copy(datagram.begin(), datagram.end());
        const std::size_t body = size - gha::kHeartbeatMacBytes;
        crypto_auth(signed_copy.data() + body, signed_copy.data(), body, gha::HeartbeatKey{}.bytes().data());
        const auto first = codec.decode(signed_copy, lookup);
        if (first) {
            if (!parsed || first.chunk->entries != parsed->entries) std::abort();
            gha::ConnectionListAssembler assembler;
            const auto list = assembler.add(*first.chunk);
            if (list && first.chunk->count != 1) std::abort();  // one chunk of several never completes a list
            if (list && list->size() > first.chunk->entries.size()) std::abort();
            const auto again = codec.decode(signed_copy, lookup);
            if (again || again.reason != gha::DropReason::replay) std::abort();
        }
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

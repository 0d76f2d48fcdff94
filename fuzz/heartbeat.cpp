// A peer heartbeat datagram (monitors/heartbeat_codec): anyone who can send
// UDP to the heartbeat port. The fuzzer cannot forge the MAC, so each input
// is decoded twice: as it came (stops at the MAC unless the layout is bad),
// and with its MAC recomputed under the test key, which takes it through
// the sender, source, clock-skew and replay checks as if a peer holding the
// key sent it. A datagram that parses must also survive encode() again.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "fuzz/datagram_support.hpp"
#include "monitors/heartbeat_codec.hpp"

namespace {

const std::string kCluster = "fuzz";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const gha::HeartbeatCodec codec(kCluster, gha::HeartbeatKey{});
    const std::span<const std::uint8_t> datagram(data, size);

    gha::DropReason why{};
    const auto parsed = gha::HeartbeatCodec::parse(datagram, why);

    gha::fuzz::Windows windows{"n1", "n2"};
    const auto lookup = windows.lookup();
    gha::DecodeContext context;
    context.now = std::chrono::system_clock::time_point(std::chrono::hours(24 * 365 * 56));  // 2026
    context.source_ok = [](std::string_view node) { return node != "n2"; };

    const auto raw = codec.decode(datagram, lookup, context);
    if (raw && !parsed) std::abort();

    if (const auto signed_copy = gha::fuzz::signed_under_test_key(datagram)) {
        const auto first = codec.decode(*signed_copy, lookup, context);
        if (first) {
            if (!parsed || first.heartbeat->node != parsed->node || first.sender != parsed->node) std::abort();
            // The same datagram again is a replay.
            const auto again = codec.decode(*signed_copy, lookup, context);
            if (again || again.reason != gha::DropReason::replay) std::abort();
        } else if (parsed && parsed->cluster == kCluster && first.reason == gha::DropReason::bad_mac) {
            std::abort();  // we signed it ourselves
        }
    }

    if (parsed) {
        (void)gha::to_string(parsed->nfsd);
        // Re-encoded (always as the current version) it parses to the same.
        const auto again = codec.encode(*parsed);
        if (again.size() > gha::kMaxHeartbeatBytes) std::abort();
        const auto back = gha::HeartbeatCodec::parse(again, why);
        if (!back) std::abort();
        gha::Heartbeat expected = *parsed;
        expected.version = gha::kHeartbeatVersion;
        // Version 1 had no fingerprint (8 bytes less): a full v1 datagram's
        // grace list may not fit again, which encode() flags as incomplete.
        const bool fits = parsed->version != 1 || size + 8 <= gha::kMaxHeartbeatBytes;
        if (fits && *back != expected) std::abort();
    }
    (void)gha::to_string(why);
    return 0;
}

// What the fuzz targets of the datagrams on the heartbeat socket share: the
// peers' replay windows, and an input signed again under the test key (all
// zero), so that the checks after the MAC run too.
#pragma once

#include <sodium.h>

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitors/heartbeat_codec.hpp"

namespace gha::fuzz {

class Windows {
public:
    Windows(std::initializer_list<const char*> peers) {
        for (const char* p : peers) windows_[p];
    }
    HeartbeatCodec::WindowLookup lookup() {
        return [this](std::string_view node) -> ReplayWindow* {
            const auto it = windows_.find(node);
            return it == windows_.end() ? nullptr : &it->second;
        };
    }

private:
    std::map<std::string, ReplayWindow, std::less<>> windows_;
};

// The datagram with its MAC recomputed under the test key; nullopt when it
// is shorter than a MAC.
inline std::optional<std::vector<std::uint8_t>> signed_under_test_key(std::span<const std::uint8_t> datagram) {
    if (datagram.size() < kHeartbeatMacBytes) return std::nullopt;
    std::vector<std::uint8_t> copy(datagram.begin(), datagram.end());
    const std::size_t body = copy.size() - kHeartbeatMacBytes;
    crypto_auth(copy.data() + body, copy.data(), body, HeartbeatKey{}.bytes().data());
    return copy;
}

// The common checks of a datagram decoder (a codec with decode(datagram,
// lookup)): an input accepted as it came must parse (`parsed`); signed again
// under the test key and accepted, the same bytes again are a replay.
// Returns the signed input's accepted result, for the caller's own checks.
template <class Codec>
auto accepted_when_signed(const Codec& codec, std::span<const std::uint8_t> datagram, bool parsed) {
    Windows windows{"n1"};
    const auto lookup = windows.lookup();
    if (codec.decode(datagram, lookup) && !parsed) std::abort();
    std::optional<decltype(codec.decode(datagram, lookup))> out;
    if (const auto signed_copy = signed_under_test_key(datagram)) {
        auto first = codec.decode(*signed_copy, lookup);
        if (first) {
            const auto again = codec.decode(*signed_copy, lookup);
            if (again || again.reason != DropReason::replay) std::abort();
            out.emplace(std::move(first));
        }
    }
    return out;
}

}  // namespace gha::fuzz

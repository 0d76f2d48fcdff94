// HA_NFSD_FENCE and the fence step's timing. The fence (actions/nfsd_fence.hpp)
// owns these settings and service/config.cpp fills them; the header is
// asio-free so the configuration can hold one without pulling in the loop.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace gha {

// kill: a hung ganesha.nfsd is SIGKILLed before its VIP is released, so the
// byte-range locks it holds on the backend are freed for the clients'
// reclaim on the survivor. none: no fence (a hung server keeps its locks).
enum class FenceMode { kill, none };

struct FenceSettings {
    FenceMode mode = FenceMode::kill;         // HA_NFSD_FENCE
    std::chrono::milliseconds timeout{5000};  // HA_ACTION_TIMEOUT: one attempt's wait for the exit
    int attempts = 3;                         // HA_ACTION_ATTEMPTS
    bool operator==(const FenceSettings&) const = default;
};

inline std::optional<FenceMode> parse_fence_mode(std::string_view text) {
    if (text == "kill") return FenceMode::kill;
    if (text == "none") return FenceMode::none;
    return std::nullopt;
}

inline const char* to_string(FenceMode mode) { return mode == FenceMode::kill ? "kill" : "none"; }

}  // namespace gha

#include "service/peer_flaps.hpp"

#include <cinttypes>
#include <cstdio>

namespace gha {
namespace {

std::string seconds(Duration d) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", std::chrono::duration<double>(d).count());
    return buffer;
}

std::string hex(std::uint64_t v) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "0x%016" PRIx64, v);
    return buffer;
}

}  // namespace

void PeerFlaps::grace_taken(const std::string& node, Seen seen, TimePoint requested) {
    graces_[node] = Grace{requested, std::move(seen)};
}

void PeerFlaps::changed(const std::string& node, std::string why, TimePoint at) {
    changes_[node] = Change{at, std::move(why)};
}

void PeerFlaps::ganesha_restarted(TimePoint at) { ganesha_restarted_ = at; }

PeerFlaps::Verdict PeerFlaps::judge(const std::string& node, bool silent, const Seen& seen, TimePoint now) const {
    Verdict v;
    if (!silent) {
        v.why = "it reports its nfsd down";
        return v;
    }
    const auto grace = graces_.find(node);
    if (grace == graces_.end()) {
        v.why = "no earlier grace here for it";
        return v;
    }
    const Grace& last = grace->second;
    v.since_grace = now - last.requested;
    const std::string ago = "last grace " + seconds(v.since_grace) + " s ago";
    if (v.since_grace >= window_) {
        v.why = ago + ", not within the " + seconds(window_) + " s grace period";
        return v;
    }
    // A change at the very moment of the grace counts: the safe side.
    if (const auto change = changes_.find(node); change != changes_.end() && change->second.at >= last.requested) {
        v.why = change->second.why + " since the last grace (" + ago + ")";
        return v;
    }
    if (ganesha_restarted_ && *ganesha_restarted_ >= last.requested) {
        v.why = "the local ganesha restarted since the last grace (" + ago + ")";
        return v;
    }
    if (!seen.incarnation || !last.seen.incarnation || *seen.incarnation != *last.seen.incarnation) {
        v.why = "it restarted since the last grace (incarnation " +
                (last.seen.incarnation ? hex(*last.seen.incarnation) : std::string("unknown")) + ", now " +
                (seen.incarnation ? hex(*seen.incarnation) : std::string("unknown")) + "; " + ago + ")";
        return v;
    }
    if (seen.nfsd_not_healthy != last.seen.nfsd_not_healthy) {
        v.why = "it reported its nfsd not healthy since the last grace (" + ago + ")";
        return v;
    }
    v.flap = true;
    v.why = "peer " + node + " flapped, same incarnation, " + ago;
    return v;
}

}  // namespace gha

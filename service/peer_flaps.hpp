// Whether a peer that goes down again is flapping or failing for real, for
// the grace a peer-down takes here (issue 13, defect 2).
//
// Every grace() call restarts the local ganesha's grace for all its clients,
// so a peer whose heartbeats come and go must not restart it on every
// silence. But a second real failure of the same peer must take grace as the
// first did: an earlier attempt limited by time alone (edde687, reverted in
// 18a83b2) took none for a real node loss within 90 s of that node's
// earlier failure. So a peer-down is a flap only when nothing but the
// heartbeats changed since the last grace a peer-down took here for it:
//   - it went down by silence, not by reporting its nfsd down;
//   - its incarnation is the one it had when that grace was taken:
//     incarnations are ordered, so its daemon never restarted (a node that
//     was lost and came back has a greater one);
//   - none of its datagrams since reported its nfsd anything but healthy (a
//     peer that withdrew itself says so);
//   - its VIP did not change hands here (take-vip, release-vip, Pacemaker's
//     grace notify for it) and the local ganesha did not restart (it would
//     have forgotten that grace);
//   - that grace was requested less than `window` (the grace period the
//     daemon assumes) ago.
// Anything else is a real failure and takes grace. The daemon also asks
// ganesha (get_grace) before it believes that grace still runs, and takes
// grace when it does not; a VIP that really moves gets a fresh grace from
// take-vip on the node that takes it in any case.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "monitors/clock.hpp"

namespace gha {

class PeerFlaps {
public:
    // What the heartbeats say about a peer at one moment.
    struct Seen {
        std::optional<std::uint64_t> incarnation;  // as last heard
        std::uint64_t nfsd_not_healthy = 0;        // its datagrams so far that did not say "nfsd healthy"
    };
    struct Verdict {
        bool flap = false;
        std::string why;       // why it is (or is not) a flap, for events and logs
        Duration since_grace{};  // since the last grace here for the peer; zero when there was none
    };

    explicit PeerFlaps(Duration window) : window_(window) {}

    // A grace requested at `requested` because `node` went down (its state
    // `seen` then) was confirmed.
    void grace_taken(const std::string& node, Seen seen, TimePoint requested);
    // Something that makes the next down of `node` a real failure: its VIP
    // changed hands here, or grace for it was asked for otherwise.
    void changed(const std::string& node, std::string why, TimePoint at);
    // The local ganesha restarted: every grace it held is gone.
    void ganesha_restarted(TimePoint at);

    // `node`, which was up, is down now. `silent`: its heartbeats stopped
    // (false: it reported its nfsd down).
    Verdict judge(const std::string& node, bool silent, const Seen& seen, TimePoint now) const;

    Duration window() const { return window_; }

private:
    struct Grace {
        TimePoint requested;
        Seen seen;
    };
    struct Change {
        TimePoint at;
        std::string why;
    };
    Duration window_;
    std::map<std::string, Grace> graces_;
    std::map<std::string, Change> changes_;
    std::optional<TimePoint> ganesha_restarted_;
};

}  // namespace gha

// Only the node that takes a failed VIP goes into grace (issue 11).
//
// While a ganesha is in grace it refuses every new open and lock, so a
// cluster-wide grace freezes the clients of every node for one failure.
// Instead each daemon works out, from the layout's failover order and what
// the peer heartbeats say of each node, which live node takes each VIP the
// failed node held (service/vip_taker.hpp); the daemons compute the same
// answer, and only that node's ganesha enters grace for the failed node's
// clients. The failed node waits for its takers' grace only.
//
// Pacemaker is made to agree by construction: a VIP may start only on its
// home node or on a node whose attribute grace-for-<home> is 1, which a
// daemon sets once its ganesha is in grace for the VIP's holder (or holds
// the VIP), and clears once the VIP has gone elsewhere. Whatever Pacemaker
// decides (a DC election, a flapping node, an operator's move) the VIP
// cannot come up on a node that is not in grace for its clients.
//
// Without peer heartbeats (no HA_HEARTBEAT_KEY) nothing tells a daemon
// which peers are alive, so every survivor enters grace as before (through
// Pacemaker's notify) and sets the readiness of the VIPs it is in grace for.
#include <algorithm>

#include "monitors/local_addresses.hpp"
#include "service/daemon.hpp"
#include "service/log.hpp"
#include "service/vip_taker.hpp"

namespace gha {

// Could `node` take a VIP now, `failed` being the node it comes from?
bool Daemon::able_to_take(const std::string& node, const std::string& failed) const {
    if (node == failed) return false;
    if (node == config_.node) return nfsd_healthy_ == true && !failover_.drained() && !stopping_;
    const PeerStatus* peer = heartbeats_ ? heartbeats_->peer(node) : nullptr;
    return peer && peer->state == PeerState::up && peer->nfsd == NfsdState::healthy && !peer->leaving &&
           !peer->drained;
}

// Has `node` failed, as far as its heartbeats tell? A peer that was up
// (heard, its nfsd healthy) since this daemon started and is down or
// drained now has. One never seen up has not, at first: it is starting (a
// cluster start, its ganesha slower than ours; a restart of this daemon
// must not take grace for everybody). Once it has stayed that way for a
// while (a node that is not there when the cluster starts) it has, once:
// its VIP must run somewhere, and only where grace was taken for it.
bool Daemon::peer_failed(const std::string& node) const {
    const PeerStatus* peer = heartbeats_ ? heartbeats_->peer(node) : nullptr;
    if (!peer) return false;
    if (!seen_up_.count(node)) {
        const Duration absent = std::max<Duration>(std::chrono::seconds(10), heartbeats_->detection_bound() * 5);
        return peer->state != PeerState::up && clock_.now() - started_ >= absent && !absent_claimed_.count(node);
    }
    return peer->state == PeerState::down || (peer->state == PeerState::up && peer->drained);
}

// The VIP's last holder (take-vip records it on the shared volume), its
// home when nobody recorded one.
std::string Daemon::holder_of(const std::string& home) const {
    const auto vip = config_.vips.find(home);
    if (vip == config_.vips.end()) return home;
    std::error_code ec;
    return holders_.holder(vip->second, ec).value_or(home);
}

std::optional<std::string> Daemon::taker_of(const std::string& home, const std::string& failed) const {
    return vip_taker(config_.cluster_nodes, home, [&](const std::string& n) { return able_to_take(n, failed); });
}

// The homes of the VIPs `node` holds.
std::vector<std::string> Daemon::vips_held_by(const std::string& node) const {
    std::vector<std::string> homes;
    for (const auto& [home, vip] : config_.vips)
        if (holder_of(home) == node) homes.push_back(home);
    return homes;
}

// The nodes that take the VIPs `failed` holds, "a, b" ("" when nobody can).
std::string Daemon::takers_of(const std::string& failed) const {
    std::string out;
    for (const auto& home : vips_held_by(failed)) {
        const auto taker = taker_of(home, failed);
        if (!taker || out.find(*taker) != std::string::npos) continue;
        out += (out.empty() ? "" : ", ") + *taker;
    }
    return out;
}

// Must this node's ganesha enter grace for `failed`'s clients? Without
// heartbeats every survivor must (nobody knows who takes what).
bool Daemon::takes_over_from(const std::string& failed) const {
    if (!heartbeats_) return true;
    for (const auto& home : vips_held_by(failed))
        if (taker_of(home, failed) == config_.node) return true;
    return false;
}

// A taker that failed before or during the hand-over leaves the VIPs it
// held (or was about to take) to the next node: every failed holder's VIPs
// are looked at again whenever a node's state changes.
void Daemon::claim_failed_vips(const std::string& skip) {
    if (!heartbeats_ || stopping_ || nfsd_healthy_ != true) return;
    for (const auto& [node, address] : config_.vips) {
        if (node == config_.node || node == skip || !peer_failed(node) || !takes_over_from(node)) continue;
        if (grace_held_.count(address) || peer_down_graces_.count(address)) continue;
        if (!seen_up_.count(node)) absent_claimed_.insert(node);
        log::notice("peer " + node + " failed and this node now takes its VIP(s): grace for " + address,
                    {{"monitor", "peer"}, {"node", config_.node}, {"action", "grace"}});
        events_.add("peer", node, "this node takes over its VIP(s) now: grace for " + address, {{"address", address}});
        grace_for_peer_down(node, address, seen_of(node));
    }
}

// A drained peer takes no VIP and gives its own away: its VIPs' takers must
// enter grace now, and a node waiting for its takers may have a new one.
void Daemon::on_peer_drained(const PeerStatus& peer) {
    events_.add("peer", peer.node, peer.drained ? "drained: it takes no VIP" : "undrained: it may take VIPs again",
                {{"drained", peer.drained}});
    // Undrained, it serves again: the grace taken for its VIP belonged to a
    // drain that is over (as on_peer_state forgets it when a peer comes
    // up). Kept, it would let a second drain declare this node ready on a
    // grace ganesha may have ended long ago (all its clients reclaimed):
    // found by the lab's second drain of node2, whose VIP came to node3
    // without a new grace there.
    if (!peer.drained) forget_grace_for(peer.node);
    claim_failed_vips();
    check_grace_confirmation();
    update_vip_readiness(false);
}

// Is `home`'s VIP here (`local`: this node's addresses), or recorded as
// ours between take-vip and the address coming up?
bool Daemon::holds_vip(const std::string& home, const std::vector<asio::ip::address>& local) const {
    return vip_address_here(home, local) || holder_of(home) == config_.node;
}

bool Daemon::vip_address_here(const std::string& home, const std::vector<asio::ip::address>& local) const {
    const auto vip = config_.vips.find(home);
    if (vip == config_.vips.end()) return false;
    std::error_code bad;
    const auto address = asio::ip::make_address(vip->second, bad);
    return !bad && std::find(local.begin(), local.end(), address) != local.end();
}

// grace-for-<home> on this node: 1 while the VIP is here (or recorded as
// ours, between take-vip and the address coming up), while a `cluster move`
// of it to this node waits and our ganesha is in grace for it (the grace
// confirmed: service/daemon_moves.cpp), or while its holder
// has failed, this node is its taker and our ganesha is in grace for the
// holder's clients; absent otherwise. Written only when it changes; `all` writes every one (at start,
// where an earlier daemon's attributes may be stale).
// While our nfsd is not judged healthy only a VIP whose address is still
// here keeps it (it leaves with ganesha-active, after the fence): a dead or
// hung ganesha is in grace for nobody. Kept, it let Pacemaker start a
// trigger here whose take-vip then failed (fail-count INFINITY), or move a
// VIP back here the moment a restarted ganesha set ganesha-active again
// (bench, 2026-12-03: node1 hung while holding node3's VIP; at its restart
// the VIP came back from node2 on node1's stale grace-for-node3, to a
// ganesha that was in no grace for node3's clients).
void Daemon::update_vip_readiness(bool all) {
    if (stopping_) return;
    std::error_code ec;
    const auto local = current_local_addresses(ec);
    const bool serving = nfsd_healthy_.value_or(false);
    for (const auto& [home, vip] : config_.vips) {
        if (home == config_.node) continue;  // its home needs no attribute
        bool want = serving ? holds_vip(home, local) || move_ready(home) : vip_address_here(home, local);
        const std::string holder = holder_of(home);
        if (serving && !want && holder != config_.node) {
            const auto holder_vip = config_.vips.find(holder);
            const bool in_grace = holder_vip != config_.vips.end() && grace_held_.count(holder_vip->second);
            want = in_grace && (!heartbeats_ || (peer_failed(holder) && taker_of(home, holder) == config_.node));
        }
        const auto applied = vip_ready_.find(home);
        if (!all && applied != vip_ready_.end() && applied->second == want) continue;
        vip_ready_[home] = want;
        const std::string attribute = vip_ready_attribute(home);
        Step step = want ? pacemaker_.set_attribute(config_.node, attribute, "1")
                         : pacemaker_.delete_attribute(config_.node, attribute);
        step.timeout = config_.action_timeout;
        step.attempts = config_.action_attempts;
        // One pipeline per attribute: a newer wish for it replaces a queued
        // one, and one that fails is forgotten so the next update retries.
        pipelines_.submit({want ? "vip-ready" : "vip-not-ready", attribute, {std::move(step)}});
        if (!all || want)
            events_.add("takeover", vip, std::string(want ? "ready: " : "not ready: ") + attribute +
                                             (want ? "=1 (this node may start the VIP)" : " removed"),
                        {{"address", vip}, {"home", home}, {"holder", holder}, {"ready", want}});
    }
}

// A readiness write that failed is written again by the next update.
void Daemon::vip_ready_pipeline_finished(const PipelineRecord& record) {
    if (record.state != PipelineState::failed || (record.name != "vip-ready" && record.name != "vip-not-ready")) return;
    for (const auto& [home, vip] : config_.vips)
        if (vip_ready_attribute(home) == record.target) vip_ready_.erase(home);
}

}  // namespace gha

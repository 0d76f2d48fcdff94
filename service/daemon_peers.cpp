// The daemon's side of the peer heartbeats (monitors/peer_heartbeats.hpp):
// what this node tells its peers (its nfsd verdict, the peers whose VIP its
// ganesha is in grace for), and what it does with what they say:
//  - a peer that was up goes down (its nfsd reported down, or silent for
//    fall x interval): put the local ganesha into grace for that peer's VIP
//    at once, before Pacemaker's notify (which is then answered "already in
//    grace" instead of starting grace again);
//  - except for a peer that flaps (silent, then back with the same
//    incarnation, its nfsd healthy throughout, its VIP not moved): its next
//    silence within the grace period does not restart the grace its first
//    one took, while ganesha is still in it (service/peer_flaps.hpp says
//    why that tells a flap from a second real failure);
//  - this node's own failover waits until every healthy survivor (a peer
//    that is up) lists this node as held in grace, HA_GRACE_DELAY being only
//    the upper bound.
#include <cinttypes>
#include <cstdio>

#include "service/daemon.hpp"
#include "service/log.hpp"

namespace gha {
namespace {

using control::answer;
using control::Caller;
using control::Request;
using nlohmann::json;

// Daemon::grace_held_for_: how long a grace taken for an address counts as
// held. Within it a second take-ip for the same address (Pacemaker's notify,
// seconds after the heartbeats were faster) is answered without calling
// ganesha again, which would restart its grace period; the grace list sent
// to the peers drops the entry then too.

std::string hex64(std::uint64_t v) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "0x%016" PRIx64, v);
    return buffer;
}

double wall(TimePoint when, TimePoint now) {
    if (when == TimePoint{}) return 0;
    const auto at = std::chrono::system_clock::now() - (now - when);
    return std::chrono::duration<double>(at.time_since_epoch()).count();
}

long long ms(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

json drops_json(const DropCounts& drops) {
    json out = json::object();
    for (auto reason : kDropReasons) out[std::string(to_string(reason))] = drops[static_cast<std::size_t>(reason)];
    return out;
}

}  // namespace

void Daemon::build_heartbeats() {
    const HeartbeatConfig& hb = config_.heartbeat;
    if (!hb.enabled()) return;
    PeerHeartbeatOptions options;
    options.cluster = config_.ha_name;
    options.self = config_.node;
    options.bind_address = hb.address;
    options.port = hb.port;
    options.settings = hb.settings;
    for (const auto& node : config_.cluster_nodes) {
        if (node == config_.node) continue;
        const auto address = hb.peer_addresses.find(node);
        options.peers.push_back({node, address == hb.peer_addresses.end() ? "" : address->second, 0});
    }
    PeerHeartbeats::Callbacks callbacks;
    callbacks.on_peer_down = [this](const std::string& node, const std::string& why) { on_peer_down(node, why); };
    callbacks.on_peer_state = [this](const PeerStatus& peer, PeerState from) { on_peer_state(peer, from); };
    callbacks.on_grace_held_for_me = [this](const std::string&) { check_grace_confirmation(); };
    callbacks.on_peer_scope = [this](const PeerStatus& peer) { note_peer_scope(peer); };
    callbacks.on_peer_drained = [this](const PeerStatus& peer) { on_peer_drained(peer); };
    callbacks.on_peer_connections = [this](const std::string& node, const std::vector<ClientConnection>& list) {
        on_peer_connections(node, list);
    };
    callbacks.on_query = [this](const std::string& node, std::uint32_t id, const std::string& request) {
        on_peer_query(node, id, request);
    };
    callbacks.on_query_answer = [this](const std::string& node, std::uint32_t id, const std::string& answer) {
        on_peer_answer(node, id, answer);
    };
    // Refuses to start on a bad key file (HeartbeatKeyError) or a busy port.
    heartbeats_ = std::make_shared<PeerHeartbeats>(io_, clock_, std::move(options), HeartbeatKey::from_file(hb.key_file, hb.key_derived),
                                                   std::move(callbacks));
    failover_.set_confirmation_check([this] { return survivors_holding_grace(); },
                                     [this] { return survivors_without_grace(); });
    grace_expiry_ = clock_.make_timer();
}

// Peer series are read from the heartbeat state at scrape time (on the loop,
// so consistent); drops are cumulative there and added as deltas here.
std::string Daemon::metrics_text() {
    if (heartbeats_) {
        const TimePoint now = clock_.now();
        for (const auto& peer : heartbeats_->peers()) {
            metrics_.peer_up(peer.node, peer.state == PeerState::up);
            metrics_.peer_scope_mismatch(peer.node, scope_mismatch(peer));
            if (peer.last_heard != TimePoint{})
                metrics_.peer_heard(peer.node, std::chrono::duration<double>(
                                                   (std::chrono::system_clock::now() - (now - peer.last_heard))
                                                       .time_since_epoch())
                                                   .count());
        }
        const auto& drops = heartbeats_->drops();
        for (std::size_t i = 0; i < kDropReasonCount; ++i) {
            const auto total = drops[static_cast<std::size_t>(kDropReasons[i])];
            if (total > reported_drops_[i])
                metrics_.heartbeat_dropped(to_string(kDropReasons[i]), static_cast<double>(total - reported_drops_[i]));
            reported_drops_[i] = total;
        }
    }
    return metrics_.text();
}

void Daemon::start_heartbeats() {
    if (!heartbeats_) return;
    announce();
    heartbeats_->start();
    const auto local = heartbeats_->local_endpoint();
    log::notice("peer heartbeats on " + local.address().to_string() + ":" + std::to_string(local.port()) + " to " +
                    std::to_string(heartbeats_->options().peers.size()) + " peers",
                {{"node", config_.node}, {"monitor", "peer"}});
}

void Daemon::announce() {
    if (!heartbeats_) return;
    LocalHeartbeatState state;
    state.nfsd = !nfsd_healthy_ ? NfsdState::unknown : *nfsd_healthy_ ? NfsdState::healthy : NfsdState::down;
    state.scope_fingerprint = scope_fingerprint_;
    state.drained = failover_.drained();
    for (const auto& [address, held] : grace_held_)
        if (!held.node.empty() &&
            std::find(state.grace_held.begin(), state.grace_held.end(), held.node) == state.grace_held.end())
            state.grace_held.push_back(held.node);
    heartbeats_->set_local(std::move(state));
}

void Daemon::on_peer_state(const PeerStatus& peer, PeerState from) {
    const std::string to(to_string(peer.state));
    events_.add("peer", peer.node, to + ": " + peer.why,
                {{"from", std::string(to_string(from))},
                 {"to", to},
                 {"nfsd", std::string(to_string(peer.nfsd))},
                 {"address", peer.address}});
    log::write(peer.state == PeerState::down ? log::Level::warning : log::Level::notice,
               "peer " + peer.node + " " + to + ": " + peer.why,
               {{"monitor", "peer"}, {"node", config_.node}, {"result", to}});
    if (peer.state == PeerState::up) {
        seen_up_.insert(peer.node);
        // It serves again: the grace taken for its VIP belonged to a failure that is over.
        forget_grace_for(peer.node);
    }
    // Whoever takes which VIP may have changed: a taker that failed leaves
    // its part to the next node; a failing node's wait may be over.
    // (A peer that just went down from up is on_peer_down's, next.)
    claim_failed_vips(peer.state == PeerState::down && from == PeerState::up ? peer.node : "");
    check_grace_confirmation();
    update_vip_readiness(false);
}

void Daemon::on_peer_down(const std::string& node, const std::string& why) {
    check_grace_confirmation();  // one survivor fewer to wait for
    if (stopping_) return;
    const auto vip = config_.vips.find(node);
    if (vip == config_.vips.end()) return;
    if (nfsd_healthy_ == false) {
        events_.add("peer", node, "no grace for its VIP " + vip->second + ": the local nfsd is not healthy",
                    {{"address", vip->second}});
        return;
    }
    if (!takes_over_from(node)) {
        const std::string takers = takers_of(node);
        const std::string text = takers.empty() ? "down (" + why + "); it held no VIP another node could take"
                                                : "down (" + why + "); " + takers +
                                                      " takes its VIP(s): no grace here, new opens and locks go on";
        events_.add("peer", node, text, {{"address", vip->second}, {"takers", takers}});
        log::notice("peer " + node + " is " + text, {{"monitor", "peer"}, {"node", config_.node}});
        return;
    }
    const PeerStatus* peer = heartbeats_ ? heartbeats_->peer(node) : nullptr;
    const bool silent = peer && peer->link == Health::unhealthy && peer->nfsd == NfsdState::healthy;
    const PeerFlaps::Seen seen = seen_of(node);
    PeerFlaps::Verdict verdict = flaps_.judge(node, silent, seen, clock_.now());
    if (verdict.flap) return grace_for_flapping_peer(node, vip->second, std::move(verdict), seen);
    log::notice("peer " + node + " is down (" + why + "): grace for its VIP " + vip->second + " (" + verdict.why + ")",
                {{"monitor", "peer"}, {"node", config_.node}, {"action", "grace"}});
    grace_for_peer_down(node, vip->second, seen);
}

PeerFlaps::Seen Daemon::seen_of(const std::string& node) const {
    const PeerStatus* peer = heartbeats_ ? heartbeats_->peer(node) : nullptr;
    if (!peer) return {};
    return {peer->incarnation, peer->nfsd_not_healthy};
}

// A grace for a peer's VIP because that peer went down; once confirmed it
// is the "last grace" a later flap of that peer is measured against.
void Daemon::grace_for_peer_down(const std::string& node, const std::string& address, PeerFlaps::Seen seen) {
    peer_down_graces_[address] = {node, std::move(seen), clock_.now()};
    request_grace(GraceEvent::take_ip, address);
}

// A flap within the grace period: the grace its first silence took here
// still covers its VIP if ganesha is still in grace (it ends early once
// every known client reclaimed, and ganesha's Grace_Period may be shorter
// than the 90 s assumed). Asked, not assumed: in grace, nothing is
// restarted (an event, a log line, a metric); not in grace, or no answer,
// grace is taken as for any peer-down.
void Daemon::grace_for_flapping_peer(const std::string& node, const std::string& address, PeerFlaps::Verdict verdict,
                                     PeerFlaps::Seen seen) {
    grace_client_->get_grace([this, node, address, verdict = std::move(verdict), seen](
                                 std::error_code ec, bool in_grace, const std::string& message) {
        if (stopping_) return;
        const long long last_s =
            std::chrono::duration_cast<std::chrono::seconds>(verdict.since_grace).count();
        if (!ec && in_grace) {
            const std::string text = "grace not restarted: " + verdict.why;
            events_.add("peer", node, text,
                        {{"address", address},
                         {"suppressed", "flapping"},
                         {"last_grace_s", last_s},
                         {"incarnation", seen.incarnation ? json(hex64(*seen.incarnation)) : json(nullptr)}});
            log::notice("peer " + node + " is down again: " + text + "; ganesha is still in grace for its VIP " + address,
                        {{"monitor", "peer"}, {"node", config_.node}, {"action", "grace"}});
            metrics_.peer_grace_not_restarted(node);
            return;
        }
        if (nfsd_healthy_ == false) return;  // went unhealthy meanwhile: no grace, as in on_peer_down
        const std::string because = ec ? "ganesha did not say whether it is in grace (" +
                                             std::string(dbus_reason(ec)) + ": " + message + ")"
                                       : std::string("ganesha is no longer in grace");
        events_.add("peer", node, verdict.why + ", but " + because + ": grace for its VIP " + address,
                    {{"address", address}, {"last_grace_s", last_s}});
        log::notice("peer " + node + " is down again (" + verdict.why + "), " + because + ": grace for its VIP " +
                        address,
                    {{"monitor", "peer"}, {"node", config_.node}, {"action", "grace"}});
        grace_for_peer_down(node, address, seen);
    });
}

// The node that takes each VIP this node holds (issue 11: only it enters
// grace) must hold grace for us. Nodes that are down or unknown cannot take
// a VIP and are not waited for; with no taker at all, HA_GRACE_DELAY decides.
std::optional<std::string> Daemon::survivors_holding_grace() const {
    const auto [holding, missing] = survivors_by_grace();
    if (holding.empty() || !missing.empty()) return std::nullopt;
    return holding;
}

// The takers that do not (yet) report grace held for us.
std::string Daemon::survivors_without_grace() const { return survivors_by_grace().second; }

// This node's takers, as "a, b" lists: those reporting grace held for us,
// and those not (yet).
std::pair<std::string, std::string> Daemon::survivors_by_grace() const {
    std::pair<std::string, std::string> split;
    if (!heartbeats_) return split;
    std::vector<std::string> seen;
    for (const auto& home : vips_held_by(config_.node)) {
        const auto taker = taker_of(home, config_.node);
        if (!taker || std::find(seen.begin(), seen.end(), *taker) != seen.end()) continue;
        seen.push_back(*taker);
        const PeerStatus* peer = heartbeats_->peer(*taker);
        const bool holds = peer && std::find(peer->grace_held.begin(), peer->grace_held.end(), config_.node) !=
                                       peer->grace_held.end();
        std::string& list = holds ? split.first : split.second;
        list += (list.empty() ? "" : ", ") + *taker;
    }
    return split;
}

void Daemon::check_grace_confirmation() {
    if (auto who = survivors_holding_grace()) failover_.confirm_grace(*who);  // no-op unless a failover waits
}

std::uint64_t Daemon::request_grace(GraceEvent event, const std::string& address) {
    const std::uint64_t id = failover_.peer_grace(event, address);
    grace_requests_[id] = {event, address};
    if (auto record = pipelines_.record(id); record && finished(record->state)) grace_pipeline_finished(*record);
    return id;
}

// Pacemaker's notify (ganesha-hactl grace) for an address the heartbeats
// already put ganesha into grace for: answered as done. One that arrives
// while that grace is still being set up follows the running pipeline
// instead of being dropped as a duplicate (its exit code stays meaningful).
json Daemon::grace_command(GraceEvent event, const std::string& address) {
    const TimePoint now = clock_.now();
    // Pacemaker asks when a VIP moves: the peer's next silence is no flap.
    if (const auto node = node_of_vip(address))
        flaps_.changed(*node, "Pacemaker asked for grace for its VIP", now);
    // Pacemaker stopped that node's grace instance: every survivor hears of
    // it, but only the node that takes its VIPs enters grace (issue 11).
    if (event == GraceEvent::take_ip && heartbeats_)
        if (const auto node = node_of_vip(address); node && !takes_over_from(*node)) {
            const std::string takers = takers_of(*node);
            return answer(control::success,
                          "grace: not sent; " + (takers.empty() ? std::string("nobody") : takers) + " takes " +
                              *node + "'s VIP(s), not this node",
                          {{"address", address}, {"skipped", true}, {"takers", takers}});
        }
    if (event == GraceEvent::take_ip && heartbeats_) {
        const auto held = grace_held_.find(address);
        if (held != grace_held_.end() && now - held->second.since < grace_held_for_) {
            const std::string after = held->second.node.empty() ? "" : ", after " + held->second.node + " went down";
            return answer(control::success,
                          "grace: ganesha already in grace for " + address + " (taken " +
                              std::to_string(ms(now - held->second.since)) + " ms ago" + after + "); not sent again",
                          {{"address", address}, {"already", true}, {"since", wall(held->second.since, now)}});
        }
    }
    for (const auto& [id, request] : grace_requests_) {
        if (request.first != event || request.second != address) continue;
        const auto record = pipelines_.record(id);
        if (record && !finished(record->state)) return pipeline_answer(id, "grace");
    }
    return pipeline_answer(request_grace(event, address), "grace");
}

void Daemon::grace_pipeline_finished(const PipelineRecord& record) {
    if (!finished(record.state)) return;
    const auto it = grace_requests_.find(record.id);
    if (it == grace_requests_.end()) return;
    const auto [event, address] = it->second;
    grace_requests_.erase(it);
    if (event == GraceEvent::take_ip)
        if (const auto pending = peer_down_graces_.find(address); pending != peer_down_graces_.end()) {
            if (record.state == PipelineState::succeeded)
                flaps_.grace_taken(pending->second.node, pending->second.seen, pending->second.requested);
            peer_down_graces_.erase(pending);
        }
    if (record.state != PipelineState::succeeded || !heartbeats_) return;
    if (event == GraceEvent::take_ip) {
        grace_held_[address] = {node_of_vip(address).value_or(""), clock_.now()};
        announce();  // "grace entered" goes out at once
        update_vip_readiness(false);
        expire_grace_held();
    } else if (event == GraceEvent::release_ip && grace_held_.erase(address)) {
        announce();
    }
}

// The grace taken for `node`'s VIP, when its failure (or drain) is over.
void Daemon::forget_grace_for(const std::string& node) {
    const auto vip = config_.vips.find(node);
    if (vip != config_.vips.end() && grace_held_.erase(vip->second)) announce();
}

void Daemon::expire_grace_held() {
    const TimePoint now = clock_.now();
    std::optional<TimePoint> next;
    bool changed = false;
    for (auto it = grace_held_.begin(); it != grace_held_.end();) {
        const TimePoint ends = it->second.since + grace_held_for_;
        if (ends <= now) {
            it = grace_held_.erase(it);
            changed = true;
            continue;
        }
        next = next ? std::min(*next, ends) : ends;
        ++it;
    }
    if (changed) {
        announce();
        update_vip_readiness(false);
        // A failed peer's VIP that has not come here yet (its holder is
        // still the failed node) needs a grace when it comes: take it again.
        // One that came here is ours now and is not claimed again.
        claim_failed_vips();
    }
    if (next && grace_expiry_)
        grace_expiry_->async_wait_for(*next - now, [this](std::error_code ec) {
            if (!ec && !stopping_) expire_grace_held();
        });
}

void Daemon::heartbeat_reload_notes(Config& fresh, std::vector<std::string>& notes) const {
    if (fresh.heartbeat != config_.heartbeat) {
        notes.push_back("HA_HEARTBEAT_*, HA_PEER_ADDR_* and HA_MONITOR_PEER changes need a restart");
        fresh.heartbeat = config_.heartbeat;
    }
    if (heartbeats_ && (fresh.cluster_nodes != config_.cluster_nodes || fresh.ha_name != config_.ha_name))
        notes.push_back("peer heartbeats keep the old HA_NAME and HA_CLUSTER_NODES until a restart");
}

json Daemon::peers_json() const {
    const TimePoint now = clock_.now();
    json out{{"enabled", heartbeats_ != nullptr}, {"node", config_.node}};
    if (!heartbeats_) return out;
    const auto& settings = heartbeats_->options().settings;
    const auto local = heartbeats_->local_endpoint();
    json held = json::array();
    for (const auto& [address, grace] : grace_held_)
        held.push_back({{"address", address}, {"node", grace.node}, {"since", wall(grace.since, now)}});
    out["address"] = local.address().to_string() + ":" + std::to_string(local.port());
    out["incarnation"] = hex64(heartbeats_->incarnation());
    out["sequence"] = heartbeats_->sequence();
    out["local"] = {{"nfsd", std::string(to_string(heartbeats_->local().nfsd))},
                    {"grace_held", heartbeats_->local().grace_held}};
    out["grace_held"] = held;
    out.update(local_scope_json());
    out["settings"] = {{"interval_ms", settings.interval.count()},
                       {"rise", settings.rise},
                       {"fall", settings.fall},
                       {"detection_bound_ms", heartbeats_->detection_bound().count()}};
    out["drops"] = drops_json(heartbeats_->drops());
    // A bad MAC says nothing about the name inside: where it came from is
    // shown here, once (the last one), not as a label per source address.
    if (const auto& bad = heartbeats_->last_bad_mac())
        out["last_bad_mac"] = {{"source", bad->source}, {"at", wall(bad->at, now)}};
    else
        out["last_bad_mac"] = nullptr;
    json peers = json::array();
    for (const auto& p : heartbeats_->peers()) {
        json peer{{"node", p.node},
                         {"address", p.address},
                         {"address_error", p.address_error},
                         {"state", std::string(to_string(p.state))},
                         {"why", p.why},
                         {"since", wall(p.state_since, now)},
                         {"link", std::string(to_string(p.link))},
                         {"counter", p.counter},
                         {"last_heard", wall(p.last_heard, now)},
                         {"last_heard_ago_ms", p.last_heard == TimePoint{} ? json(nullptr) : json(ms(now - p.last_heard))},
                         {"source", p.source},
                         {"incarnation", p.incarnation ? json(hex64(*p.incarnation)) : json(nullptr)},
                         {"sequence", p.sequence},
                         {"nfsd", std::string(to_string(p.nfsd))},
                         {"grace_held", p.grace_held},
                         {"grace_incomplete", p.grace_incomplete},
                         {"leaving", p.leaving},
                         {"received", p.received},
                         {"restarts", p.restarts},
                         {"misses", p.misses},
                         {"sent", p.sent},
                         {"send_errors", p.send_errors},
                         {"drops", drops_json(p.drops)},
                         {"wrong_source", p.wrong_source}};
        peer.update(scope_json(p));
        peers.push_back(std::move(peer));
    }
    out["peers"] = peers;
    return out;
}

void Daemon::register_peer_commands() {
    add_remotable("peers", "peer heartbeats: per peer state, last heard, incarnation, nfsd, grace held, drops",
                  [this](const Request&, const Caller&) {
                      if (!heartbeats_)
                          return answer(control::success, "peer heartbeats are off (no HA_HEARTBEAT_KEY)",
                                        peers_json());
                      std::size_t up = 0;
                      for (const auto& p : heartbeats_->peers()) up += p.state == PeerState::up;
                      return answer(control::success,
                                    std::to_string(up) + " of " + std::to_string(heartbeats_->peers().size()) +
                                        " peers up",
                                    peers_json());
                  });
}

}  // namespace gha

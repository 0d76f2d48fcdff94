// `ganesha-hactl cluster move VIP TARGET` on the target's side (issue 14).
//
// The CLI writes, in one CIB patch, the permanent node attribute
// ganesha-take-<home>=requested on this node and a location constraint
// pulling <home>'s VIP here (ctl/cluster_move.cpp). The layout lets the VIP
// start here only once grace-for-<home> is 1, so this daemon first puts its
// ganesha into grace for the VIP's clients (take-ip, confirmed), then
// declares the readiness (update_vip_readiness), as a failover's taker
// does: the invariant holds by construction, whatever Pacemaker decides.
// Once the VIP is here the request reads "held"; when the VIP leaves (this
// node fails or is drained) or this node cannot take it before it arrived,
// the request and the constraint are deleted: the move lasts until the
// next failover, as ctdb's moveip.
#include "monitors/local_addresses.hpp"
#include "service/daemon.hpp"
#include "service/log.hpp"
#include "service/vip_taker.hpp"

namespace gha {

void Daemon::on_move_requests(const NodeAttributes& attributes) {
    std::map<std::string, std::string> requested;  // home -> state
    for (const auto& [name, value] : attributes) {
        if (!name.starts_with(kMoveAttributePrefix)) continue;
        const std::string home = name.substr(std::string_view(kMoveAttributePrefix).size());
        if (config_.vips.count(home) && home != config_.node) requested[home] = value;
    }
    bool changed = false;
    for (auto it = moves_.begin(); it != moves_.end();) {
        if (requested.count(it->first)) {
            ++it;
            continue;
        }
        events_.add("move", config_.vips.at(it->first), "move of " + it->first + "'s VIP to this node: request gone",
                    {{"home", it->first}});
        it = moves_.erase(it);
        changed = true;
    }
    for (const auto& [home, state] : requested) {
        auto [it, fresh] = moves_.try_emplace(home);
        if (fresh)
            events_.add("move", config_.vips.at(home), "asked to take " + home + "'s VIP (cluster move): " + state,
                        {{"home", home}, {"state", state}});
        it->second.state = state;
    }
    if (changed) update_vip_readiness(false);
    check_moves();
}

bool Daemon::move_ready(const std::string& home) const {
    const auto it = moves_.find(home);
    return it != moves_.end() && it->second.ready && !it->second.ending;
}

nlohmann::json Daemon::moves_json() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [home, move] : moves_)
        out[home] = {{"address", config_.vips.at(home)}, {"state", move.state}, {"ready", move_ready(home)}};
    return out;
}

void Daemon::check_moves() {
    if (stopping_ || moves_.empty()) return;
    std::error_code ec;
    const auto local = current_local_addresses(ec);
    const std::string& node = config_.node;
    for (auto& [home, move] : moves_) {
        if (move.ending || move.marking) continue;
        const bool here = holds_vip(home, local);
        const std::string attribute = move_request_attribute(home);
        if (move.state == kMoveHeld) {
            if (!here) end_move(home, "its VIP left this node: the move is over");
            continue;
        }
        if (here) {  // arrived: from now on its leaving ends the move
            Step step = pacemaker_.set_permanent_attribute(node, attribute, kMoveHeld);
            step.timeout = config_.action_timeout;
            step.attempts = config_.action_attempts;
            move.marking = true;
            attributes_watch_.writing();
            track_attribute_write(pipelines_.submit({"move", node + " " + attribute, {std::move(step)}}), attribute,
                                  std::string(kMoveHeld));
            continue;
        }
        if (nfsd_healthy_ != true || drains_.drained()) {
            end_move(home, std::string("this node cannot take it: ") +
                               (drains_.drained() ? "it is drained" : "its ganesha.nfsd is not healthy"));
            continue;
        }
        if (move.grace == 0) {
            const std::string& vip = config_.vips.at(home);
            log::notice("cluster move of " + home + "'s VIP " + vip + " to this node: grace for it first",
                        {{"action", "grace"}, {"node", node}});
            events_.add("move", vip, "grace for " + vip + " before it moves here", {{"home", home}});
            move.grace = request_grace(GraceEvent::take_ip, vip);
        }
    }
}

// The request and the constraint go in one pipeline; the constraint only
// while it still names this node (a newer move elsewhere keeps its own).
void Daemon::end_move(const std::string& home, const std::string& why) {
    auto& move = moves_.at(home);
    move.ending = true;
    const std::string& node = config_.node;
    const std::string attribute = move_request_attribute(home);
    log::notice("cluster move of " + home + "'s VIP to this node ends: " + why, {{"action", "move"}, {"node", node}});
    events_.add("move", config_.vips.at(home), "move ends: " + why, {{"home", home}});
    std::vector<Step> steps{pacemaker_.delete_location(move_constraint_id(home), node),
                            pacemaker_.delete_permanent_attribute(node, attribute)};
    for (auto& step : steps) {
        step.timeout = config_.action_timeout;
        step.attempts = config_.action_attempts;
    }
    attributes_watch_.writing();
    track_attribute_write(pipelines_.submit({"move", node + " " + attribute, std::move(steps)}), attribute,
                          std::nullopt);
    update_vip_readiness(false);
}

void Daemon::move_pipeline_finished(const PipelineRecord& record) {
    if (!finished(record.state)) return;
    const bool ok = record.state == PipelineState::succeeded;
    std::vector<std::string> ended;
    for (auto& [home, move] : moves_) {
        if (record.id == move.grace) {
            move.ready = ok;
            if (ok) update_vip_readiness(false);  // grace-for-<home>=1: Pacemaker may start it here now
            else end_move(home, "its grace failed");
            continue;
        }
        if (record.target != config_.node + " " + move_request_attribute(home)) continue;
        // A write that failed is tried again by the next check.
        if (move.marking) {
            move.marking = false;
            if (ok) move.state = kMoveHeld;
        } else if (move.ending) {
            move.ending = false;
            if (ok) ended.push_back(home);
        }
    }
    for (const auto& home : ended) moves_.erase(home);
}

}  // namespace gha

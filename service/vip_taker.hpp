// Which node takes a VIP whose holder failed (issue 11). Only that node's
// ganesha enters grace for the holder's clients: every other node keeps
// granting new opens and locks. The daemons agree without talking about it:
// each computes the same answer from the layout's failover order and from
// what the peer heartbeats say of each node.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gha {

// The first node of `home`'s failover order that `able` accepts: `home`
// itself, then the nodes after it in `nodes` (HA_CLUSTER_NODES), wrapping
// around: the order the layout's location scores give Pacemaker (its
// window, and beyond the window the per-VIP readiness rule leaves Pacemaker
// only this node). nullopt when no node is able, or `home` is not in `nodes`.
std::optional<std::string> vip_taker(const std::vector<std::string>& nodes, const std::string& home,
                                     const std::function<bool(const std::string&)>& able);

// The node attribute a node sets to 1 once its ganesha is in grace for the
// VIP of `home` (or holds that VIP): the layout lets the VIP start only on
// its home node or where this attribute is 1.
std::string vip_ready_attribute(const std::string& home);

// `ganesha-hactl cluster move` (issue 14). The request: a permanent node
// attribute of the target node, "ganesha-take-<home>", whose daemon puts its
// ganesha into grace for the VIP, declares vip_ready_attribute(home), and
// records "held" once the VIP has arrived (kMoveRequested, kMoveHeld). The
// pull: a location constraint "ganesha-ha-move-<home>", INFINITY for the VIP
// on the target. The target's daemon deletes both when the VIP leaves it.
inline constexpr const char* kMoveRequested = "requested";
inline constexpr const char* kMoveHeld = "held";
inline constexpr const char* kMoveAttributePrefix = "ganesha-take-";
inline constexpr const char* kMoveConstraintPrefix = "ganesha-ha-move-";
std::string move_request_attribute(const std::string& home);
std::string move_constraint_id(const std::string& home);

}  // namespace gha

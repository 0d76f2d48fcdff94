// A whole CIB around `ganesha-hactl cluster show-cib`'s <configuration>, for
// Pacemaker's offline tools (crm_verify -x, crm_simulate -x): used by
// tests/integration/cluster_layout_test.cpp and bench/layout_scale.
#pragma once

#include <string>
#include <vector>

namespace gha::lab {

// show-cib's <configuration> plus <nodes> (ids 1..n), stonith off (as in the
// lab), and a status: empty, or (online) every node a member with what
// ganesha-had sets for a healthy nfsd (ganesha-active and grace-active 1),
// as `crm_simulate -u` and `crm_attribute -l reboot` would leave it.
std::string full_cib(const std::string& configuration, const std::vector<std::string>& nodes, bool online = false);

// crm_simulate -S's output scheduled nothing: its transition summary and
// the actions it executed are empty.
bool crm_simulate_quiet(const std::string& output);

}  // namespace gha::lab

// `ganesha-hactl cluster setup --adopt-glusterfs`: taking over the CIB
// objects GlusterFS's extras/ganesha/scripts/ganesha-ha.sh made with pcs, so
// that they become ours (listed in tag ganesha-ha: replaced by the layout,
// or removed, and removed by teardown) in one CIB patch that stops or
// starts no VIP.
//
// What ganesha-ha.sh makes (glusterfs commit 595745f8e4; the same since
// 2016, commits 7b1a529551 and 38c5a6f82c): clones nfs_setup-clone
// (ocf:heartbeat:ganesha_nfsd), nfs-mon-clone (ganesha_mon), nfs-grace-clone
// (ganesha_grace, notify) and a location rule on grace-active; per node N a
// group N-group of N-nfs_block (portblock, action=block), N-cluster_ip-1
// (ocf:heartbeat:IPaddr) and N-nfs_unblock (portblock, action=unblock), an
// order nfs-grace-clone then N-cluster_ip-1, a ganesha-active rule and
// `prefers` scores on N-group. Before 2016 (GlusterFS 3.7): N-cluster_ip-1
// and a Dummy N-trigger_ip-1 at top level, colocated and ordered through
// the grace clone. N-dead_ip-1 is made at run time (by GlusterFS's
// ganesha_mon, today by ganesha-had) and left alone.
//
// Why the adoption patch is not the plain layout (each measured with
// crm_simulate, tests/integration/cluster_layout_test.cpp ClusterAdoption):
//  - the clones change agent (heartbeat -> ganesha), so they restart; with
//    "nfs-grace-clone then every VIP" (Mandatory) in the same patch, every
//    VIP would restart with them: that order is left out;
//  - a new trigger ordered before its VIP (Mandatory) restarts the VIP when
//    it first starts: those orders are left out too;
//  - IPaddr -> IPaddr2 is a definition change (a restart): a VIP keeps the
//    agent it runs with, now and in every later setup (keep_vip_agents);
//  - removing the portblock pair would stop both at once, in no order, and
//    nfs_unblock's stop (which blocks the port) may run after nfs_block's
//    (which unblocks it), leaving NFS blocked on the VIP: they are kept,
//    stopped (target-role), with an order that stops nfs_unblock first.
// The next `cluster setup` adds the orders and removes the stopped
// portblocks; Pacemaker then has nothing to do.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "ctl/cluster_layout.hpp"
#include "ctl/xml_tree.hpp"
#include "service/config.hpp"

namespace gha::cluster {

struct Adoption {
    std::set<std::string> ids;          // top-level objects taken over (resources, constraints)
    std::vector<std::string> refusals;  // "<id>: why"; nothing may be taken over when any
    std::vector<std::string> stopped;   // portblocks kept, stopped, until the next setup
};

// The GlusterFS objects in `configuration` (the <configuration> element)
// for `config`'s nodes; `layout` becomes what the adoption patch applies.
Adoption adopt_glusterfs(pugi::xml_node configuration, const Config& config, Layout& layout);

// A VIP that runs as ocf:heartbeat:IPaddr (adopted from GlusterFS) keeps
// that agent in `layout` when `ours` lists it: IPaddr2 would restart it.
void keep_vip_agents(pugi::xml_node configuration, const std::set<std::string>& ours, Layout& layout);

}  // namespace gha::cluster

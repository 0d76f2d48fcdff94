#include "ctl/glusterfs_adoption.hpp"

#include <algorithm>
#include <map>

namespace gha::cluster {
namespace {

// The per-node ids ganesha-ha.sh makes, by suffix after the node's name.
constexpr const char* kGroup = "-group";
constexpr const char* kVip = "-cluster_ip-1";
constexpr const char* kBlock = "-nfs_block";
constexpr const char* kUnblock = "-nfs_unblock";
const std::vector<std::string> kNodeSuffixes = {kGroup, kVip, "-trigger_ip-1", kBlock, kUnblock};

std::string agent_of(pugi::xml_node primitive) {
    if (!primitive) return "nothing";
    return xml::get(primitive, "class") + ":" + xml::get(primitive, "provider") + ":" + xml::get(primitive, "type");
}

std::map<std::string, std::string> params_of(pugi::xml_node primitive) {
    std::map<std::string, std::string> out;
    for (const pugi::xml_node set : primitive.children("instance_attributes"))
        for (const pugi::xml_node nv : set.children("nvpair")) out[xml::get(nv, "name")] = xml::get(nv, "value");
    return out;
}

std::string describe(const std::map<std::string, std::string>& params) {
    std::string out;
    for (const auto& [k, v] : params) out += (out.empty() ? "" : " ") + k + "=" + v;
    return out;
}

CibObject* find_object(Layout& layout, const std::string& id) {
    for (auto& o : layout.objects)
        if (o.id == id) return &o;
    return nullptr;
}

// The resource ids a constraint names (rsc, with-rsc, first, then, and the
// members of its resource sets).
std::set<std::string> references(pugi::xml_node constraint) {
    std::set<std::string> out;
    xml::visit(constraint, [&](pugi::xml_node x) {
        for (const char* attr : {"rsc", "with-rsc", "first", "then"})
            if (xml::has(x, attr)) out.insert(xml::get(x, attr));
        if (std::string_view(x.name()) == "resource_ref") out.insert(xml::get(x, "id"));
    });
    return out;
}

// A portblock kept until the next setup: the same definition, stopped.
CibObject stopped_copy(pugi::xml_node primitive) {
    pugi::xml_document copy;
    pugi::xml_node p = copy.append_copy(primitive);
    while (const pugi::xml_node m = p.child("meta_attributes")) p.remove_child(m);
    const std::string id = xml::get(p, "id");
    pugi::xml_node meta = p.prepend_child("meta_attributes");
    xml::set(meta, "id", id + "-meta_attributes");
    pugi::xml_node nv = meta.append_child("nvpair");
    xml::set(nv, "id", id + "-meta_attributes-target-role");
    xml::set(nv, "name", "target-role");
    xml::set(nv, "value", "Stopped");
    return {"resources", id, xml::to_string(p, false)};
}

}  // namespace

Adoption adopt_glusterfs(pugi::xml_node configuration, const Config& config, Layout& layout) {
    const pugi::xml_node conf = xml::element_of(configuration);
    Adoption a;
    const std::map<std::string, std::string> clones = {
        {std::string(kSetupClone), "ganesha_nfsd"}, {std::string(kMonClone), "ganesha_mon"}, {std::string(kGraceClone), "ganesha_grace"}};
    // id -> node, for every per-node id of a configured node.
    std::map<std::string, std::string> node_of;
    for (const auto& node : config.cluster_nodes)
        for (const auto& suffix : kNodeSuffixes) node_of[node + suffix] = node;

    std::set<std::string> inside;  // every id in what is taken over (constraints may name any)
    std::map<std::string, pugi::xml_node> vips, blocks, unblocks;  // by node
    auto take = [&](pugi::xml_node top) {
        a.ids.insert(xml::get(top, "id"));
        xml::visit(top, [&](pugi::xml_node x) {
            if (xml::has(x, "id")) inside.insert(xml::get(x, "id"));
            const std::string id = xml::get(x, "id");
            if (std::string_view(x.name()) != "primitive" || !node_of.count(id)) return;
            const std::string& node = node_of.at(id);
            if (id == node + kVip) vips[node] = x;
            if (id == node + kBlock) blocks[node] = x;
            if (id == node + kUnblock) unblocks[node] = x;
        });
    };
    for (const pugi::xml_node top : xml::elements(conf.child("resources"))) {
        const std::string id = xml::get(top, "id");
        if (const auto c = clones.find(id); c != clones.end()) {
            const pugi::xml_node primitive = top.child("primitive");
            if (std::string_view(top.name()) != "clone" || xml::get(primitive, "type") != c->second)
                a.refusals.push_back(id + ": a <" + top.name() + "> of " + agent_of(primitive) + ", not a clone of " +
                                     c->second + " as ganesha-ha.sh makes it");
            else
                take(top);
            continue;
        }
        if (!node_of.count(id)) {
            // A VIP or group of a node the configuration does not have would
            // be left running unmanaged, or removed: neither is a take-over.
            if (id.ends_with(kVip) || id.ends_with(kGroup))
                a.refusals.push_back(id + ": its node is not in HA_CLUSTER_NODES of " + config.source +
                                     " (add the node there, or remove the resource first)");
            continue;
        }
        const std::string& node = node_of.at(id);
        if (id == node + kGroup) {
            bool ok = true;
            for (const pugi::xml_node m : xml::elements(top)) {
                const std::string mid = xml::get(m, "id");
                if (std::string_view(m.name()) != "primitive") continue;
                if (mid != node + kBlock && mid != node + kVip && mid != node + kUnblock) {
                    a.refusals.push_back(id + ": its member " + mid + " is not one ganesha-ha.sh makes (" + node + kBlock +
                                         ", " + node + kVip + ", " + node + kUnblock + "); move it out of the group first");
                    ok = false;
                }
            }
            if (ok) take(top);
            continue;
        }
        take(top);
    }

    // The VIPs must stay where and what they are.
    for (const auto& [node, vip] : vips) {
        const std::string id = xml::get(vip, "id");
        const std::string type = xml::get(vip, "type");
        if (xml::get(vip, "class") != "ocf" || xml::get(vip, "provider") != "heartbeat" ||
            (type != "IPaddr" && type != "IPaddr2")) {
            a.refusals.push_back(id + ": runs as " + agent_of(vip) + ", not ocf:heartbeat:IPaddr or IPaddr2");
            continue;
        }
        if (vip_id(node) != id) {
            a.refusals.push_back(id + ": the layout names this VIP " + vip_id(node) + "; taking it over would restart it");
            continue;
        }
        auto running = params_of(vip);
        const std::string address = config.vips.at(node);
        if (running["ip"] != address) {
            a.refusals.push_back(id + ": its address ip=" + running["ip"] + " differs from VIP_" + node_key(node) + "=\"" +
                                 address + "\" in " + config.source +
                                 ": taking it over would move the VIP (correct one of them first)");
            continue;
        }
        const CibObject* ours = find_object(layout, id);
        const auto wanted = params_of(xml::parse(ours->xml).document_element());
        if (running != wanted)
            a.refusals.push_back(id + ": its parameters (" + describe(running) + ") differ from the layout's (" +
                                 describe(wanted) + ", from HA_VIP_CIDR_NETMASK and HA_VIP_NIC in " + config.source +
                                 "): taking it over would restart it");
    }

    // Constraints on what is taken over, and nothing else, are GlusterFS's.
    for (const pugi::xml_node c : xml::elements(conf.child("constraints"))) {
        const auto refs = references(c);
        if (!refs.empty() && std::all_of(refs.begin(), refs.end(), [&](const std::string& r) { return inside.count(r); }))
            a.ids.insert(xml::get(c, "id"));
    }

    // The adoption patch (see the header): no order that would restart a VIP.
    std::erase_if(layout.objects, [&](const CibObject& o) {
        if (o.id == kGraceThenVips) return true;
        for (const auto& node : layout.nodes)
            if (o.id == trigger_order_id(node)) return true;
        return false;
    });
    for (const auto& [node, block] : blocks) {
        layout.objects.push_back(stopped_copy(block));
        a.stopped.push_back(xml::get(block, "id"));
    }
    for (const auto& [node, unblock] : unblocks) {
        layout.objects.push_back(stopped_copy(unblock));
        a.stopped.push_back(xml::get(unblock, "id"));
        if (!blocks.count(node)) continue;
        // Stopped in reverse order: nfs_unblock (which blocks the port) first,
        // then nfs_block (which unblocks it).
        const std::string first = node + kBlock, then = node + kUnblock, order = first + "-then" + kUnblock;
        layout.objects.push_back({"constraints", order,
                                  "<rsc_order id=\"" + xml::escape(order) + "\" first=\"" + xml::escape(first) +
                                      "\" then=\"" + xml::escape(then) + "\" kind=\"Mandatory\"/>"});
    }
    layout.tag = layout_tag(layout.objects);
    return a;
}

void keep_vip_agents(pugi::xml_node configuration, const std::set<std::string>& ours, Layout& layout) {
    const pugi::xml_node conf = xml::element_of(configuration);
    for (const pugi::xml_node top : xml::elements(conf.child("resources"))) {
        const bool top_ours = ours.count(xml::get(top, "id")) > 0;
        xml::visit(top, [&](pugi::xml_node x) {
            const std::string id = xml::get(x, "id");
            if (std::string_view(x.name()) != "primitive" || !(top_ours || ours.count(id))) return;
            if (xml::get(x, "provider") != "heartbeat" || xml::get(x, "type") != "IPaddr") return;
            CibObject* o = find_object(layout, id);
            if (!o || o->section != "resources") return;
            pugi::xml_document wanted = xml::parse(o->xml);
            if (xml::get(wanted.document_element(), "type") != "IPaddr2") return;
            xml::set(wanted.document_element(), "type", "IPaddr");
            o->xml = xml::to_string(wanted.document_element(), false);
        });
    }
}

}  // namespace gha::cluster

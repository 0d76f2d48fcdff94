// The cluster layout as a pure function, the CIB change planner, the status
// verdict and the ganesha-ha.conf edits of `ganesha-hactl cluster`: no
// Pacemaker needed (tests/integration/cluster_layout_test.cpp runs the real
// tools on the same XML).
#include "ctl/cluster_layout.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "ctl/cluster_command.hpp"
#include "ctl/mini_xml.hpp"

namespace gha::cluster {
namespace {

Config parse(const std::string& text) {
    ConfigOverrides o;
    o.any_node = true;
    return parse_config(text, "ha.conf", o);
}

std::string conf_text(int n, const std::string& extra = "") {
    std::string nodes, vips;
    for (int i = 1; i <= n; ++i) {
        nodes += (i > 1 ? "," : "") + std::string("node") + std::to_string(i);
        vips += "VIP_node" + std::to_string(i) + "=\"10.0.2." + std::to_string(i) + "\"\n";
    }
    return "HA_NAME=\"demo\"\nHA_CLUSTER_NODES=\"" + nodes + "\"\n" + vips + extra;
}

Layout layout_of(const std::string& text) {
    const Config c = parse(text);
    return build_layout(c, c.layout);
}

const CibObject* object(const Layout& l, const std::string& id) {
    for (const auto& o : l.objects)
        if (o.id == id) return &o;
    return nullptr;
}

TEST(ClusterLayout, PreferencesAreRoundRobinWithHomeHighest) {
    const std::vector<std::string> nodes = {"a", "b", "c", "d"};
    const auto p = vip_preferences(nodes, 1);  // b's VIP
    ASSERT_EQ(p.size(), 4u);
    EXPECT_EQ(p[0].node, "b");
    EXPECT_EQ(p[0].score, 4000);
    EXPECT_EQ(p[1].node, "c");
    EXPECT_EQ(p[1].score, 3000);
    EXPECT_EQ(p[2].node, "d");
    EXPECT_EQ(p[2].score, 2000);
    EXPECT_EQ(p[3].node, "a");  // wraps around: the node before home is last
    EXPECT_EQ(p[3].score, 1000);
}

TEST(ClusterLayout, PrefersConstraintsCarryThoseScores) {
    const Layout l = layout_of(conf_text(3));
    const auto* home = object(l, "node3-cluster_ip-1-prefers-node3");
    const auto* next = object(l, "node3-cluster_ip-1-prefers-node1");
    const auto* last = object(l, "node3-cluster_ip-1-prefers-node2");
    ASSERT_TRUE(home && next && last);
    EXPECT_EQ(xml::parse(home->xml).get("score"), "3000");
    EXPECT_EQ(xml::parse(next->xml).get("score"), "2000");
    EXPECT_EQ(xml::parse(last->xml).get("score"), "1000");
}

TEST(ClusterLayout, OneNodeIsInsufficient) {
    try {
        layout_of("HA_NAME=x\nHA_CLUSTER_NODES=\"n1\"\nVIP_n1=10.0.0.1\n");
        FAIL() << "no error";
    } catch (const LayoutError& e) {
        EXPECT_NE(std::string(e.what()).find("insufficient servers"), std::string::npos) << e.what();
    }
}

TEST(ClusterLayout, QuorumPolicyByNodeCount) {
    EXPECT_EQ(layout_of(conf_text(2)).no_quorum_policy, "ignore");
    EXPECT_EQ(layout_of(conf_text(3)).no_quorum_policy, "stop");
    EXPECT_EQ(layout_of(conf_text(8)).no_quorum_policy, "stop");
}

TEST(ClusterLayout, IdsAreUniqueValidAndAllTagged) {
    const std::string text =
        "HA_NAME=x\nHA_CLUSTER_NODES=\"node-1.example.com,2nd.example.com,c\"\n"
        "VIP_node_1_example_com=10.0.0.1\nVIP_2nd_example_com=10.0.0.2\nVIP_c=10.0.0.3\n";
    const Layout l = layout_of(text);
    EXPECT_EQ(vip_id("node-1.example.com"), "node-1.example.com-cluster_ip-1");
    EXPECT_EQ(vip_id("2nd.example.com"), "_2nd.example.com-cluster_ip-1");  // an XML ID cannot start with a digit
    std::set<std::string> ids;
    for (const auto& o : l.objects)
        xml::parse(o.xml).visit([&](const xml::Element& e) {
            if (!e.has("id") || e.name == "resource_ref") return;  // a reference, not a definition
            const std::string id = e.get("id");
            EXPECT_TRUE(ids.insert(id).second) << "duplicate id " << id;
            const char c = id.front();
            EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') << id;
            for (const char ch : id)
                EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                            ch == '_' || ch == '-' || ch == '.')
                    << id;
        });
    std::set<std::string> tagged;
    const xml::Element tag = xml::parse(l.tag.xml);
    for (const auto* ref : tag.children_named("obj_ref")) tagged.insert(ref->get("id"));
    for (const auto& o : l.objects) EXPECT_TRUE(tagged.count(o.id)) << o.id;
    EXPECT_EQ(tagged.size(), l.objects.size());
}

TEST(ClusterLayout, DeterministicAndUsesTheAgentsAndOrders) {
    const std::string text = conf_text(3);
    EXPECT_EQ(render_configuration(layout_of(text)), render_configuration(layout_of(text)));
    const Layout l = layout_of(text);
    const auto grace = xml::parse(object(l, "nfs-grace-clone")->xml);
    EXPECT_EQ(grace.child("primitive")->get("type"), "ganesha_grace");
    EXPECT_EQ(grace.child("primitive")->get("provider"), "ganesha");
    EXPECT_EQ(grace.child("meta_attributes")->child("nvpair")->get("name"), "notify");
    EXPECT_EQ(xml::parse(object(l, "nfs-mon-clone")->xml).child("primitive")->get("type"), "ganesha_mon");
    EXPECT_EQ(xml::parse(object(l, "nfs_setup-clone")->xml).child("primitive")->get("type"), "ganesha_nfsd");
    // The orders between every trigger, the grace clone and every VIP are two
    // set orders, each set unordered among itself.
    const auto o = xml::parse(object(l, "nfs-grace-clone-then-ganesha-ha-vips")->xml);
    EXPECT_EQ(o.get("kind"), "Mandatory");
    auto sets = o.children_named("resource_set");
    ASSERT_EQ(sets.size(), 2u);
    EXPECT_EQ(sets[0]->child("resource_ref")->get("id"), "nfs-grace-clone");
    EXPECT_EQ(sets[1]->get("sequential"), "false");
    EXPECT_EQ(sets[1]->children_named("resource_ref").size(), 3u);
    EXPECT_EQ(sets[1]->children_named("resource_ref")[1]->get("id"), "node2-cluster_ip-1");
    const auto t = xml::parse(object(l, "ganesha-ha-triggers-then-nfs-grace-clone")->xml);
    EXPECT_EQ(t.get("kind"), "Optional");
    sets = t.children_named("resource_set");
    ASSERT_EQ(sets.size(), 2u);
    EXPECT_EQ(sets[0]->get("sequential"), "false");
    EXPECT_EQ(sets[0]->children_named("resource_ref")[1]->get("id"), "node2-trigger_ip-1");
    EXPECT_EQ(sets[1]->child("resource_ref")->get("id"), "nfs-grace-clone");
    // One ganesha-active rule for every VIP.
    const auto rule = xml::parse(object(l, "ganesha-ha-vips-ganesha-active")->xml);
    EXPECT_EQ(rule.child("resource_set")->children_named("resource_ref").size(), 3u);
    EXPECT_EQ(rule.child("rule")->get("score"), "-INFINITY");
    EXPECT_EQ(rule.child("rule")->children_named("expression").size(), 2u);
    EXPECT_EQ(xml::parse(object(l, "node2-cluster_ip-1-with-node2-trigger_ip-1")->xml).get("score"), "INFINITY");
    EXPECT_EQ(xml::parse(object(l, "node2-trigger_ip-1-then-node2-cluster_ip-1")->xml).get("kind"), "Mandatory");
}

TEST(ClusterLayout, BeyondFourNodesAVipPrefersItsWindowAndIsProbedOnlyThere) {
    const std::vector<std::string> nodes = {"a", "b", "c", "d", "e", "f"};
    const auto p = vip_preferences(nodes, 4);  // e's VIP: e, f, a, b
    ASSERT_EQ(p.size(), kFallbacks + 1);
    EXPECT_EQ(p[0].node, "e");
    EXPECT_EQ(p[0].score, 4000);
    EXPECT_EQ(p[1].node, "f");
    EXPECT_EQ(p[2].node, "a");
    EXPECT_EQ(p[3].node, "b");
    EXPECT_EQ(p[3].score, 1000);

    const Layout l = layout_of(conf_text(6));
    EXPECT_TRUE(object(l, "node5-cluster_ip-1-prefers-node2"));
    EXPECT_FALSE(object(l, "node5-cluster_ip-1-prefers-node3"));
    const auto* elsewhere = object(l, "node5-cluster_ip-1-elsewhere");
    ASSERT_TRUE(elsewhere);
    const auto e = xml::parse(elsewhere->xml);
    EXPECT_EQ(e.get("resource-discovery"), "never");
    std::vector<std::string> resources, outside;
    for (const auto* r : e.child("resource_set")->children_named("resource_ref")) resources.push_back(r->get("id"));
    EXPECT_EQ(resources, (std::vector<std::string>{"node5-cluster_ip-1", "node5-trigger_ip-1"}));
    EXPECT_EQ(e.child("rule")->get("score"), "0");
    EXPECT_EQ(e.child("rule")->get("boolean-op"), "and");
    for (const auto* x : e.child("rule")->children_named("expression")) {
        EXPECT_EQ(x->get("attribute"), "#uname");
        EXPECT_EQ(x->get("operation"), "ne");
        outside.push_back(x->get("value"));
    }
    EXPECT_EQ(outside, (std::vector<std::string>{"node5", "node6", "node1", "node2"}));

    // Up to four nodes every node is in every window: no such constraint,
    // and the scores are those of the quadratic layout (home n*1000).
    const Layout four = layout_of(conf_text(4));
    EXPECT_FALSE(object(four, "node1-cluster_ip-1-elsewhere"));
    EXPECT_EQ(xml::parse(object(four, "node2-cluster_ip-1-prefers-node1")->xml).get("score"), "1000");
    EXPECT_EQ(xml::parse(object(four, "node2-cluster_ip-1-prefers-node2")->xml).get("score"), "4000");
}

TEST(ClusterLayout, GrowsLinearlyWithTheNodes) {
    // Objects per node and bytes per node stay the same from 8 to 64 nodes.
    std::map<int, std::size_t> objects, bytes, constraints;
    for (const int n : {8, 16, 32, 64}) {
        std::string text = "HA_NAME=\"demo\"\nHA_CLUSTER_NODES=\"";
        for (int i = 1; i <= n; ++i) text += (i > 1 ? "," : "") + std::string("node") + std::to_string(i);
        text += "\"\n";
        for (int i = 1; i <= n; ++i)
            text += "VIP_node" + std::to_string(i) + "=\"10.0." + std::to_string(i / 200) + "." +
                    std::to_string(i % 200 + 1) + "\"\n";
        const Layout l = layout_of(text);
        objects[n] = l.objects.size();
        bytes[n] = render_configuration(l).size();
        for (const auto& o : l.objects) constraints[n] += o.section == "constraints";
    }
    for (const int n : {16, 32, 64}) {
        EXPECT_EQ(objects[n] - objects[8], static_cast<std::size_t>(n - 8) * (objects[16] - objects[8]) / 8) << n;
        EXPECT_EQ(constraints[n] - constraints[8], static_cast<std::size_t>(n - 8) * (constraints[16] - constraints[8]) / 8);
        // Bytes: linear up to the lengths of the numbers in names and addresses.
        const double per_node = static_cast<double>(bytes[n] - bytes[8]) / (n - 8);
        EXPECT_LT(per_node, 4000) << n;
        EXPECT_GT(per_node, 3000) << n;
    }
    // Per node: VIP, trigger, the window's preferences, one "elsewhere",
    // the colocation and the order.
    EXPECT_EQ((objects[16] - objects[8]) / 8, 2 + (kFallbacks + 1) + 1 + 2);
}

TEST(ClusterLayout, LayoutKeys) {
    std::string text = conf_text(2, "HA_VIP_CIDR_NETMASK=24\nHA_VIP_NIC=eth1\nHA_VOL_MNT=\"/srv/a&b<c\"\n");
    const Config c = parse(text);
    EXPECT_TRUE(c.warnings.empty());  // ganesha-had knows them too: no "unknown key"
    const LayoutOptions& o = c.layout;
    EXPECT_EQ(*o.cidr_netmask, 24);
    EXPECT_EQ(o.nic, "eth1");
    const Layout l = build_layout(c, o);
    const auto vip = xml::parse(object(l, "node1-cluster_ip-1")->xml);
    std::map<std::string, std::string> params;
    for (const auto* p : vip.child("instance_attributes")->children_named("nvpair")) params[p->get("name")] = p->get("value");
    EXPECT_EQ(params["cidr_netmask"], "24");
    EXPECT_EQ(params["nic"], "eth1");
    // Escaped in the XML, exact after parsing.
    const std::string setup = object(l, "nfs_setup-clone")->xml;
    EXPECT_NE(setup.find("/srv/a&amp;b&lt;c"), std::string::npos) << setup;
    EXPECT_EQ(xml::parse(setup).child("primitive")->child("instance_attributes")->child("nvpair")->get("value"),
              "/srv/a&b<c");
}

TEST(ClusterLayout, TheAgentGetsHaGaneshaConfOnlyWhenItIsNotTheDefault) {
    const std::string base = "HA_NAME=c\nHA_CLUSTER_NODES=\"node1,node2\"\nVIP_node1=10.0.0.1\nVIP_node2=10.0.0.2\n";
    Config c = parse(base);
    EXPECT_EQ(c.ganesha_conf, "/etc/ganesha/ganesha.conf");
    EXPECT_EQ(object(build_layout(c, c.layout), "nfs_setup-clone")->xml.find("ganesha_conf"), std::string::npos);
    c = parse(base + "HA_GANESHA_CONF=/srv/ganesha.conf\n");
    EXPECT_NE(object(build_layout(c, c.layout), "nfs_setup-clone")->xml.find(
                  "name=\"ganesha_conf\" value=\"/srv/ganesha.conf\""),
              std::string::npos);
    EXPECT_THROW(parse(base + "HA_GANESHA_CONF=ganesha.conf\n"), ConfigError);
}

TEST(ClusterLayout, NetmaskDefaultsPerFamilyAndIsChecked) {
    const std::string v6 = "HA_NAME=x\nHA_CLUSTER_NODES=\"a,b\"\nVIP_a=10.0.0.1\nVIP_b=fd00::2\n";
    const Layout l = layout_of(v6);
    EXPECT_NE(object(l, "b-cluster_ip-1")->xml.find("value=\"128\""), std::string::npos);
    EXPECT_NE(object(l, "a-cluster_ip-1")->xml.find("value=\"32\""), std::string::npos);
    // The values themselves are checked by parse_config (tests/unit/config_test.cpp).
    EXPECT_THROW(parse(conf_text(2) + "HA_VIP_CIDR_NETMASK=33\n"), ConfigError);
    EXPECT_EQ(*parse(v6 + "HA_VIP_CIDR_NETMASK=24\n").layout.cidr_netmask, 24);
}

// ---- plan_change ---------------------------------------------------------------

xml::Element base_configuration() {
    return xml::parse(
        "<configuration><crm_config><cluster_property_set id=\"cib-bootstrap-options\"/></crm_config>"
        "<nodes><node id=\"1\" uname=\"node1\"/></nodes>"
        "<resources><primitive id=\"other\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/></resources>"
        "<constraints><rsc_location id=\"other-pref\" rsc=\"other\" node=\"node1\" score=\"5\"/></constraints>"
        "</configuration>");
}

TEST(ClusterPlan, SetupIsIdempotentAndTeardownRestores) {
    const Layout l = layout_of(conf_text(3));
    const xml::Element before = base_configuration();
    const Plan first = plan_change(before, &l);
    EXPECT_TRUE(first.changed);
    EXPECT_TRUE(first.conflicts.empty());
    EXPECT_EQ(first.created.size(), l.objects.size());
    const Plan second = plan_change(first.configuration, &l);
    EXPECT_FALSE(second.changed);
    EXPECT_TRUE(second.created.empty() && second.replaced.empty() && second.removed.empty());
    const Plan down = plan_change(first.configuration, nullptr);
    EXPECT_TRUE(down.changed);
    EXPECT_EQ(down.removed.size(), l.objects.size());
    EXPECT_TRUE(xml::equivalent(down.configuration, before)) << xml::to_string(down.configuration);
    // Nothing to tear down twice.
    EXPECT_FALSE(plan_change(down.configuration, nullptr).changed);
}

TEST(ClusterPlan, ChangedLayoutReplacesInPlaceAndRemovesTheRest) {
    const Plan three = plan_change(base_configuration(), &static_cast<const Layout&>(layout_of(conf_text(3))));
    const Layout two = layout_of(conf_text(2));
    const Plan p = plan_change(three.configuration, &two);
    EXPECT_TRUE(p.changed);
    EXPECT_TRUE(std::find(p.removed.begin(), p.removed.end(), "node3-cluster_ip-1") != p.removed.end());
    EXPECT_TRUE(std::find(p.replaced.begin(), p.replaced.end(), "ganesha-ha-options") != p.replaced.end());
    EXPECT_FALSE(plan_change(p.configuration, &two).changed);
    EXPECT_TRUE(xml::equivalent(p.configuration, plan_change(base_configuration(), &two).configuration));
}

TEST(ClusterPlan, ForeignObjectsWithOurIdsAreConflicts) {
    xml::Element conf = base_configuration();
    conf.child("resources")->children.push_back(
        xml::parse("<primitive id=\"node2-trigger_ip-1\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>"));
    const Layout l = layout_of(conf_text(2));
    const Plan p = plan_change(conf, &l);
    ASSERT_EQ(p.conflicts.size(), 1u);
    EXPECT_NE(p.conflicts[0].find("node2-trigger_ip-1"), std::string::npos);
    // A nested id counts too.
    xml::Element conf2 = base_configuration();
    conf2.child("resources")->children.front().children.push_back(
        xml::parse("<meta_attributes id=\"nfs-grace-clone-meta_attributes\"/>"));
    EXPECT_EQ(plan_change(conf2, &l).conflicts.size(), 1u);
}

TEST(ClusterPlan, ReferencesToRemovedObjectsBlockTheRemoval) {
    const Layout l = layout_of(conf_text(3));
    xml::Element conf = plan_change(base_configuration(), &l).configuration;
    conf.child("constraints")->children.push_back(
        xml::parse("<rsc_colocation id=\"mine\" rsc=\"other\" with-rsc=\"node3-cluster_ip-1\" score=\"10\"/>"));
    const Plan down = plan_change(conf, nullptr);
    ASSERT_EQ(down.dangling.size(), 1u);
    EXPECT_NE(down.dangling[0].find("mine"), std::string::npos);
    // Removing node3 alone is blocked too; keeping all three is fine.
    EXPECT_FALSE(plan_change(conf, &static_cast<const Layout&>(layout_of(conf_text(2)))).dangling.empty());
    EXPECT_TRUE(plan_change(conf, &l).dangling.empty());
}

// ---- status ------------------------------------------------------------------------

std::string mon_xml(const std::map<std::string, bool>& online, const std::map<std::string, std::string>& vip_on,
                    const std::map<std::string, std::string>& active) {
    std::string x = "<pacemaker-result><summary><current_dc present=\"true\" name=\"node1\" with_quorum=\"true\"/>"
                    "<cluster_options stonith-enabled=\"false\" no-quorum-policy=\"stop\"/></summary><nodes>";
    for (const auto& [n, o] : online) x += "<node name=\"" + n + "\" online=\"" + (o ? "true" : "false") + "\"/>";
    x += "</nodes><resources>";
    for (const auto& [vip, on] : vip_on) {
        x += "<resource id=\"" + vip + "-cluster_ip-1\" role=\"" + (on.empty() ? "Stopped" : "Started") +
             "\" active=\"" + (on.empty() ? "false" : "true") + "\" failed=\"false\" blocked=\"false\">";
        if (!on.empty()) x += "<node name=\"" + on + "\"/>";
        x += "</resource>";
    }
    x += "</resources><node_attributes>";
    for (const auto& [n, v] : active)
        x += "<node name=\"" + n + "\"><attribute name=\"ganesha-active\" value=\"" + v + "\"/></node>";
    return x + "</node_attributes></pacemaker-result>";
}

TEST(ClusterStatusVerdict, HealthyFailoverBad) {
    const Config c = parse(conf_text(3));
    const std::map<std::string, bool> all_up = {{"node1", true}, {"node2", true}, {"node3", true}};
    const std::map<std::string, std::string> all_active = {{"node1", "1"}, {"node2", "1"}, {"node3", "1"}};
    auto s = evaluate_status(c, xml::parse(mon_xml(all_up, {{"node1", "node1"}, {"node2", "node2"}, {"node3", "node3"}},
                                                   all_active)));
    EXPECT_EQ(s.verdict, "HEALTHY");
    EXPECT_TRUE(s.reasons.empty());
    EXPECT_TRUE(s.nodes[1].online && s.nodes[1].ganesha_healthy());

    // node1 offline, its VIP on node2.
    s = evaluate_status(c, xml::parse(mon_xml({{"node1", false}, {"node2", true}, {"node3", true}},
                                              {{"node1", "node2"}, {"node2", "node2"}, {"node3", "node3"}},
                                              {{"node2", "1"}, {"node3", "1"}})));
    EXPECT_EQ(s.verdict, "FAILOVER");
    ASSERT_EQ(s.reasons.size(), 1u);
    EXPECT_NE(s.reasons[0].find("offline"), std::string::npos) << s.reasons[0];
    EXPECT_FALSE(s.vips[0].at_home());

    // node1's nfsd down (ganesha-active 0) but its VIP still there: no failover.
    s = evaluate_status(c, xml::parse(mon_xml(all_up, {{"node1", "node1"}, {"node2", "node2"}, {"node3", "node3"}},
                                              {{"node1", "0"}, {"node2", "1"}, {"node3", "1"}})));
    EXPECT_EQ(s.verdict, "BAD");
    EXPECT_NE(s.reasons[0].find("not healthy"), std::string::npos) << s.reasons[0];

    // A VIP not running at all.
    s = evaluate_status(c, xml::parse(mon_xml(all_up, {{"node1", ""}, {"node2", "node2"}, {"node3", "node3"}},
                                              all_active)));
    EXPECT_EQ(s.verdict, "BAD");
    EXPECT_NE(s.reasons[0].find("not running"), std::string::npos);

    // No layout at all.
    s = evaluate_status(c, xml::parse(mon_xml(all_up, {}, all_active)));
    EXPECT_EQ(s.verdict, "BAD");
    EXPECT_NE(s.reasons[0].find("setup"), std::string::npos);
}

// ---- ganesha-ha.conf edits ---------------------------------------------------------

TEST(ClusterConfigEdit, AddKeepsEverythingElse) {
    const std::string text = "# comment\nHA_NAME=\"demo\"\n  export HA_CLUSTER_NODES=\"node1,node2\" \n"
                             "VIP_node1=\"10.0.2.1\"\nVIP_node2=\"10.0.2.2\"\n# tail\nHA_GRACE_DELAY=1s\n";
    const Config c = parse(text);
    const std::string out = config_with_node_added(text, c, "node-3.example.com", "10.0.2.3");
    EXPECT_EQ(out, "# comment\nHA_NAME=\"demo\"\n  export HA_CLUSTER_NODES=\"node1,node2,node-3.example.com\"\n"
                   "VIP_node1=\"10.0.2.1\"\nVIP_node2=\"10.0.2.2\"\nVIP_node_3_example_com=\"10.0.2.3\"\n# tail\n"
                   "HA_GRACE_DELAY=1s\n");
    const Config after = parse(out);
    EXPECT_EQ(after.cluster_nodes.size(), 3u);
    EXPECT_EQ(after.vips.at("node-3.example.com"), "10.0.2.3");
}

TEST(ClusterConfigEdit, AddRefusesBadInput) {
    const std::string text = conf_text(2);
    const Config c = parse(text);
    EXPECT_THROW(config_with_node_added(text, c, "node1", "10.0.2.9"), std::invalid_argument);
    EXPECT_THROW(config_with_node_added(text, c, "NODE1", "10.0.2.9"), std::invalid_argument);
    EXPECT_THROW(config_with_node_added(text, c, "n3\"\nHA_NODE=\"x", "10.0.2.9"), std::invalid_argument);
    EXPECT_THROW(config_with_node_added(text, c, "node3", "10.0.2.9\nHA_X=1"), std::invalid_argument);
    EXPECT_THROW(config_with_node_added(text, c, "node3", "not-an-ip"), std::invalid_argument);
    EXPECT_THROW(config_with_node_added(text, c, "node3", "10.0.2.1"), ConfigError);  // VIP already used
}

TEST(ClusterConfigEdit, Delete) {
    const std::string text = conf_text(3);
    const Config c = parse(text);
    const std::string out = config_with_node_deleted(text, c, "node2");
    EXPECT_EQ(out, "HA_NAME=\"demo\"\nHA_CLUSTER_NODES=\"node1,node3\"\nVIP_node1=\"10.0.2.1\"\nVIP_node3=\"10.0.2.3\"\n");
    EXPECT_THROW(config_with_node_deleted(text, c, "node9"), std::invalid_argument);
    const std::string two = conf_text(2);
    try {
        config_with_node_deleted(two, parse(two), "node2");
        ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("insufficient servers"), std::string::npos);
    }
    const std::string mine = conf_text(3, "HA_NODE=node2\n");
    EXPECT_THROW(config_with_node_deleted(mine, parse(mine), "node2"), std::invalid_argument);
    EXPECT_NO_THROW(config_with_node_deleted(mine, parse(mine), "node3"));
}

// ---- the XML reader ------------------------------------------------------------------

TEST(MiniXml, ParsesWhatPacemakerPrints) {
    const auto e = xml::parse(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE x [ <!ENTITY y \"z\"> ]>\n<!-- c -->\n"
        "<a x='1' y=\"&lt;&amp;&quot;&#65;&#x42;\"><b/><!-- inner --><c>t&gt;<![CDATA[<raw>]]></c></a>");
    EXPECT_EQ(e.name, "a");
    EXPECT_EQ(e.get("y"), "<&\"AB");
    EXPECT_EQ(e.child("c")->text, "t><raw>");
    EXPECT_EQ(e.children.size(), 3u);  // b, the comment, c
    EXPECT_TRUE(xml::equivalent(e, xml::parse(xml::to_string(e))));
    EXPECT_TRUE(xml::equivalent(xml::parse("<a x=\"1\" y=\"2\"> <b/> </a>"), xml::parse("<a y=\"2\" x=\"1\"><b/></a>")));
    EXPECT_FALSE(xml::equivalent(xml::parse("<a><b/><c/></a>"), xml::parse("<a><c/><b/></a>")));
    for (const char* bad : {"", "<a>", "<a></b>", "<a x=1/>", "<a/><b/>", "<a x=\"&bogus;\"/>", "text<a/>",
                            "<a x=\"1\" x=\"2\"/>"})
        EXPECT_THROW(xml::parse(bad), xml::ParseError) << bad;
    std::string deep;
    for (int i = 0; i < 600; ++i) deep += "<a>";
    EXPECT_THROW(xml::parse(deep), xml::ParseError);
}

}  // namespace
}  // namespace gha::cluster

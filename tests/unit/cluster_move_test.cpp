// `cluster move`'s CIB change as a pure function, how setup and teardown
// treat a move, and DRAINED in `cluster status` (issue 14). crm_simulate
// checks what Pacemaker makes of it: tests/integration/cluster_layout_test.cpp.
#include <gtest/gtest.h>

#include "ctl/cluster_command.hpp"
#include "ctl/xml_tree.hpp"
#include "tests/support/any_node_config.hpp"
#include "service/vip_taker.hpp"

namespace gha::cluster {
namespace {

const char* const kConf = "HA_NAME=demo\nHA_CLUSTER_NODES=\"node1,node2,node3\"\n"
                          "VIP_node1=10.0.2.1\nVIP_node2=10.0.2.2\nVIP_node3=10.0.2.3\n";

pugi::xml_document configuration() {
    return xml::parse(
        "<configuration><crm_config/>"
        "<nodes><node id=\"1\" uname=\"node1\"/><node id=\"2\" uname=\"node2\"/>"
        "<node id=\"3\" uname=\"node3\"><instance_attributes id=\"nodes-3\">"
        "<nvpair id=\"nodes-3-ganesha-drained\" name=\"ganesha-drained\" value=\"1\"/></instance_attributes></node>"
        "</nodes><resources/><constraints/></configuration>");
}

// node -> value of `name` in the planned <nodes>.
std::map<std::string, std::string> attribute_values(pugi::xml_node conf, const std::string& name) {
    std::map<std::string, std::string> out;
    for (const pugi::xml_node node : xml::element_of(conf).child("nodes").children("node"))
        for (const pugi::xml_node pair : node.child("instance_attributes").children("nvpair"))
            if (xml::get(pair, "name") == name) out[xml::get(node, "uname")] = xml::get(pair, "value");
    return out;
}

std::vector<std::string> moves(pugi::xml_node conf) {
    std::vector<std::string> out;
    for (const pugi::xml_node c : xml::element_of(conf).child("constraints").children("rsc_location"))
        if (xml::get(c, "id").starts_with(kMoveConstraintPrefix))
            out.push_back(xml::get(c, "id") + " " + xml::get(c, "rsc") + " " + xml::get(c, "node") + " " +
                          xml::get(c, "score"));
    return out;
}

TEST(ClusterMovePlan, TheRequestAndThePullInOneChange) {
    const Plan p = plan_move(configuration(), "node1", std::string("node2"));
    EXPECT_TRUE(p.changed);
    EXPECT_EQ(moves(p.configuration), (std::vector<std::string>{"ganesha-ha-move-node1 node1-cluster_ip-1 node2 INFINITY"}));
    EXPECT_EQ(attribute_values(p.configuration, "ganesha-take-node1"),
              (std::map<std::string, std::string>{{"node2", "requested"}}));
    // The same again: nothing changes.
    EXPECT_FALSE(plan_move(p.configuration, "node1", std::string("node2")).changed);
}

TEST(ClusterMovePlan, AnotherTargetReplacesTheMoveAndHomeEndsIt) {
    const Plan to2 = plan_move(configuration(), "node1", std::string("node2"));
    const Plan to3 = plan_move(to2.configuration, "node1", std::string("node3"));
    EXPECT_EQ(moves(to3.configuration), (std::vector<std::string>{"ganesha-ha-move-node1 node1-cluster_ip-1 node3 INFINITY"}));
    EXPECT_EQ(attribute_values(to3.configuration, "ganesha-take-node1"),
              (std::map<std::string, std::string>{{"node3", "requested"}}));
    EXPECT_EQ(attribute_values(to3.configuration, "ganesha-drained").size(), 1u);  // the rest stays
    const Plan home = plan_move(to3.configuration, "node1", std::nullopt);
    EXPECT_TRUE(moves(home.configuration).empty());
    EXPECT_TRUE(attribute_values(home.configuration, "ganesha-take-node1").empty());
    EXPECT_TRUE(xml::equivalent(home.configuration, configuration()));
    EXPECT_FALSE(plan_move(configuration(), "node1", std::nullopt).changed);
}

TEST(ClusterMovePlan, ATargetThatNeverJoinedIsRefused) {
    EXPECT_THROW(plan_move(configuration(), "node1", std::string("node9")), std::invalid_argument);
}

TEST(ClusterMovePlan, SetupRebalancesAndTeardownRemovesTheMove) {
    const Config c = test::parse_any_node_config(kConf);
    const Layout layout = build_layout(c, c.layout);
    const Plan set_up = plan_change(configuration(), &layout);
    const Plan moved = plan_move(set_up.configuration, "node1", std::string("node2"));
    const Plan again = plan_change(moved.configuration, &layout);
    EXPECT_TRUE(again.changed);
    EXPECT_TRUE(moves(again.configuration).empty());
    EXPECT_TRUE(attribute_values(again.configuration, "ganesha-take-node1").empty());
    EXPECT_EQ(attribute_values(again.configuration, "ganesha-drained").size(), 1u);  // a drain is no move
    EXPECT_TRUE(again.dangling.empty());
    const Plan down = plan_change(moved.configuration, nullptr);
    EXPECT_TRUE(down.dangling.empty());
    EXPECT_TRUE(moves(down.configuration).empty());
}

TEST(ClusterStatusDrain, DrainedNodesAreShownAndNamedAsWhyTheirVipIsAway) {
    const Config c = test::parse_any_node_config(kConf);
    const std::string mon =
        "<pacemaker-result><summary><current_dc present=\"true\" name=\"node1\" with_quorum=\"true\"/></summary>"
        "<nodes><node name=\"node1\" online=\"true\"/><node name=\"node2\" online=\"true\"/>"
        "<node name=\"node3\" online=\"true\"/></nodes><resources>"
        "<resource id=\"node1-cluster_ip-1\" role=\"Started\" active=\"true\"><node name=\"node1\"/></resource>"
        "<resource id=\"node2-cluster_ip-1\" role=\"Started\" active=\"true\"><node name=\"node2\"/></resource>"
        "<resource id=\"node3-cluster_ip-1\" role=\"Started\" active=\"true\"><node name=\"node1\"/></resource>"
        "</resources><node_attributes>"
        "<node name=\"node1\"><attribute name=\"ganesha-active\" value=\"1\"/></node>"
        "<node name=\"node2\"><attribute name=\"ganesha-active\" value=\"1\"/></node>"
        "<node name=\"node3\"><attribute name=\"ganesha-drained\" value=\"1\"/></node>"
        "</node_attributes></pacemaker-result>";
    const ClusterStatus s = evaluate_status(c, xml::parse(mon));
    EXPECT_FALSE(s.nodes[0].drained);
    EXPECT_TRUE(s.nodes[2].drained);
    EXPECT_EQ(s.verdict, "FAILOVER");
    ASSERT_EQ(s.reasons.size(), 1u);
    EXPECT_NE(s.reasons[0].find("(node3: DRAINED)"), std::string::npos) << s.reasons[0];
    const std::string text = format_cluster_status(s, c);
    EXPECT_NE(text.find("1 DRAINED (node3)"), std::string::npos) << text;
    EXPECT_NE(text.find("online DRAINED"), std::string::npos) << text;
    // A drain clears ganesha-active: the drained node's nfsd is not called
    // down (seen in the lab: "nfsd down on node2" while node2's was healthy).
    EXPECT_NE(text.find("2 with a healthy nfsd, 1 DRAINED"), std::string::npos) << text;
    EXPECT_EQ(text.find("nfsd down on"), std::string::npos) << text;
    EXPECT_NE(text.find("(drained)"), std::string::npos) << text;
}

}  // namespace
}  // namespace gha::cluster

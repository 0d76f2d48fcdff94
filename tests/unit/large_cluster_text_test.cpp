// ganesha-hactl's human output for a 64-node cluster: `peers` (64 peers as a
// node's daemon reports them) and `cluster status` (crm_mon of 64 nodes).
// Readable means: the counts and the names of what is not fine come first,
// every column starts at the same place on every row whatever the lengths of
// names and addresses, and no line grows with the size of the cluster.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "ctl/cluster_command.hpp"
#include "ctl/xml_tree.hpp"
#include "ctl/peers_table.hpp"
#include "tests/support/any_node_config.hpp"

namespace gha {
namespace {

using nlohmann::json;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// Each of the `rows` rows after `header` has a cell starting where each
// header word does.
void expect_aligned(const std::vector<std::string>& lines, std::size_t header, std::size_t rows,
                    const std::vector<std::string>& columns) {
    ASSERT_LT(header + rows, lines.size());
    for (const auto& name : columns) {
        const auto at = lines[header].find(name);
        ASSERT_NE(at, std::string::npos) << name;
        for (std::size_t i = header + 1; i <= header + rows; ++i) {
            ASSERT_GT(lines[i].size(), at) << lines[i];
            EXPECT_NE(lines[i][at], ' ') << name << " in: " << lines[i];
            EXPECT_EQ(lines[i][at - 1], ' ') << name << " in: " << lines[i];
        }
    }
}

std::string peer_name(int k) { return k == 40 ? "nfs-40.storage.example.com" : "node" + std::to_string(k); }

TEST(LargeClusterText, PeersTableOf64Peers) {
    json peers = json::array();
    for (int k = 2; k <= 65; ++k) {
        const bool down = k == 7 || k == 19;
        json p = {{"node", peer_name(k)},
                  {"state", down ? "down" : k == 30 ? "unknown" : "up"},
                  {"why", down ? "silent for 2000 ms" : "heartbeats arriving, its nfsd healthy"},
                  {"nfsd", down ? "down" : "healthy"},
                  {"last_heard", 1764547535.868 + k},
                  {"last_heard_ago_ms", 17 + k},
                  {"incarnation", "0x19ad8f2c9b4a3e17"},
                  {"sequence", 1000 + k},
                  {"grace_held", down ? json::array() : json::array({"node7", "node19"})},
                  {"drops", {{"replay", k == 12 ? 1 : 0}, {"bad-mac", 0}}},
                  {"address", "10.0.1." + std::to_string(k) + ":62049"},
                  {"wrong_source", ""},
                  {"server_scope_fingerprint", "6c1f9a0e3b2d4c58"},
                  {"server_scope_mismatch", k == 50}};
        peers.push_back(p);
    }
    const json a = {{"enabled", true},
                    {"node", "node1"},
                    {"address", "10.0.1.1:62049"},
                    {"incarnation", "0x19ad8f2c9b4a3e00"},
                    {"sequence", 1207},
                    {"settings", {{"interval_ms", 500}, {"rise", 2}, {"fall", 4}, {"detection_bound_ms", 2000}}},
                    {"local", {{"nfsd", "healthy"}, {"grace_held", {"node7", "node19"}}}},
                    {"drops", {{"replay", 1}}},
                    {"server_scope", "prod"},
                    {"server_scope_fingerprint", "6c1f9a0e3b2d4c58"},
                    {"ganesha_conf", "/etc/ganesha/ganesha.conf"},
                    {"peers", peers}};
    const std::string text = ctl::format_peers(a);
    const auto lines = lines_of(text);
    EXPECT_NE(text.find("peers       64: 61 up, 2 down (node7, node19), 1 unknown (node30); server scope DIFFERS (or unknown) on node50\n"),
              std::string::npos)
        << text;
    std::size_t header = 0;
    while (header < lines.size() && lines[header].rfind("PEER", 0) != 0) ++header;
    ASSERT_LT(header, lines.size()) << text;
    EXPECT_EQ(lines.size() - header - 1, 64u);
    expect_aligned(lines, header, 64,
                   {"STATE", "NFSD", "LAST HEARD", "AGO", "INCARNATION", "SEQ", "GRACE HELD", "SCOPE", "DROPS", "ADDRESS"});
    for (const auto& l : lines) EXPECT_LE(l.size(), 200u) << l;
}

std::string crm_mon_of(int n) {
    std::string x = "<pacemaker-result><summary><current_dc present=\"true\" name=\"node1\" with_quorum=\"true\"/>"
                    "<cluster_options stonith-enabled=\"true\" no-quorum-policy=\"stop\"/></summary><nodes>";
    auto name = [](int k) { return k == 40 ? std::string("nfs-40.storage.example.com") : "node" + std::to_string(k); };
    for (int k = 1; k <= n; ++k)
        x += "<node name=\"" + name(k) + "\" online=\"" + (k == 7 ? "false" : "true") + "\"/>";
    x += "</nodes><resources>";
    for (int k = 1; k <= n; ++k) {
        const std::string on = k == 7 ? "node8" : k == 9 ? "node10" : name(k);
        x += "<resource id=\"" + (k == 40 ? name(k) : "node" + std::to_string(k)) +
             "-cluster_ip-1\" role=\"Started\" active=\"true\" failed=\"false\" blocked=\"false\"><node name=\"" + on +
             "\"/></resource>";
    }
    x += "</resources><node_attributes>";
    for (int k = 1; k <= n; ++k)
        if (k != 7)
            x += "<node name=\"" + name(k) + "\"><attribute name=\"ganesha-active\" value=\"" + (k == 9 ? "0" : "1") +
                 "\"/><attribute name=\"grace-active\" value=\"1\"/>" +
                 // The takers of node7's and node9's VIPs declared grace for them (issue 11).
                 (k == 8 ? "<attribute name=\"grace-for-node7\" value=\"1\"/>" : "") +
                 (k == 10 ? "<attribute name=\"grace-for-node9\" value=\"1\"/>" : "") + "</node>";
    return x + "</node_attributes></pacemaker-result>";
}

TEST(LargeClusterText, ClusterStatusOf64Nodes) {
    std::string text = "HA_NAME=\"big\"\nHA_CLUSTER_NODES=\"";
    for (int k = 1; k <= 64; ++k) text += (k > 1 ? "," : "") + peer_name(k == 1 ? 1 : k);
    text += "\"\n";
    for (int k = 1; k <= 64; ++k) {
        std::string key = peer_name(k);
        for (auto& c : key)
            if (c == '-' || c == '.') c = '_';
        text += "VIP_" + key + "=\"10.0.2." + std::to_string(k) + "\"\n";
    }
    const Config config = test::parse_any_node_config(text);
    const cluster::ClusterStatus s = cluster::evaluate_status(config, xml::parse(crm_mon_of(64)));
    EXPECT_EQ(s.verdict, "FAILOVER");
    const std::string out = cluster::format_cluster_status(s, config);
    const auto lines = lines_of(out);
    EXPECT_EQ(lines[1], "nodes: 64, 63 online (offline: node7), 62 with a healthy nfsd (nfsd down on node9)") << out;
    EXPECT_EQ(lines[2], "VIPs: 64, 62 at home, 2 elsewhere (node7's, node9's), 0 not running") << out;
    ASSERT_EQ(lines[3].rfind("NODE", 0), 0u) << out;
    expect_aligned(lines, 3, 64, {"STATE", "NFSD", "GRACE", "VIP", "RUNS ON", "IN GRACE FOR IT"});
    const std::string node7 = lines[4 + 6], node9 = lines[4 + 8];
    EXPECT_EQ(node7.rfind("node7 ", 0), 0u) << node7;
    EXPECT_EQ(node7.substr(node7.size() - 5), "node8") << node7;
    EXPECT_EQ(node9.substr(node9.size() - 6), "node10") << node9;
    EXPECT_EQ(s.vips[6].ready_on, std::vector<std::string>{"node8"});
    EXPECT_EQ(lines[4 + 64], "verdict: FAILOVER");
    for (const auto& l : lines) EXPECT_LE(l.size(), 120u) << l;
}

}  // namespace
}  // namespace gha

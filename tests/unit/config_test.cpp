#include "service/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace gha {
namespace {

using namespace std::chrono_literals;

// Two nodes with VIPs: the smallest valid file, used as a base for the
// single-problem tests below.
constexpr const char* kMinimal =
    "HA_NAME=demo\n"                  // 1
    "HA_CLUSTER_NODES=\"n1,n2\"\n"    // 2
    "VIP_n1=10.0.0.1\n"               // 3
    "VIP_n2=10.0.0.2\n";              // 4

ConfigOverrides as_node(const std::string& node) {
    ConfigOverrides o;
    o.node = node;
    return o;
}

Config parse(const std::string& text, const ConfigOverrides& o = as_node("n1")) {
    return parse_config(text, "test.conf", o);
}

// Parses text expecting a ConfigError; returns it for further checks.
ConfigError parse_error(const std::string& text, const ConfigOverrides& o = as_node("n1")) {
    try {
        parse(text, o);
    } catch (const ConfigError& e) {
        return e;
    }
    ADD_FAILURE() << "no error for:\n" << text;
    return ConfigError("none", 0, "none");
}

#define EXPECT_CONFIG_ERROR(text, expected_line, needle)                        \
    do {                                                                        \
        const ConfigError e_ = parse_error(text);                               \
        EXPECT_EQ(e_.line(), expected_line) << e_.what();                       \
        EXPECT_NE(std::string(e_.what()).find(needle), std::string::npos)       \
            << "'" << e_.what() << "' does not contain '" << (needle) << "'";   \
        EXPECT_EQ(e_.file(), "test.conf");                                      \
    } while (0)

TEST(Config, GlusterFsExample) {
    const std::string text =
        "# Name of the HA cluster created.\n"
        "# must be unique within the subnet\n"
        "HA_NAME=\"ganesha-ha-360\"\n"
        "#\n"
        "# N.B. you may use short names or long names; you may not use IP addrs.\n"
        "# Once you select one, stay with it as it will be mildly unpleasant to\n"
        "# clean up if you switch later on. Ensure that all names - short and/or\n"
        "# long - are in DNS or /etc/hosts on all machines in the cluster.\n"
        "#\n"
        "# The subset of nodes of the Gluster Trusted Pool that form the ganesha\n"
        "# HA cluster. Hostname is specified.\n"
        "HA_CLUSTER_NODES=\"node-1.example.com, node-2.example.com,node3\"\n"
        "#\n"
        "# Virtual IPs for each of the nodes specified above.\n"
        "VIP_node_1_example_com=\"10.0.2.1\"\n"
        "VIP_node_2_example_com='10.0.2.2'   # trailing comment\n"
        "   VIP_node3=fd00::3 # unquoted, indented\n"
        "\n"
        "HA_VOL_SERVER=\"server1\"\n"
        "export HA_CONTROL_GROUP=gluster\n";
    const Config c = parse_config(text, "/etc/ganesha/ganesha-ha.conf",
                                  as_node("node-2.example.com"));
    EXPECT_EQ(c.source, "/etc/ganesha/ganesha-ha.conf");
    EXPECT_EQ(c.ha_name, "ganesha-ha-360");
    EXPECT_EQ(c.cluster_nodes,
              (std::vector<std::string>{"node-1.example.com", "node-2.example.com", "node3"}));
    EXPECT_EQ(c.vips, (std::map<std::string, std::string>{
                          {"node-1.example.com", "10.0.2.1"},
                          {"node-2.example.com", "10.0.2.2"},
                          {"node3", "fd00::3"}}));
    EXPECT_EQ(c.node, "node-2.example.com");
    EXPECT_EQ(c.control_group, "gluster");
    EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
    // Extension keys keep their defaults.
    EXPECT_EQ(c.control_socket, "/run/ganesha-ha/hactl.sock");
    EXPECT_EQ(c.nfsd_pidfile, "");
    EXPECT_EQ(c.nfsd_comm, "ganesha.nfsd");
    EXPECT_EQ(c.nfsd_address, (Endpoint{"127.0.0.1", 2049}));
    EXPECT_EQ(c.dbus_name, "org.ganesha.nfsd");
    EXPECT_EQ(c.event_log_size, 1000u);
}

TEST(Config, NodeKey) {
    EXPECT_EQ(node_key("node-1.example.com"), "node_1_example_com");
    EXPECT_EQ(node_key("n1"), "n1");
    EXPECT_EQ(node_key(""), "");
}

TEST(Config, ValueSyntax) {
    const Config c = parse(
        "HA_NAME=demo\r\n"  // CRLF
        "  HA_CLUSTER_NODES = n1,n2   \n"
        "VIP_n1=\"10.0.0.1\" # comment after the quote\n"
        "VIP_n2='10.0.0.2'\n"
        "HA_CONTROL_GROUP=\"a # b\"\n"
        "\t# indented comment\n"
        "HA_NFSD_PIDFILE=\n"
        "\n"
        "   \n");
    EXPECT_EQ(c.ha_name, "demo");
    EXPECT_EQ(c.cluster_nodes, (std::vector<std::string>{"n1", "n2"}));
    EXPECT_EQ(c.control_group, "a # b");
    EXPECT_EQ(c.vips.at("n1"), "10.0.0.1");
    EXPECT_EQ(c.vips.at("n2"), "10.0.0.2");
    EXPECT_EQ(c.nfsd_pidfile, "");
}

TEST(Config, HashInsideUnquotedWordIsKept) {
    const Config c = parse(std::string(kMinimal) + "HA_CONTROL_GROUP=a#b #c\n");
    EXPECT_EQ(c.control_group, "a#b");
}

TEST(Config, EmptyUnquotedValueWithComment) {
    const Config c = parse(std::string(kMinimal) + "HA_CONTROL_GROUP= # none\n");
    EXPECT_EQ(c.control_group, "");
}

TEST(Config, ErrorFormat) {
    EXPECT_STREQ(ConfigError("f.conf", 3, "bad").what(), "f.conf:3: bad");
    EXPECT_STREQ(ConfigError("f.conf", 0, "bad").what(), "f.conf: bad");
    const ConfigError e("f.conf", 3, "bad");
    EXPECT_EQ(e.file(), "f.conf");
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.message(), "bad");
}

// --- syntax -----------------------------------------------------------------

TEST(ConfigSyntax, UnterminatedQuote) {
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_CONTROL_GROUP=\"abc\n", 5,
                        "HA_CONTROL_GROUP: unterminated \" quote in value '\"abc'");
    EXPECT_CONFIG_ERROR("HA_NAME='demo\n", 1, "'demo");
}

TEST(ConfigSyntax, TextAfterClosingQuote) {
    EXPECT_CONFIG_ERROR("HA_NAME=\"demo\"x\n", 1, "unexpected text 'x'");
}

TEST(ConfigSyntax, LineWithoutEquals) {
    EXPECT_CONFIG_ERROR("HA_NAME=demo\n\nHA_CLUSTER_NODES\n", 3,
                        "expected KEY=value, got 'HA_CLUSTER_NODES'");
}

TEST(ConfigSyntax, InvalidKey) {
    EXPECT_CONFIG_ERROR("HA-NAME=demo\n", 1, "invalid key name 'HA-NAME'");
    EXPECT_CONFIG_ERROR("# c\n1X=demo\n", 2, "invalid key name '1X'");
    EXPECT_CONFIG_ERROR("=demo\n", 1, "invalid key name ''");
}

TEST(ConfigSyntax, DuplicateKey) {
    EXPECT_CONFIG_ERROR("# c\n\nHA_NAME=a\nHA_CLUSTER_NODES=n1\nHA_NAME=b\n", 5,
                        "HA_NAME set again (first at line 3)");
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "VIP_n1=10.0.0.9\n", 5,
                        "VIP_n1 set again (first at line 3)");
}

TEST(ConfigSyntax, ExportPrefix) {
    const Config c = parse("export HA_NAME=demo\nexport\tHA_CLUSTER_NODES=n1\nVIP_n1=1.2.3.4\n");
    EXPECT_EQ(c.ha_name, "demo");
    EXPECT_CONFIG_ERROR("export\n", 1, "expected KEY=value, got 'export'");
}

TEST(ConfigSyntax, LongLine) {
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CONTROL_GROUP=" + std::string(5000, 'g') + "\n", 2,
                        "longer than 4096");
    // Exactly 4096 characters is fine.
    const std::string line = "HA_CONTROL_GROUP=" + std::string(4096 - 17, 'g');
    ASSERT_EQ(line.size(), 4096u);
    EXPECT_EQ(parse(std::string(kMinimal) + line + "\n").control_group.size(), 4096u - 17);
}

TEST(ConfigSyntax, NulByte) {
    std::string text = std::string(kMinimal) + "HA_CONTROL_GROUP=a";
    text += '\0';
    text += "b\n";
    EXPECT_CONFIG_ERROR(text, 5, "NUL byte");
    // The offending value is shown escaped.
    EXPECT_CONFIG_ERROR(text, 5, "a\\x00b");
}

TEST(ConfigSyntax, TooLarge) {
    const std::string text(1024 * 1024 + 1, '#');
    EXPECT_CONFIG_ERROR(text, 0, "larger than 1048576 bytes");
}

// --- required keys ------------------------------------------------------------

TEST(ConfigRequired, HaNameMissing) {
    EXPECT_CONFIG_ERROR("HA_CLUSTER_NODES=n1\nVIP_n1=1.2.3.4\n", 0, "HA_NAME is not set");
    const ConfigError e = parse_error("HA_CLUSTER_NODES=n1\nVIP_n1=1.2.3.4\n");
    EXPECT_STREQ(e.what(), "test.conf: HA_NAME is not set");
}

TEST(ConfigRequired, ClusterNodesMissing) {
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nVIP_n1=1.2.3.4\n", 0, "HA_CLUSTER_NODES is not set");
}

TEST(ConfigRequired, HaNameInvalid) {
    EXPECT_CONFIG_ERROR("HA_NAME=\"\"\n", 1, "HA_NAME: ''");
    EXPECT_CONFIG_ERROR("HA_NAME=a-very-long-name-x\n", 1, "HA_NAME: 'a-very-long-name-x'");
    EXPECT_CONFIG_ERROR("HA_NAME=\"bad name\"\n", 1, "HA_NAME: 'bad name'");
    EXPECT_EQ(parse("HA_NAME=aB_c-9\nHA_CLUSTER_NODES=n1\nVIP_n1=1.1.1.1\n").ha_name,
              "aB_c-9");
}

TEST(ConfigRequired, HaNameFifteenCharacters) {
    EXPECT_EQ(parse("HA_NAME=abcdefghijklmno\nHA_CLUSTER_NODES=n1\nVIP_n1=1.1.1.1\n").ha_name,
              "abcdefghijklmno");
    EXPECT_CONFIG_ERROR("HA_NAME=abcdefghijklmnop\n", 1, "'abcdefghijklmnop'");
}

// --- nodes and VIPs ---------------------------------------------------------

TEST(ConfigNodes, EmptyItem) {
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1,,n2\"\n", 2,
                        "HA_CLUSTER_NODES: empty node name in 'n1,,n2'");
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1,\"\n", 2, "empty node name");
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\n", 2, "HA_CLUSTER_NODES: no nodes");
}

TEST(ConfigNodes, InvalidHostName) {
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1,bad_name\"\n", 2,
                        "HA_CLUSTER_NODES: 'bad_name' is not a valid host name");
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1,a..b\"\n", 2, "'a..b'");
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"-n1\"\n", 2, "'-n1'");
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"" + std::string(254, 'a') + "\"\n", 2,
                        "is not a valid host name");
}

TEST(ConfigNodes, Duplicate) {
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1, n2, n1\"\n", 2,
                        "node 'n1' is listed twice");
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1,N1\"\n", 2, "'N1' is listed twice");
}

TEST(ConfigNodes, SameVipKey) {
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"a-b,a.b\"\n", 2,
                        "nodes 'a-b' and 'a.b' would share VIP_a_b");
}

TEST(ConfigNodes, MissingVip) {
    EXPECT_CONFIG_ERROR("HA_NAME=demo\n#\nHA_CLUSTER_NODES=\"n1,n2\"\nVIP_n1=10.0.0.1\n", 3,
                        "node 'n2' in HA_CLUSTER_NODES has no VIP_n2");
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1,node-2.example.com\"\n"
                        "VIP_n1=10.0.0.1\n",
                        2, "has no VIP_node_2_example_com");
}

TEST(ConfigNodes, MalformedVip) {
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1,n2\"\nVIP_n1=10.0.0.300\n"
                        "VIP_n2=10.0.0.2\n",
                        3, "VIP_n1: '10.0.0.300' is not an IPv4 or IPv6 address");
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1\"\nVIP_n1=\n", 3, "VIP_n1: ''");
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1\"\nVIP_n1=10.0.0.1/24\n", 3,
                        "'10.0.0.1/24'");
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1\"\nVIP_n1=fd00::1::2\n", 3,
                        "'fd00::1::2'");
}

TEST(ConfigNodes, DuplicateVip) {
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1,n2\"\nVIP_n1=10.0.0.1\n"
                        "# c\nVIP_n2=10.0.0.1\n",
                        5, "VIP_n2: address 10.0.0.1 already used by VIP_n1");
    // Different spellings of one IPv6 address are the same VIP.
    EXPECT_CONFIG_ERROR("HA_NAME=demo\nHA_CLUSTER_NODES=\"n1,n2\"\nVIP_n2=fd00::1\n"
                        "VIP_n1=fd00:0::0001\n",
                        4, "VIP_n1: address fd00:0::0001 already used by VIP_n2");
}

TEST(ConfigNodes, VipBeforeNodes) {
    const Config c = parse("VIP_n1=10.0.0.1\nHA_NAME=demo\nHA_CLUSTER_NODES=n1\n");
    EXPECT_EQ(c.vips.at("n1"), "10.0.0.1");
}

TEST(ConfigNodes, ThisNodeNotInCluster) {
    // From the override: reported at HA_CLUSTER_NODES.
    {
        const ConfigError e = parse_error(kMinimal, as_node("x"));
        EXPECT_EQ(e.line(), 2);
        EXPECT_EQ(e.message(),
                  "this node 'x' is not in HA_CLUSTER_NODES (set HA_NODE or --node)");
    }
    // From HA_NODE: reported there.
    {
        const ConfigError e = parse_error(std::string(kMinimal) + "HA_NODE=other\n", {});
        EXPECT_EQ(e.line(), 5);
        EXPECT_NE(std::string(e.what()).find("'other'"), std::string::npos) << e.what();
    }
}

TEST(ConfigNodes, HaNodeInvalid) {
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_NODE=\"bad node\"\n", 5,
                        "HA_NODE: 'bad node' is not a valid host name");
}

TEST(ConfigNodes, HostNameDefault) {
    char buf[256] = {};
    ASSERT_EQ(gethostname(buf, sizeof buf - 1), 0);
    std::string host(buf);
    host = host.substr(0, host.find('.'));
    const std::string text = "HA_NAME=demo\nHA_CLUSTER_NODES=\"other," + host +
                             "\"\nVIP_other=10.0.0.1\nVIP_" + node_key(host) + "=10.0.0.2\n";
    EXPECT_EQ(parse(text, {}).node, host);
    // The short host name also finds its FQDN in the list.
    const std::string fqdn = host + ".example.com";
    const std::string text2 = "HA_NAME=demo\nHA_CLUSTER_NODES=\"other," + fqdn +
                              "\"\nVIP_other=10.0.0.1\nVIP_" + node_key(fqdn) + "=10.0.0.2\n";
    EXPECT_EQ(parse(text2, {}).node, fqdn);
    // Without a match the error names the host name.
    const ConfigError e = parse_error("HA_NAME=demo\nHA_CLUSTER_NODES=\"zz-not-me\"\n"
                                      "VIP_zz_not_me=10.0.0.1\n",
                                      {});
    EXPECT_EQ(e.line(), 2);
    EXPECT_NE(std::string(e.what()).find("'" + host + "'"), std::string::npos) << e.what();
}

// --- overrides ----------------------------------------------------------------

TEST(ConfigOverride, NodeAndSocketWin) {
    const std::string text = std::string(kMinimal) +
                             "HA_NODE=n1\n"
                             "HA_CONTROL_SOCKET=/run/file.sock\n";
    EXPECT_EQ(parse(text, {}).node, "n1");
    EXPECT_EQ(parse(text, {}).control_socket, "/run/file.sock");
    ConfigOverrides o;
    o.node = "n2";
    o.control_socket = "/tmp/cli.sock";
    const Config c = parse(text, o);
    EXPECT_EQ(c.node, "n2");
    EXPECT_EQ(c.control_socket, "/tmp/cli.sock");
}

TEST(ConfigOverride, InvalidSocketOverride) {
    ConfigOverrides o;
    o.node = "n1";
    o.control_socket = "relative.sock";
    const ConfigError e = parse_error(kMinimal, o);
    EXPECT_EQ(e.line(), 0);
    EXPECT_NE(std::string(e.what()).find("--socket: 'relative.sock'"), std::string::npos)
        << e.what();
}

// --- extension keys -------------------------------------------------------------

TEST(ConfigExtensions, AllSet) {
    const Config c = parse(std::string(kMinimal) +
                           "HA_CONTROL_SOCKET=/run/gha.sock\n"
                           "HA_CONTROL_GROUP=wheel\n"
                           "HA_NFSD_PIDFILE=/run/ganesha.pid\n"
                           "HA_NFSD_COMM=ganesha\n"
                           "HA_NFSD_ADDRESS=[::1]:20490\n"
                           "HA_DBUS_NAME=org.example.nfs-d_2\n"
                           "HA_EVENT_LOG_SIZE=16\n");
    EXPECT_EQ(c.control_socket, "/run/gha.sock");
    EXPECT_EQ(c.control_group, "wheel");
    EXPECT_EQ(c.nfsd_pidfile, "/run/ganesha.pid");
    EXPECT_EQ(c.nfsd_comm, "ganesha");
    EXPECT_EQ(c.nfsd_address, (Endpoint{"::1", 20490}));
    EXPECT_EQ(c.dbus_name, "org.example.nfs-d_2");
    EXPECT_EQ(c.event_log_size, 16u);
}

TEST(ConfigExtensions, ControlSocket) {
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_CONTROL_SOCKET=run/x.sock\n", 5,
                        "HA_CONTROL_SOCKET: 'run/x.sock' is not an absolute path");
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_CONTROL_SOCKET=/" + std::string(120, 'x') +
                            "\n",
                        5, "HA_CONTROL_SOCKET: '/xxx");
}

TEST(ConfigExtensions, Pidfile) {
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_NFSD_PIDFILE=ganesha.pid\n", 5,
                        "HA_NFSD_PIDFILE: 'ganesha.pid' is not an absolute path");
}

TEST(ConfigExtensions, Comm) {
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_NFSD_COMM=\"\"\n", 5, "HA_NFSD_COMM: ''");
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_NFSD_COMM=abcdefghijklmnop\n", 5,
                        "HA_NFSD_COMM: 'abcdefghijklmnop'");
    EXPECT_EQ(parse(std::string(kMinimal) + "HA_NFSD_COMM=abcdefghijklmno\n").nfsd_comm,
              "abcdefghijklmno");
}

TEST(ConfigExtensions, NfsdAddress) {
    EXPECT_EQ(parse(std::string(kMinimal) + "HA_NFSD_ADDRESS=10.1.2.3:1\n").nfsd_address,
              (Endpoint{"10.1.2.3", 1}));
    EXPECT_EQ(parse(std::string(kMinimal) + "HA_NFSD_ADDRESS=10.1.2.3:65535\n").nfsd_address,
              (Endpoint{"10.1.2.3", 65535}));
    for (const char* bad : {"10.1.2.3", "10.1.2.3:", "10.1.2.3:0", "10.1.2.3:65536",
                            "10.1.2.3:-1", "10.1.2.3:+1", "10.1.2.3:99999999999999999999",
                            "::1:2049", "[::1]", "[::1]2049", "[10.0.0.1]:2049",
                            "[::1:2049", "host:2049", "10.1.2.3:20x", ""}) {
        SCOPED_TRACE(bad);
        EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_NFSD_ADDRESS=\"" + bad + "\"\n", 5,
                            "HA_NFSD_ADDRESS: '" + std::string(bad) + "'");
    }
}

TEST(ConfigExtensions, DbusName) {
    for (const char* bad : {"org", "org.", ".org.x", "org..x", "org.1x", "org.a b",
                            ":1.42", "org.a/b"}) {
        SCOPED_TRACE(bad);
        EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_DBUS_NAME=\"" + bad + "\"\n", 5,
                            "HA_DBUS_NAME: '" + std::string(bad) + "'");
    }
    const std::string longest = "a." + std::string(253, 'b');
    EXPECT_EQ(parse(std::string(kMinimal) + "HA_DBUS_NAME=" + longest + "\n").dbus_name,
              longest);
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_DBUS_NAME=" + longest + "b\n", 5,
                        "HA_DBUS_NAME: 'a.bbb");
}

TEST(ConfigExtensions, EventLogSize) {
    EXPECT_EQ(parse(std::string(kMinimal) + "HA_EVENT_LOG_SIZE=100000\n").event_log_size,
              100000u);
    for (const char* bad : {"15", "100001", "-1", "abc", "", "1e3", "16 ", "99999999999999999999"}) {
        SCOPED_TRACE(bad);
        EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_EVENT_LOG_SIZE='" + bad + "'\n", 5,
                            "HA_EVENT_LOG_SIZE: '" + std::string(bad) + "'");
    }
}

TEST(ConfigExtensions, MetricsListenDefaultsToLoopback) {
    const Config c = parse(kMinimal);
    ASSERT_TRUE(c.metrics_listen);
    EXPECT_EQ(*c.metrics_listen, (Endpoint{"127.0.0.1", kDefaultMetricsPort}));
    EXPECT_EQ(kDefaultMetricsPort, 10587);
    EXPECT_TRUE(c.warnings.empty());
}

TEST(ConfigExtensions, MetricsListen) {
    EXPECT_EQ(parse(std::string(kMinimal) + "HA_METRICS_LISTEN=0.0.0.0:9999\n").metrics_listen,
              (Endpoint{"0.0.0.0", 9999}));
    EXPECT_EQ(parse(std::string(kMinimal) + "HA_METRICS_LISTEN=\"[::1]:10587\"\n").metrics_listen,
              (Endpoint{"::1", 10587}));
    EXPECT_FALSE(parse(std::string(kMinimal) + "HA_METRICS_LISTEN=off\n").metrics_listen);
    EXPECT_FALSE(parse(std::string(kMinimal) + "HA_METRICS_LISTEN=\"OFF\"  # no exporter\n").metrics_listen);
    for (const char* bad : {"", "on", "no", "10587", ":10587", "127.0.0.1", "127.0.0.1:0",
                            "127.0.0.1:65536", "localhost:10587", "::1:10587", "[::1]",
                            "127.0.0.1:10587 ", "off "}) {
        SCOPED_TRACE(bad);
        EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_METRICS_LISTEN=\"" + bad + "\"\n", 5,
                            "HA_METRICS_LISTEN: '" + std::string(bad) + "'");
    }
    // ganesha.nfsd's own exporter listens on 9587.
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_METRICS_LISTEN=127.0.0.1:9587\n", 5, "9587");
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_METRICS_LISTEN=off\nHA_METRICS_LISTEN=off\n", 6,
                        "set again");
}

// --- warnings -------------------------------------------------------------------

TEST(ConfigWarnings, UnknownKeys) {
    const Config c = parse(std::string(kMinimal) +
                           "HA_FOO=1\n"
                           "OTHER=2\n"
                           "VIP_n9=10.0.0.9\n"
                           "HA_VOL_SERVER=server1\n");
    EXPECT_EQ(c.warnings, (std::vector<std::string>{
                              "test.conf:5: unknown key HA_FOO ignored",
                              "test.conf:6: unknown key OTHER ignored",
                              "test.conf:7: VIP_n9: no such node in HA_CLUSTER_NODES",
                          }));
    EXPECT_FALSE(c.vips.contains("n9"));
}

TEST(ConfigWarnings, UnknownVipIsNotValidated) {
    const Config c = parse(std::string(kMinimal) + "VIP_old=not-an-address\n");
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_EQ(c.warnings[0], "test.conf:5: VIP_old: no such node in HA_CLUSTER_NODES");
}

// --- monitors ---------------------------------------------------------------------

// Read by `ganesha-hactl cluster` only, but known (and checked) here: no
// "unknown key" warning from ganesha-had, and --check-config names a bad value.
TEST(Config, LayoutKeys) {
    const Config defaults = parse(kMinimal);
    EXPECT_EQ(defaults.layout, LayoutOptions{});
    EXPECT_EQ(defaults.layout.ha_vol_mnt, "/var/run/gluster/shared_storage");
    const Config c = parse(std::string(kMinimal) +
                           "HA_VOL_MNT=\"/run/gluster/shared storage\"\nHA_VIP_NIC=eth0:1\nHA_VIP_CIDR_NETMASK=24\n");
    EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
    EXPECT_EQ(c.layout.ha_vol_mnt, "/run/gluster/shared storage");
    EXPECT_EQ(c.layout.nic, "eth0:1");
    EXPECT_EQ(c.layout.cidr_netmask, 24);
}

TEST(Config, LayoutKeyErrors) {
    const auto error = [](const std::string& line, const std::string& needle) {
        SCOPED_TRACE(line);
        EXPECT_CONFIG_ERROR(std::string(kMinimal) + line + "\n", 5, needle);
    };
    error("HA_VOL_MNT=relative/path", "HA_VOL_MNT: 'relative/path' is not an absolute path");
    error("HA_VOL_MNT=\"\"", "HA_VOL_MNT: '' is not an absolute path");
    error("HA_VIP_NIC=\"eth 0\"", "HA_VIP_NIC: 'eth 0' is not an interface name");
    error("HA_VIP_NIC=averyveryverylongname", "HA_VIP_NIC: 'averyveryverylongname' is not an interface name");
    error("HA_VIP_NIC=..", "HA_VIP_NIC: '..' is not an interface name");
    for (const char* bad : {"0", "129", "x", "24 ", "-1", "2.4"})
        error("HA_VIP_CIDR_NETMASK=\"" + std::string(bad) + "\"",
              "HA_VIP_CIDR_NETMASK: '" + std::string(bad) + "' is not a prefix length");
    // 33..128 fits IPv6 VIPs only; the line is the key's, not the VIP's.
    error("HA_VIP_CIDR_NETMASK=64", "HA_VIP_CIDR_NETMASK: 64 does not fit the IPv4 VIP of n1 (10.0.0.1): 1..32");
}

TEST(ConfigMonitors, Defaults) {
    const Config c = parse(kMinimal);
    ASSERT_EQ(c.monitors.size(), 3u);
    const MonitorSettings& pid = c.monitors.at("pid");
    EXPECT_TRUE(pid.enabled);
    EXPECT_EQ(pid.interval, 1000ms);
    EXPECT_EQ(pid.timeout, 1000ms);
    EXPECT_EQ(pid.jitter, 0ms);
    EXPECT_EQ(pid.rise, 1);
    EXPECT_EQ(pid.fall, 1);
    const MonitorSettings& rpc = c.monitors.at("rpc-null");
    EXPECT_TRUE(rpc.enabled);
    EXPECT_EQ(rpc.interval, 1000ms);
    EXPECT_EQ(rpc.timeout, 1000ms);
    EXPECT_EQ(rpc.jitter, 0ms);
    EXPECT_EQ(rpc.rise, 2);
    EXPECT_EQ(rpc.fall, 2);
    const MonitorSettings& hb = c.monitors.at("dbus-heartbeat");
    EXPECT_TRUE(hb.enabled);
    EXPECT_EQ(hb.interval, 1000ms);  // ganesha's heartbeat period
    EXPECT_EQ(hb.timeout, 500ms);    // how late one may be
    EXPECT_EQ(hb.jitter, 0ms);
    EXPECT_EQ(hb.rise, 1);
    EXPECT_EQ(hb.fall, 3);
}

TEST(ConfigMonitors, DbusHeartbeat) {
    const auto monitor = [](const std::string& options) {
        return parse(std::string(kMinimal) + "HA_MONITOR_DBUS_HEARTBEAT=\"" + options + "\"\n")
            .monitors.at("dbus-heartbeat");
    };
    const MonitorSettings given = monitor("enabled=yes interval=1s fall=3 rise=1");
    EXPECT_EQ(given, parse(kMinimal).monitors.at("dbus-heartbeat"));
    EXPECT_FALSE(monitor("enabled=no").enabled);
    // Unless given, timeout follows the interval: half of it.
    EXPECT_EQ(monitor("interval=2s").timeout, 1000ms);
    EXPECT_EQ(monitor("interval=300ms").timeout, 150ms);
    EXPECT_EQ(monitor("interval=2s timeout=2s").timeout, 2000ms);
    EXPECT_EQ(monitor("interval=1s timeout=200ms fall=5").detection_bound(), 5 * 1000ms + 200ms);
}

TEST(ConfigMonitors, DbusHeartbeatErrors) {
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_MONITOR_DBUS_HEARTBEAT=\"jitter=100ms\"\n", 5,
                        "HA_MONITOR_DBUS_HEARTBEAT: 'jitter' does not apply to dbus-heartbeat");
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_MONITOR_DBUS_HEARTBEAT=\"interval=1s timeout=1500ms\"\n", 5,
                        "HA_MONITOR_DBUS_HEARTBEAT: timeout 1500ms exceeds interval 1000ms");
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_MONITOR_DBUS_HEARTBEAT=\"fall=0\"\n", 5,
                        "HA_MONITOR_DBUS_HEARTBEAT: fall '0'");
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_MONITOR_DBUS_HEARTBEAT=\"enabled=maybe\"\n", 5,
                        "HA_MONITOR_DBUS_HEARTBEAT: enabled: 'maybe' is not yes, no");
}

TEST(ConfigMonitors, AllOptions) {
    const Config c = parse(std::string(kMinimal) +
                           "HA_MONITOR_RPC_NULL=\"interval=2s  timeout=500ms\trise=3 fall=4 "
                           "jitter=100ms enabled=no\"\n");
    const MonitorSettings& rpc = c.monitors.at("rpc-null");
    EXPECT_FALSE(rpc.enabled);
    EXPECT_EQ(rpc.interval, 2000ms);
    EXPECT_EQ(rpc.timeout, 500ms);
    EXPECT_EQ(rpc.jitter, 100ms);
    EXPECT_EQ(rpc.rise, 3);
    EXPECT_EQ(rpc.fall, 4);
    // The other monitor is untouched.
    EXPECT_EQ(c.monitors.at("pid"), parse(kMinimal).monitors.at("pid"));
}

TEST(ConfigMonitors, PartialOptionsKeepDefaults) {
    const Config c = parse(std::string(kMinimal) + "HA_MONITOR_PID=\"fall=3\"\n");
    MonitorSettings expected = parse(kMinimal).monitors.at("pid");
    expected.fall = 3;
    EXPECT_EQ(c.monitors.at("pid"), expected);
    EXPECT_EQ(parse(std::string(kMinimal) + "HA_MONITOR_PID=\"\"\n").monitors,
              parse(kMinimal).monitors);
}

TEST(ConfigMonitors, Booleans) {
    for (const auto& [text, value] : std::vector<std::pair<std::string, bool>>{
             {"yes", true}, {"no", false}, {"true", true}, {"false", false}, {"1", true},
             {"0", false}}) {
        SCOPED_TRACE(text);
        const Config c = parse(std::string(kMinimal) + "HA_MONITOR_PID=enabled=" + text + "\n");
        EXPECT_EQ(c.monitors.at("pid").enabled, value);
    }
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_MONITOR_PID=enabled=maybe\n", 5,
                        "HA_MONITOR_PID: enabled: 'maybe'");
}

TEST(ConfigMonitors, UnknownMonitor) {
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_MONITOR_FOO=\"interval=1s\"\n", 5,
                        "unknown monitor 'FOO'");
}

TEST(ConfigMonitors, UnknownOption) {
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_MONITOR_RPC_NULL=\"interval=1s foo=2\"\n", 5,
                        "HA_MONITOR_RPC_NULL: unknown monitor option 'foo'");
}

TEST(ConfigMonitors, WordWithoutEquals) {
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_MONITOR_PID=\"rise=2 fast\"\n", 5,
                        "HA_MONITOR_PID: 'fast' is not name=value");
}

TEST(ConfigMonitors, OptionTwice) {
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_MONITOR_PID=\"rise=2 rise=3\"\n", 5,
                        "'rise' given twice");
}

TEST(ConfigMonitors, Durations) {
    const auto monitor = [](const std::string& options) {
        return parse(std::string(kMinimal) + "HA_MONITOR_PID=\"" + options + "\"\n")
            .monitors.at("pid");
    };
    EXPECT_EQ(monitor("interval=500ms").interval, 500ms);
    EXPECT_EQ(monitor("interval=2s").interval, 2000ms);
    EXPECT_EQ(monitor("interval=3600s timeout=3600000ms").timeout, 3600000ms);
    EXPECT_EQ(monitor("jitter=0ms").jitter, 0ms);
    EXPECT_EQ(monitor("jitter=1s").jitter, 1000ms);  // equal to the interval
}

TEST(ConfigMonitors, DurationErrors) {
    const auto error = [](const std::string& options, const std::string& needle) {
        SCOPED_TRACE(options);
        EXPECT_CONFIG_ERROR(
            std::string(kMinimal) + "HA_MONITOR_RPC_NULL=\"" + options + "\"\n", 5, needle);
    };
    error("interval=5", "interval '5' needs a unit (ms or s)");
    error("timeout=5m", "timeout '5m' needs a unit (ms or s)");
    error("interval=", "interval '' needs a unit");
    error("interval=0ms", "interval must be positive, got '0ms'");
    error("interval=-1s", "interval must be positive, got '-1s'");
    error("timeout=0s", "timeout must be positive, got '0s'");
    error("jitter=-5ms", "jitter must not be negative, got '-5ms'");
    error("interval=3601s", "interval must be at most 1 hour, got '3601s'");
    error("timeout=3600001ms", "timeout must be at most 1 hour, got '3600001ms'");
    error("interval=1.5s", "interval '1.5s' is not a whole number");
    error("interval=s", "interval 's' is not a whole number");
    error("interval=99999999999999999999ms", "'99999999999999999999ms'");
    error("interval=9223372036854775807s", "'9223372036854775807s' is out of range");
    error("interval=1s jitter=1001ms", "jitter 1001ms exceeds interval 1000ms");
    error("jitter=2s", "jitter 2000ms exceeds interval 1000ms");
}

TEST(ConfigMonitors, Counts) {
    const Config c = parse(std::string(kMinimal) + "HA_MONITOR_PID=\"rise=1 fall=100\"\n");
    EXPECT_EQ(c.monitors.at("pid").rise, 1);
    EXPECT_EQ(c.monitors.at("pid").fall, 100);
    for (const char* bad : {"rise=0", "rise=101", "fall=-1", "fall=x", "rise=", "fall=2.0"}) {
        SCOPED_TRACE(bad);
        const std::string word(bad);
        const auto eq = word.find('=');
        EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_MONITOR_PID=\"" + word + "\"\n", 5,
                            "HA_MONITOR_PID: " + word.substr(0, eq) + " '" +
                                word.substr(eq + 1) + "'");
    }
}

TEST(ConfigMonitors, DetectionBound) {
    MonitorSettings m;
    m.interval = 1000ms;
    m.timeout = 500ms;
    m.jitter = 200ms;
    m.fall = 3;
    EXPECT_EQ(m.detection_bound(), 3 * 1200ms + 500ms);
    // A timeout longer than the period stretches every period.
    m.timeout = 2000ms;
    EXPECT_EQ(m.detection_bound(), 3 * 2000ms + 2000ms);
    // Defaults.
    const Config c = parse(kMinimal);
    EXPECT_EQ(c.monitors.at("pid").detection_bound(), 2000ms);
    EXPECT_EQ(c.monitors.at("rpc-null").detection_bound(), 3000ms);
    EXPECT_EQ(c.monitors.at("dbus-heartbeat").detection_bound(), 3500ms);  // 3 missed seconds + 500 ms late
}

// --- small helpers --------------------------------------------------------------

TEST(ConfigHelpers, EndpointToString) {
    EXPECT_EQ((Endpoint{"127.0.0.1", 2049}).to_string(), "127.0.0.1:2049");
    EXPECT_EQ((Endpoint{"::1", 2049}).to_string(), "[::1]:2049");
    EXPECT_EQ((Endpoint{"fd00::1", 1}).to_string(), "[fd00::1]:1");
}

TEST(ConfigHelpers, DefaultPidfiles) {
    EXPECT_EQ(default_pidfiles(),
              (std::vector<std::string>{"/var/run/ganesha/ganesha.pid", "/var/run/ganesha.pid",
                                        "/var/run/ganesha.nfsd.pid"}));
}

// --- load_config --------------------------------------------------------------

class TempFile {
public:
    explicit TempFile(const std::string& content) {
        char name[] = "/tmp/gha-config-test-XXXXXX";
        const int fd = mkstemp(name);
        if (fd < 0) {
            ADD_FAILURE() << "mkstemp failed";
            return;
        }
        close(fd);
        path_ = name;
        std::ofstream(path_, std::ios::binary) << content;
    }
    ~TempFile() {
        if (!path_.empty()) std::remove(path_.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

TEST(ConfigLoad, MissingFile) {
    const std::string path = "/nonexistent/ganesha-ha.conf";
    try {
        load_config(path, as_node("n1"));
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.line(), 0);
        EXPECT_EQ(e.file(), path);
        EXPECT_STREQ(e.what(), (path + ": cannot read: No such file or directory").c_str());
    }
}

TEST(ConfigLoad, Directory) {
    try {
        load_config("/tmp", as_node("n1"));
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.line(), 0);
        EXPECT_NE(std::string(e.what()).find("cannot read: "), std::string::npos) << e.what();
    }
}

TEST(ConfigLoad, TempFile) {
    const TempFile file(std::string(kMinimal) + "HA_FOO=1\n");
    const Config c = load_config(file.path(), as_node("n2"));
    EXPECT_EQ(c.source, file.path());
    EXPECT_EQ(c.ha_name, "demo");
    EXPECT_EQ(c.node, "n2");
    EXPECT_EQ(c.vips.at("n2"), "10.0.0.2");
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_EQ(c.warnings[0], file.path() + ":5: unknown key HA_FOO ignored");
}

TEST(ConfigLoad, ErrorNamesFileAndLine) {
    const TempFile file("HA_NAME=demo\nHA_NAME=again\n");
    try {
        load_config(file.path(), {});
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     (file.path() + ":2: HA_NAME set again (first at line 1)").c_str());
    }
}

TEST(ConfigLoad, TooLarge) {
    const TempFile file(std::string(1024 * 1024 + 1, '#'));
    try {
        load_config(file.path(), {});
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.line(), 0);
        EXPECT_NE(std::string(e.what()).find("larger than 1048576 bytes"), std::string::npos);
    }
    // Exactly at the limit is accepted as far as size goes.
    const TempFile ok(std::string(kMinimal) + std::string(1024 * 1024 - std::string(kMinimal).size(), '\n'));
    EXPECT_EQ(load_config(ok.path(), as_node("n1")).ha_name, "demo");
}

TEST(ConfigLoad, NulByte) {
    std::string text = kMinimal;
    text += "# x";
    text += '\0';
    text += "\n";
    const TempFile file(text);
    try {
        load_config(file.path(), as_node("n1"));
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.line(), 5);
        EXPECT_NE(std::string(e.what()).find("NUL byte"), std::string::npos);
    }
}

TEST(Config, ActionKeysHaveGlusterFsDefaults) {
    const Config c = parse(kMinimal);
    EXPECT_EQ(c.ganesha_active_attr, "ganesha-active");
    EXPECT_EQ(c.grace_active_attr, "grace-active");
    EXPECT_EQ(c.grace_delay, 5000ms);
    EXPECT_EQ(c.action_timeout, 5000ms);
    EXPECT_EQ(c.action_attempts, 3);
}

TEST(Config, ActionKeysAreReadAndChecked) {
    const Config c = parse(std::string(kMinimal) +
                           "HA_GANESHA_ACTIVE_ATTR=my-active\nHA_GRACE_ACTIVE_ATTR=my_grace\n"
                           "HA_GRACE_DELAY=2s\nHA_ACTION_TIMEOUT=750ms\nHA_ACTION_ATTEMPTS=5\n");
    EXPECT_EQ(c.ganesha_active_attr, "my-active");
    EXPECT_EQ(c.grace_active_attr, "my_grace");
    EXPECT_EQ(c.grace_delay, 2000ms);
    EXPECT_EQ(c.action_timeout, 750ms);
    EXPECT_EQ(c.action_attempts, 5);
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_GRACE_DELAY=5\n", 5, "needs a unit");
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_GRACE_DELAY=90s\n", 5, "'90s' must be from 0ms to 60000ms");
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_ACTION_TIMEOUT=10ms\n", 5, "HA_ACTION_TIMEOUT");
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_ACTION_ATTEMPTS=0\n", 5, "HA_ACTION_ATTEMPTS");
    EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_GANESHA_ACTIVE_ATTR=\"a b\"\n", 5, "not a valid attribute name");
}

// A hung ganesha.nfsd is killed before its VIP moves unless HA_NFSD_FENCE=none;
// the step is bounded like every other action.
TEST(Config, NfsdFenceDefaultsToKillWithTheActionBounds) {
    const Config c = parse(kMinimal);
    EXPECT_EQ(c.fence.mode, FenceMode::kill);
    EXPECT_EQ(c.fence.timeout, 5000ms);
    EXPECT_EQ(c.fence.attempts, 3);
    const Config none = parse(std::string(kMinimal) + "HA_NFSD_FENCE=none\nHA_ACTION_TIMEOUT=750ms\n"
                                                      "HA_ACTION_ATTEMPTS=2\n");
    EXPECT_EQ(none.fence.mode, FenceMode::none);
    EXPECT_EQ(none.fence.timeout, 750ms);
    EXPECT_EQ(none.fence.attempts, 2);
    EXPECT_EQ(parse(std::string(kMinimal) + "HA_NFSD_FENCE=\"kill\"\n").fence.mode, FenceMode::kill);
}

TEST(Config, NfsdFenceRejectsAnythingButKillOrNone) {
    for (const char* bad : {"KILL", "yes", "off", "", "kill none", "sigkill"}) {
        SCOPED_TRACE(bad);
        EXPECT_CONFIG_ERROR(std::string(kMinimal) + "HA_NFSD_FENCE='" + bad + "'\n", 5,
                            "HA_NFSD_FENCE: '" + std::string(bad) + "' must be kill or none");
    }
    const ConfigError e = parse_error(std::string(kMinimal) + "HA_NFSD_FENCE=stonith\n");
    EXPECT_EQ(std::string(e.what()), "test.conf:5: HA_NFSD_FENCE: 'stonith' must be kill or none");
}

// --- peer heartbeats ------------------------------------------------------------

TEST(ConfigHeartbeat, OffWithoutAKeyWithDocumentedDefaults) {
    const Config c = parse(kMinimal);
    EXPECT_FALSE(c.heartbeat.enabled());
    EXPECT_EQ(c.heartbeat.key_file, "");
    EXPECT_EQ(c.heartbeat.address, "0.0.0.0");
    EXPECT_EQ(c.heartbeat.port, kDefaultHeartbeatPort);
    EXPECT_EQ(kDefaultHeartbeatPort, 62049);
    EXPECT_NE(kDefaultHeartbeatPort, 9587);
    EXPECT_EQ(c.heartbeat.settings.interval, 500ms);
    EXPECT_EQ(c.heartbeat.settings.rise, 2);
    EXPECT_EQ(c.heartbeat.settings.fall, 4);
    EXPECT_TRUE(c.heartbeat.peer_addresses.empty());
    EXPECT_FALSE(c.monitors.contains("peer"));  // not a local monitor of the nfsd verdict
}

TEST(ConfigHeartbeat, AKeyDerivedFromCorosyncsAuthkey) {
    EXPECT_FALSE(parse(std::string(kMinimal) + "HA_HEARTBEAT_KEY=/etc/ganesha/ha.key\n").heartbeat.key_derived);
    const Config c = parse(std::string(kMinimal) +
                           "HA_HEARTBEAT_KEY=/etc/corosync/authkey\nHA_HEARTBEAT_KEY_DERIVE=yes\n");
    EXPECT_TRUE(c.heartbeat.enabled());
    EXPECT_TRUE(c.heartbeat.key_derived);
    EXPECT_TRUE(c.warnings.empty());
    const Config alone = parse(std::string(kMinimal) + "HA_HEARTBEAT_KEY_DERIVE=yes\n");
    EXPECT_FALSE(alone.heartbeat.enabled());
    ASSERT_EQ(alone.warnings.size(), 1u);
    EXPECT_NE(alone.warnings[0].find("HA_HEARTBEAT_KEY_DERIVE=yes without HA_HEARTBEAT_KEY"), std::string::npos)
        << alone.warnings[0];
}

TEST(ConfigHeartbeat, KeysAreRead) {
    const Config c = parse(std::string(kMinimal) +
                           "HA_HEARTBEAT_KEY=/etc/ganesha/ha.key\n"
                           "HA_HEARTBEAT_PORT=7000\n"
                           "HA_HEARTBEAT_ADDRESS=10.0.1.1\n"
                           "HA_PEER_ADDR_n1=10.0.1.1\n"
                           "HA_PEER_ADDR_n2=\"10.0.1.2\"\n"
                           "HA_MONITOR_PEER=\"interval=200ms rise=3 fall=5\"\n");
    EXPECT_TRUE(c.heartbeat.enabled());
    EXPECT_EQ(c.heartbeat.key_file, "/etc/ganesha/ha.key");
    EXPECT_EQ(c.heartbeat.port, 7000);
    EXPECT_EQ(c.heartbeat.address, "10.0.1.1");
    EXPECT_EQ(c.heartbeat.peer_addresses,
              (std::map<std::string, std::string>{{"n1", "10.0.1.1"}, {"n2", "10.0.1.2"}}));
    EXPECT_EQ(c.heartbeat.settings.interval, 200ms);
    EXPECT_EQ(c.heartbeat.settings.rise, 3);
    EXPECT_EQ(c.heartbeat.settings.fall, 5);
    EXPECT_TRUE(c.warnings.empty());
    EXPECT_FALSE(parse(std::string(kMinimal) + "HA_HEARTBEAT_KEY=/k\nHA_MONITOR_PEER=enabled=no\n").heartbeat.enabled());
}

// One file for every node: each binds its own HA_PEER_ADDR_<node> unless
// HA_HEARTBEAT_ADDRESS says otherwise.
TEST(ConfigHeartbeat, TheBindAddressDefaultsToThisNodesPeerAddress) {
    const std::string text = std::string(kMinimal) + "HA_PEER_ADDR_n1=127.0.0.1\nHA_PEER_ADDR_n2=127.0.0.2\n";
    EXPECT_EQ(parse(text, as_node("n1")).heartbeat.address, "127.0.0.1");
    EXPECT_EQ(parse(text, as_node("n2")).heartbeat.address, "127.0.0.2");
    EXPECT_EQ(parse(text + "HA_HEARTBEAT_ADDRESS=0.0.0.0\n", as_node("n2")).heartbeat.address, "0.0.0.0");
    EXPECT_EQ(parse(std::string(kMinimal) + "HA_PEER_ADDR_n2=fd00::2\nHA_HEARTBEAT_ADDRESS=::\n").heartbeat.address,
              "::");
}

TEST(ConfigHeartbeat, PeerAddressesUseNodeKeysAndUnknownOnesAreWarnedAbout) {
    const Config c = parse("HA_NAME=demo\nHA_CLUSTER_NODES=\"node-1.example.com,n2\"\n"
                           "VIP_node_1_example_com=10.0.0.1\nVIP_n2=10.0.0.2\n"
                           "HA_PEER_ADDR_node_1_example_com=192.168.1.1\nHA_PEER_ADDR_n9=192.168.1.9\n",
                           as_node("n2"));
    EXPECT_EQ(c.heartbeat.peer_addresses.at("node-1.example.com"), "192.168.1.1");
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_EQ(c.warnings[0], "test.conf:6: HA_PEER_ADDR_n9: no such node in HA_CLUSTER_NODES");
}

TEST(ConfigHeartbeat, BadValuesAreErrorsOnTheirLine) {
    const std::string base(kMinimal);
    EXPECT_CONFIG_ERROR(base + "HA_HEARTBEAT_KEY=ha.key\n", 5, "HA_HEARTBEAT_KEY: 'ha.key' is not an absolute path");
    EXPECT_CONFIG_ERROR(base + "HA_HEARTBEAT_PORT=0\n", 5, "HA_HEARTBEAT_PORT: '0'");
    EXPECT_CONFIG_ERROR(base + "HA_HEARTBEAT_PORT=65536\n", 5, "HA_HEARTBEAT_PORT");
    EXPECT_CONFIG_ERROR(base + "HA_HEARTBEAT_PORT=9x\n", 5, "HA_HEARTBEAT_PORT");
    EXPECT_CONFIG_ERROR(base + "HA_HEARTBEAT_ADDRESS=node1\n", 5, "HA_HEARTBEAT_ADDRESS: 'node1' is not an IPv4");
    // Literals only, so start-up never waits for DNS.
    EXPECT_CONFIG_ERROR(base + "HA_PEER_ADDR_n2=n2.example.com\n", 5,
                        "HA_PEER_ADDR_n2: 'n2.example.com' is not an IPv4 or IPv6 address");
    EXPECT_CONFIG_ERROR(base + "HA_PEER_ADDR_n2=10.0.0.2\nHA_PEER_ADDR_n2=10.0.0.3\n", 6, "set again");
    EXPECT_CONFIG_ERROR(base + "HA_PEER_ADDR_n2=fd00::2\n", 5, "cannot be reached from the IPv4 heartbeat address");
    EXPECT_CONFIG_ERROR(base + "HA_MONITOR_PEER=\"timeout=1s\"\n", 5,
                        "'timeout' does not apply to peer heartbeats");
    EXPECT_CONFIG_ERROR(base + "HA_MONITOR_PEER=\"jitter=10ms\"\n", 5, "'jitter' does not apply");
    EXPECT_CONFIG_ERROR(base + "HA_MONITOR_PEER=\"interval=0ms\"\n", 5, "must be positive");
    EXPECT_CONFIG_ERROR(base + "HA_MONITOR_PEER=\"fall=0\"\n", 5, "fall '0'");
    EXPECT_CONFIG_ERROR(base + "HA_MONITOR_PEER=\"speed=1\"\n", 5, "unknown monitor option 'speed'");
}

TEST(ConfigHeartbeat, ClusterSizeAndDatagramBudget) {
    std::string nodes, vips;
    for (int i = 1; i <= 66; ++i) {
        nodes += (i > 1 ? "," : "") + std::string("n") + std::to_string(i);
        vips += "VIP_n" + std::to_string(i) + "=10.0.1." + std::to_string(i) + "\n";
    }
    const std::string big = "HA_NAME=demo\nHA_CLUSTER_NODES=\"" + nodes + "\"\n" + vips;
    EXPECT_NO_THROW(parse(big));  // no key: heartbeats off, no limit
    EXPECT_CONFIG_ERROR(big + "HA_HEARTBEAT_KEY=/k\n", 2, "at most 65 nodes");

    std::string long_nodes, long_vips;
    for (int i = 1; i <= 40; ++i) {
        const std::string node = "nfs-server-" + std::to_string(i) + ".storage.example.com";
        long_nodes += (i > 1 ? "," : "") + node;
        long_vips += "VIP_" + node_key(node) + "=10.0.2." + std::to_string(i) + "\n";
    }
    const Config c = parse("HA_NAME=demo\nHA_CLUSTER_NODES=\"" + long_nodes + "\"\n" + long_vips +
                               "HA_HEARTBEAT_KEY=/k\n",
                           as_node("nfs-server-1.storage.example.com"));
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_NE(c.warnings[0].find("too long for one heartbeat datagram"), std::string::npos) << c.warnings[0];
}

}  // namespace
}  // namespace gha

// ganesha-hactl's command line (ctl/command_line, CLI11): options anywhere,
// --key=value, --help everywhere, unknown words refused here with a
// suggestion, and the daemon's "arguments" exactly as the hand-written
// parser built them (the OCF agents and the lab depend on them).
#include "ctl/command_line.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "ctl/cli_arguments.hpp"

namespace gha::ctl {
namespace {

using nlohmann::json;
using Kind = Invocation::Kind;

Invocation parse(const std::vector<std::string>& args) { return parse_command_line(args, "/run/default.sock"); }

std::string describe(const Invocation& i) {
    return "exit " + std::to_string(i.exit_code) + ", out: " + i.out.substr(0, 200) + ", err: " + i.err +
           ", arguments: " + i.request.arguments.dump();
}

// A usage error: exit 2, one line on stderr, nothing on stdout.
std::string usage_error(const std::vector<std::string>& args) {
    const Invocation i = parse(args);
    EXPECT_EQ(i.kind, Kind::finished) << describe(i);
    EXPECT_EQ(i.exit_code, exit_usage) << describe(i);
    EXPECT_EQ(i.out, "");
    EXPECT_EQ(std::count(i.err.begin(), i.err.end(), '\n'), 1) << i.err;
    EXPECT_EQ(i.err.rfind("ganesha-hactl: ", 0), 0u) << i.err;
    return i.err;
}

json arguments_of(const std::vector<std::string>& args) {
    const Invocation i = parse(args);
    EXPECT_EQ(i.kind, Kind::daemon) << describe(i);
    return i.request.arguments;
}

TEST(CommandLine, OptionsComeBeforeOrAfterTheCommand) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--json", "status"}, {"status", "--json"}, {"--socket", "/s", "status", "--json", "--timeout", "250"}}) {
        const Invocation i = parse(args);
        ASSERT_EQ(i.kind, Kind::daemon) << describe(i);
        EXPECT_EQ(i.request.command, "status");
        EXPECT_TRUE(i.global.json);
        EXPECT_EQ(i.request.arguments, json::object());
    }
    const Invocation i = parse({"status", "--socket=/x.sock", "--timeout=250", "--no-wait"});
    EXPECT_EQ(i.global.socket, "/x.sock");
    EXPECT_EQ(i.global.timeout_ms, 250);
    EXPECT_FALSE(i.global.wait);
    EXPECT_FALSE(i.global.json);
    // Given twice: the last one counts.
    const Invocation twice = parse({"--socket", "/a", "status", "--socket=/b", "--timeout", "1", "--timeout", "2"});
    EXPECT_EQ(twice.global.socket, "/b");
    EXPECT_EQ(twice.global.timeout_ms, 2);
    EXPECT_EQ(parse({"cluster", "--ganesha-conf", "/a", "--ganesha-conf", "/b", "setup"}).cluster.ganesha_conf, "/b");
    EXPECT_EQ(arguments_of({"grace", "--event", "a", "--event=b"}), json({{"event", "b"}}));
    const Invocation d = parse({"status"});
    EXPECT_EQ(d.global.socket, "/run/default.sock");
    EXPECT_TRUE(d.global.wait);
    EXPECT_EQ(d.global.timeout_ms, 0);
}

TEST(CommandLine, KeyEqualsValueInEveryForm) {
    const json expected = {{"since", 5u}, {"limit", 3u}};
    for (const auto& args : std::vector<std::vector<std::string>>{{"events", "--since", "5", "--limit", "3"},
                                                                  {"events", "--since=5", "--limit=3"},
                                                                  {"events", "since=5", "limit=3"},
                                                                  {"--json", "events", "since=5", "--limit=3"}}) {
        const json a = arguments_of(args);
        EXPECT_EQ(a, expected) << a.dump();
        EXPECT_TRUE(a["since"].is_number_unsigned());
    }
    EXPECT_EQ(arguments_of({"actions", "--id=7"}), json({{"id", 7u}}));
    EXPECT_EQ(arguments_of({"grace", "--event=release-ip", "--node=node1"}),
              json({{"event", "release-ip"}, {"node", "node1"}}));
    // --node asks another node's daemon (the local one relays it).
    EXPECT_EQ(arguments_of({"status", "--node", "node2"}), json({{"node", "node2"}}));
    EXPECT_EQ(arguments_of({"peers", "--node=node3"}), json({{"node", "node3"}}));
    EXPECT_EQ(arguments_of({"events", "--limit", "5", "--node", "node2"}), json({{"limit", 5u}, {"node", "node2"}}));
    const Invocation field = parse({"status", "--field=vips"});
    EXPECT_EQ(field.field, "vips");
    EXPECT_EQ(field.request.arguments, json::object());  // read by ganesha-hactl, not sent
}

// Every way ganesha-hactl is called in units/ocf, lab/ganesha-lab and the
// tests sends what the hand-written parser sent: build_arguments() over
// the words after the command.
TEST(CommandLine, DaemonArgumentsAreThoseOfBefore) {
    const std::vector<std::vector<std::string>> callers = {
        {"take-vip", "address=192.0.2.7"},
        {"release-vip", "address=192.0.2.7"},
        {"grace", "--event", "take-ip", "node=node2"},
        {"grace", "--event", "release-ip", "node=123"},
        {"grace", "node=node9"},
        {"grace", "127.0.0.2"},
        {"grace", "--event", "take-ip", "127.0.0.2"},
        {"grace", "--event", "take-everything", "127.0.0.2"},
        {"grace", "--event", "release-ip"},
        {"events", "--since", "42"},
        {"actions", "--id", "18446744073709551615"},
        {"actions"},
        {"undrain"},
        {"drain"},
        {"drain", "by=agent"},  // ganesha_mon's stop and start
        {"undrain", "by=agent"},
        {"monitor"},
        {"version"},
        {"list-commands"},
    };
    for (const auto& words : callers) {
        json before;
        std::string problem;
        ASSERT_TRUE(build_arguments({words.begin() + 1, words.end()}, before, problem)) << problem;
        for (const auto& prefix : std::vector<std::vector<std::string>>{
                 {}, {"--socket", "/s", "--timeout", "100"}, {"--no-wait"}, {"--json", "--no-wait"}}) {
            std::vector<std::string> args = prefix;
            args.insert(args.end(), words.begin(), words.end());
            const Invocation i = parse(args);
            ASSERT_EQ(i.kind, Kind::daemon) << words.front() << ": " << describe(i);
            EXPECT_EQ(i.request.command, words.front());
            EXPECT_EQ(i.request.arguments, before) << words.front() << " " << i.request.arguments.dump();
            // `call` sends the same.
            std::vector<std::string> call = {"call"};
            call.insert(call.end(), args.begin(), args.end());
            const Invocation c = parse(call);
            ASSERT_EQ(c.kind, Kind::daemon) << describe(c);
            EXPECT_EQ(c.request.command, words.front());
            EXPECT_EQ(c.request.arguments, before) << c.request.arguments.dump();
        }
    }
}

TEST(CommandLine, CallSendsAnyCommandAsIs) {
    const Invocation i = parse({"call", "frobnicate", "--bar", "baz", "x=1", "--id=9", "word", "--json"});
    ASSERT_EQ(i.kind, Kind::daemon) << describe(i);
    EXPECT_EQ(i.request.command, "frobnicate");
    EXPECT_EQ(i.request.arguments, json({{"bar", "baz"}, {"x", "1"}, {"id", 9u}, {"args", {"word"}}}));
    EXPECT_TRUE(i.global.json);  // ganesha-hactl's own options are still its own
    EXPECT_EQ(parse({"--socket", "/s", "call", "status"}).request.command, "status");
    EXPECT_NE(usage_error({"call"}).find("COMMAND"), std::string::npos);
    EXPECT_NE(usage_error({"call", "x", "--since", "five"}).find("since 'five' is not a whole number"),
              std::string::npos);
    EXPECT_NE(usage_error({"call", "x", "--key"}).find("--key needs a value"), std::string::npos);
}

TEST(CommandLine, UnknownCommandsAreRefusedWithASuggestion) {
    std::string err = usage_error({"stauts"});
    EXPECT_NE(err.find("unknown command 'stauts'; did you mean 'status'?"), std::string::npos) << err;
    err = usage_error({"--json", "relaod", "--timeout", "9"});
    EXPECT_NE(err.find("did you mean 'reload'?"), std::string::npos) << err;
    err = usage_error({"conn"});
    EXPECT_NE(err.find("did you mean 'connections'?"), std::string::npos) << err;
    err = usage_error({"frobnicate"});
    EXPECT_EQ(err.find("did you mean"), std::string::npos) << err;
    EXPECT_NE(err.find("ganesha-hactl call frobnicate"), std::string::npos) << err;
    err = usage_error({"cluster", "stup"});
    EXPECT_NE(err.find("cluster: unknown subcommand 'stup'; did you mean 'setup'?"), std::string::npos) << err;
    err = usage_error({"ganesha-conf", "chek"});
    EXPECT_NE(err.find("did you mean 'check'?"), std::string::npos) << err;
}

TEST(CommandLine, UsageErrorsNameTheBadWord) {
    EXPECT_NE(usage_error({"status", "--feild", "x"}).find("unknown option '--feild'; did you mean '--field'?"),
              std::string::npos);
    EXPECT_NE(usage_error({"--bogus", "status"}).find("'--bogus'"), std::string::npos);
    // A command's own option before the command: said so, not "did you mean" itself.
    EXPECT_NE(usage_error({"--since", "5", "events"}).find("'--since' goes after the command"), std::string::npos);
    EXPECT_NE(usage_error({"status", "extra"}).find("unexpected argument 'extra'"), std::string::npos);
    EXPECT_NE(usage_error({"grace", "10.0.0.1", "10.0.0.2"}).find("'10.0.0.2'"), std::string::npos);
    const std::string unknown_key = usage_error({"grace", "nod=node1"});
    EXPECT_NE(unknown_key.find("unknown argument 'nod=node1'; did you mean 'node'?"), std::string::npos) << unknown_key;
    EXPECT_NE(usage_error({"events", "--since", "five"}).find("since 'five' is not a whole number"), std::string::npos);
    EXPECT_NE(usage_error({"events", "limit=-1"}).find("limit '-1'"), std::string::npos);
    EXPECT_NE(usage_error({"--timeout", "0", "status"}).find("--timeout"), std::string::npos);
    EXPECT_NE(usage_error({"status", "--timeout", "soon"}).find("soon"), std::string::npos);
    EXPECT_NE(usage_error({"status", "--field="}).find("--field"), std::string::npos);
    EXPECT_NE(usage_error({"cluster", "add", "node4"}).find("VIP"), std::string::npos);
    EXPECT_NE(usage_error({"cluster", "--wait", "9999", "setup"}).find("--wait"), std::string::npos);
    EXPECT_NE(usage_error({"keygen"}).find("PATH"), std::string::npos);
    EXPECT_NE(usage_error({"ganesha-conf", "check", "--ganesha-conf", "relative.conf"}).find("absolute"),
              std::string::npos);
}

TEST(CommandLine, NoCommandPrintsTheHelpAndExits2) {
    const Invocation i = parse({});
    EXPECT_EQ(i.exit_code, exit_usage);
    EXPECT_EQ(i.err.rfind("usage: ganesha-hactl", 0), 0u);
    EXPECT_EQ(parse({"--json"}).exit_code, exit_usage);
    const Invocation c = parse({"cluster", "--config", "/c"});
    EXPECT_EQ(c.kind, Kind::cluster);  // cluster prints its own help and exits 2 (cluster_main)
    EXPECT_TRUE(c.cluster.words.empty());
}

std::vector<std::vector<std::string>> every_command() {
    std::vector<std::vector<std::string>> out;
    for (const auto& name : daemon_command_names()) out.push_back({name});
    for (const char* sub : {"show-cib", "setup", "teardown", "add", "delete", "status", "refresh-config"})
        out.push_back({"cluster", sub});
    for (const char* local : {"call", "keygen", "cluster", "ganesha-conf", "help"}) out.push_back({local});
    out.push_back({"ganesha-conf", "check"});
    return out;
}

TEST(CommandLine, EveryCommandAndSubcommandHasItsHelp) {
    const Invocation top = parse({"--help"});
    EXPECT_EQ(top.exit_code, exit_ok);
    EXPECT_EQ(top.out.rfind("usage: ganesha-hactl [OPTIONS] COMMAND", 0), 0u) << top.out;
    EXPECT_EQ(parse({"-h"}).out, top.out);
    EXPECT_EQ(parse({"help"}).out, top.out);
    for (const auto& words : every_command()) {
        std::string name;
        for (const auto& w : words) name += " " + w;
        for (const char* flag : {"--help", "-h"}) {
            std::vector<std::string> args = words;
            args.push_back(flag);
            const Invocation i = parse(args);
            EXPECT_EQ(i.exit_code, exit_ok) << name << ": " << describe(i);
            EXPECT_EQ(i.err, "") << name;
            EXPECT_EQ(i.out.rfind("usage: ganesha-hactl" + name, 0), 0u) << name << ":\n" << i.out;
        }
        std::vector<std::string> via_help = {"help"};
        via_help.insert(via_help.end(), words.begin(), words.end());
        std::vector<std::string> via_flag = words;
        via_flag.push_back("--help");
        EXPECT_EQ(parse(via_help).out, parse(via_flag).out) << name;
        // The top-level help lists every command (the bash completion reads it there).
        if (words.size() == 1) {
            EXPECT_NE(top.out.find("\n  " + words[0] + " "), std::string::npos) << name;
        }
    }
    EXPECT_NE(parse({"grace", "--help"}).out.find("--event"), std::string::npos);
    EXPECT_NE(usage_error({"help", "stauts"}).find("did you mean 'status'?"), std::string::npos);
}

TEST(CommandLine, VersionIsThisProgramsOwn) {
    const Invocation i = parse({"--version"});
    EXPECT_EQ(i.exit_code, exit_ok);
    EXPECT_EQ(i.out, "ganesha-hactl " GHA_VERSION "\n");
    EXPECT_EQ(parse({"version"}).request.command, "version");  // the daemon's
}

TEST(CommandLine, LocalCommands) {
    Invocation i = parse({"keygen", "/etc/k", "--force"});
    ASSERT_EQ(i.kind, Kind::keygen) << describe(i);
    EXPECT_EQ(i.keygen_path, "/etc/k");
    EXPECT_TRUE(i.keygen_force);
    EXPECT_FALSE(parse({"keygen", "/etc/k"}).keygen_force);

    i = parse({"ganesha-conf", "check", "--ganesha-conf", "/a.conf", "--var-lib-nfs=/v", "--json"});
    ASSERT_EQ(i.kind, Kind::ganesha_conf) << describe(i);
    EXPECT_EQ(i.ganesha_conf.ganesha_conf, "/a.conf");
    EXPECT_EQ(i.ganesha_conf.var_lib_nfs, "/v");
    EXPECT_TRUE(i.global.json);
    EXPECT_EQ(parse({"ganesha-conf", "check"}).ganesha_conf.ganesha_conf, "/etc/ganesha/ganesha.conf");

    for (const auto& args : std::vector<std::vector<std::string>>{
             {"cluster", "--config", "/c", "--wait", "0", "add", "node4", "10.0.0.4"},
             {"cluster", "add", "node4", "10.0.0.4", "--wait=0", "--config=/c"},
             {"--json", "cluster", "add", "--config", "/c", "node4", "--wait", "0", "10.0.0.4"}}) {
        i = parse(args);
        ASSERT_EQ(i.kind, Kind::cluster) << describe(i);
        EXPECT_EQ(i.cluster.words, (std::vector<std::string>{"add", "node4", "10.0.0.4"}));
        EXPECT_EQ(i.cluster.options.config, "/c");
        EXPECT_EQ(i.cluster.wait.count(), 0);
    }
    i = parse({"cluster", "status", "--json"});
    EXPECT_EQ(i.cluster.words, (std::vector<std::string>{"status"}));
    EXPECT_TRUE(i.cluster.options.json);
    EXPECT_EQ(i.cluster.options.config, cluster::kDefaultConfigPath);
    EXPECT_EQ(i.cluster.wait.count(), 120);
    i = parse({"cluster", "setup", "--adopt-glusterfs"});
    EXPECT_EQ(i.cluster.words, (std::vector<std::string>{"setup"}));
    EXPECT_TRUE(i.cluster.adopt_glusterfs);
    EXPECT_FALSE(parse({"cluster", "setup"}).cluster.adopt_glusterfs);
    // Issue 14's day-to-day verbs.
    i = parse({"cluster", "drain", "node2", "--wait", "5"});
    EXPECT_EQ(i.cluster.words, (std::vector<std::string>{"drain", "node2"}));
    EXPECT_EQ(i.cluster.wait.count(), 5);
    EXPECT_EQ(parse({"cluster", "undrain", "node2"}).cluster.words, (std::vector<std::string>{"undrain", "node2"}));
    i = parse({"cluster", "move", "10.0.0.1", "node3", "--wait=30"});
    EXPECT_EQ(i.cluster.words, (std::vector<std::string>{"move", "10.0.0.1", "node3"}));
    EXPECT_EQ(i.cluster.wait.count(), 30);
    EXPECT_NE(usage_error({"cluster", "move", "node1"}).find("TARGET"), std::string::npos);
    EXPECT_NE(usage_error({"cluster", "drain"}).find("NODE"), std::string::npos);
    i = parse({"cluster", "refresh-config", "--ganesha-conf", "/g.conf", "7"});
    EXPECT_EQ(i.cluster.words, (std::vector<std::string>{"refresh-config", "7"}));
    EXPECT_EQ(i.cluster.ganesha_conf, "/g.conf");
}

}  // namespace
}  // namespace gha::ctl

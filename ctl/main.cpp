// ganesha-hactl: operators' and OCF agents' CLI over ganesha-had's control socket.
#include <poll.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "ctl/cli_arguments.hpp"
#include "ctl/cluster_command.hpp"
#include "ctl/control_client.hpp"
#include "ctl/ganesha_conf_command.hpp"
#include "ctl/peers_command.hpp"
#include "ctl/status_output.hpp"

namespace {

using nlohmann::json;

constexpr const char* kHelp = R"(usage: ganesha-hactl [--socket PATH] [--json] [--timeout MS] COMMAND [ARGS]

Commands:
  status [--field NAME]  this node, its monitors and their health; --field prints one member
                         of the answer for scripts: one line per list element, "KEY VALUE"
                         per object member (e.g. cluster_nodes, vips, node, drained)
  monitor                OCF verdict on the local ganesha.nfsd (exit 0/7/1)
  events [--since SEQ] [--limit N]
                         the daemon's event log
  reload                 re-read the configuration (root or HA_CONTROL_GROUP)
  grace [--event E] ADDRESS
                         put the local ganesha into grace for ADDRESS; E is take-ip
                         (default), release-ip, take-nodeid or just-grace (no ADDRESS)
  failover               move this node's VIP away as if its nfsd had failed
  drain | undrain        move this node's VIP away and keep it away | let it come back
  actions [--id N]       running and recent action pipelines with their steps
  peers                  peer heartbeats: state, last heard, incarnation, nfsd, grace held, drops
  connections            NFS client connections to the VIPs: this node's and each peer's last list
                         (tickle targets), and whether the drop table is dropping
  keygen [--force] PATH  write a new heartbeat key (HA_HEARTBEAT_KEY), mode 0600; no daemon needed
  ganesha-conf check [--ganesha-conf PATH] [--var-lib-nfs PATH]
                         check that ganesha.conf (default /etc/ganesha/ganesha.conf) keeps clients'
                         state across a failover; prints its Server_Scope; no daemon needed (exit 0/1/2)
  metrics                the daemon's Prometheus metrics (what /metrics serves)
  version                daemon version
  list-commands          commands the daemon understands
  Any other COMMAND is sent as is, with key=value ARGS as its arguments.

Cluster layout (Pacemaker; no daemon needed; `ganesha-hactl cluster --help` for details):
  cluster [--config PATH] [--wait S] show-cib | setup | teardown | add NODE VIP | delete NODE
          | status [--json] | refresh-config [--ganesha-conf PATH] EXPORT_ID

Options:
  --socket PATH   control socket (default $GANESHA_HA_SOCKET or /run/ganesha-ha/hactl.sock)
  --json          print the daemon's JSON answer
  --timeout MS    give up after MS milliseconds (default 5000; 60000 when waiting for a pipeline)
  --no-wait       commands that start a pipeline return at once instead of waiting for it

Exit codes:
  0  success (monitor: ganesha.nfsd running and healthy; pipelines: every step succeeded)
  1  the daemon reported an error, or a pipeline failed (monitor: nfsd failed, hung,
     unknown, or daemon unreachable)
  2  usage error or unknown command
  3  nothing found (e.g. no events since SEQ)
  4  ganesha-had not reachable or did not answer in time
  7  monitor only: ganesha.nfsd is not running
)";

enum Exit { ok = 0, failed = 1, usage = 2, empty = 3, unreachable = 4, not_running = 7 };

void print_pipeline(const json& p) {
    std::printf("pipeline %llu %s (%s): %s\n", p.value("id", 0ULL), p.value("pipeline", "").c_str(),
                p.value("target", "").c_str(), p.value("state", "").c_str());
    for (const auto& s : p["steps"])
        std::printf("  %-34s %-10s %2d try %8.1f ms  %s\n", s.value("name", "").c_str(), s.value("state", "").c_str(),
                    s.value("attempts", 0), s.value("duration_ms", 0.0), s.value("detail", "").c_str());
}

bool pipeline_finished(const json& p) {
    const std::string state = p.value("state", "");
    return state != "queued" && state != "running";
}

void print_commands(const json& a) {
    for (const auto& c : a["commands"])
        std::printf("%-16s %s%s\n", c.value("name", "").c_str(), c.value("help", "").c_str(),
                    c.value("changes", false) ? " [changes state]" : "");
}

}  // namespace

int main(int argc, char** argv) {
    const char* env_socket = std::getenv("GANESHA_HA_SOCKET");
    std::string socket = env_socket && *env_socket ? env_socket : "/run/ganesha-ha/hactl.sock";
    bool as_json = false;
    bool wait = true;
    long timeout_ms = 0;  // 0: the default for the command
    std::vector<std::string> words;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (words.empty() && (arg == "--socket" || arg == "--timeout")) {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "ganesha-hactl: %s needs a value\n", arg.c_str());
                return usage;
            }
            const std::string value = argv[++i];
            if (arg == "--socket") {
                socket = value;
            } else {
                char* end = nullptr;
                timeout_ms = std::strtol(value.c_str(), &end, 10);
                if (*end != '\0' || timeout_ms <= 0 || timeout_ms > 600000) {
                    std::fprintf(stderr, "ganesha-hactl: --timeout '%s' must be 1..600000 ms\n", value.c_str());
                    return usage;
                }
            }
        } else if (words.empty() && arg == "--json") {
            as_json = true;
        } else if (words.empty() && arg == "--no-wait") {
            wait = false;
        } else if (words.empty() && (arg == "--help" || arg == "-h" || arg == "help")) {
            std::fputs(kHelp, stdout);
            return ok;
        } else {
            words.push_back(arg);
        }
    }
    if (words.empty()) {
        std::fputs(kHelp, stderr);
        return usage;
    }
    if (words[0] == "keygen") return gha::ctl::keygen_main({words.begin() + 1, words.end()});
    if (words[0] == "ganesha-conf") return gha::ctl::ganesha_conf_main({words.begin() + 1, words.end()}, as_json);
    if (words[0] == "cluster")
        return gha::cluster::cluster_main({words.begin() + 1, words.end()},
                                          {socket, as_json, gha::cluster::kDefaultConfigPath});

    gha::control::Request request{words[0]};
    std::string problem;
    if (!gha::ctl::build_arguments({words.begin() + 1, words.end()}, request.arguments, problem)) {
        std::fprintf(stderr, "ganesha-hactl: %s\n", problem.c_str());
        return usage;
    }

    // `status --field NAME` is read here, not by the daemon: it picks one
    // member of the answer for scripts.
    std::string field;
    if (request.command == "status" && request.arguments.is_object() && request.arguments.contains("field")) {
        if (!request.arguments["field"].is_string() || request.arguments["field"].get<std::string>().empty()) {
            std::fprintf(stderr, "ganesha-hactl: --field needs a name\n");
            return usage;
        }
        field = request.arguments["field"].get<std::string>();
        request.arguments.erase("field");
    }

    const bool is_monitor = request.command == "monitor";
    const auto started = std::chrono::steady_clock::now();
    const auto call_timeout = std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 5000);
    gha::control::ClientError error;
    json response = gha::control::call(socket, request, call_timeout, error);
    if (error.kind != gha::control::ClientError::none) {
        std::fprintf(stderr, "ganesha-hactl: %s\n", error.text.c_str());
        return is_monitor ? failed : unreachable;
    }
    int result = response.value("result", 1);
    json args = response.contains("arguments") ? response["arguments"] : json::object();

    // A command that started a pipeline: follow it to its end, so an OCF
    // agent's exit code says whether the action happened.
    const bool started_pipeline = request.command != "actions" && result == gha::control::success &&
                                  args.contains("steps") && args.contains("id");
    if (started_pipeline && wait) {
        const auto deadline = started + std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 60000);
        while (!pipeline_finished(args)) {
            if (std::chrono::steady_clock::now() >= deadline) {
                std::fprintf(stderr, "ganesha-hactl: pipeline %llu still %s at the deadline\n",
                             args.value("id", 0ULL), args.value("state", "").c_str());
                return failed;
            }
            ::poll(nullptr, 0, 20);  // the daemon has no push channel; 20 ms keeps CPU low
            json again = gha::control::call(socket, {"actions", {{"id", args["id"]}}}, call_timeout, error);
            if (error.kind != gha::control::ClientError::none) {
                std::fprintf(stderr, "ganesha-hactl: %s\n", error.text.c_str());
                return unreachable;
            }
            if (again.value("result", 1) != gha::control::success) break;
            args = again["arguments"];
            response = again;
        }
        if (!as_json) print_pipeline(args);
        else std::printf("%s\n", response.dump(2).c_str());
        return args.value("state", "") == "succeeded" ? ok : failed;
    }

    if (!field.empty() && result == gha::control::success) {
        std::string out, why;
        if (!gha::ctl::format_status_field(args, field, out, why)) {
            std::fprintf(stderr, "ganesha-hactl: %s\n", why.c_str());
            return failed;
        }
        std::fputs(out.c_str(), stdout);
    } else if (as_json) {
        std::printf("%s\n", response.dump(2).c_str());
    } else if (result != gha::control::success) {
        std::fprintf(stderr, "ganesha-hactl: %s\n", response.value("text", "").c_str());
    } else if (request.command == "status") {
        std::fputs(gha::ctl::format_status(args).c_str(), stdout);
    } else if (request.command == "events") {
        std::fputs(gha::ctl::format_events(args).c_str(), stdout);
    } else if (request.command == "list-commands") {
        print_commands(args);
    } else if (request.command == "peers") {
        gha::ctl::print_peers(args);
    } else if (request.command == "metrics") {
        std::fputs(args.value("text", "").c_str(), stdout);  // raw exposition text, for promtool & co
    } else if (request.command == "actions") {
        if (args.contains("pipelines"))
            for (const auto& p : args["pipelines"]) print_pipeline(p);
        else
            print_pipeline(args);
    } else if (started_pipeline) {
        print_pipeline(args);
    } else {
        std::printf("%s\n", response.value("text", "").c_str());
        if (args.contains("notes"))
            for (const auto& note : args["notes"]) std::printf("note: %s\n", note.get<std::string>().c_str());
    }

    if (is_monitor && result == gha::control::success) {
        const int code = args.value("ocf", 1);
        return code == 0 ? ok : code == 7 ? not_running : failed;
    }
    switch (result) {
        case gha::control::success: return ok;
        case gha::control::unsupported: return usage;
        case gha::control::empty: return empty;
        default: return failed;
    }
}

// ganesha-hactl: operators' and OCF agents' CLI over ganesha-had's control socket.
#include <poll.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ctl/cluster_command.hpp"
#include "ctl/command_line.hpp"
#include "ctl/control_client.hpp"
#include "ctl/ganesha_conf_command.hpp"
#include "ctl/json_fields.hpp"
#include "ctl/peers_command.hpp"
#include "ctl/pipeline_output.hpp"
#include "ctl/status_output.hpp"

namespace {

using nlohmann::json;

using namespace gha::ctl;

constexpr int ok = exit_ok, failed = exit_failed, usage = exit_usage, empty = exit_empty,
              unreachable = exit_unreachable, not_running = exit_not_running;

void print_pipeline(const json& p) { std::fputs(format_pipeline(p).c_str(), stdout); }

// A member as text, or "" (the daemon's answer may lack it or have another type).
std::string string_member(const json& object, const char* key) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return {};
    return object[key].get<std::string>();
}

int run_daemon_command(const Invocation& inv) {
    const std::string& socket = inv.global.socket;
    const bool as_json = inv.global.json;
    const bool wait = inv.global.wait;
    const long timeout_ms = inv.global.timeout_ms;
    const gha::control::Request& request = inv.request;
    const std::string& field = inv.field;
    const bool is_monitor = request.command == "monitor";
    const auto started = std::chrono::steady_clock::now();
    const auto call_timeout = std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 5000);
    gha::control::ClientError error;
    json response = gha::control::call(socket, request, call_timeout, error);
    if (error.kind != gha::control::ClientError::none) {
        std::fprintf(stderr, "ganesha-hactl: %s\n", error.text.c_str());
        return is_monitor ? failed : unreachable;
    }
    long long result_code = gha::control::error;
    const int result = integer(member(response, "result"), result_code) && result_code >= 0 && result_code <= 3
                           ? static_cast<int>(result_code)
                           : gha::control::error;
    json args = member(response, "arguments").is_object() ? member(response, "arguments") : json::object();

    // A command that started a pipeline: follow it to its end, so an OCF
    // agent's exit code says whether the action happened.
    const bool started_pipeline = request.command != "actions" && result == gha::control::success &&
                                  args.contains("steps") && args.contains("id");
    if (started_pipeline && wait) {
        const auto deadline = started + std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 60000);
        while (!pipeline_finished(args)) {
            if (std::chrono::steady_clock::now() >= deadline) {
                std::fprintf(stderr, "ganesha-hactl: pipeline %s still %s at the deadline\n",
                             text(member(args, "id")).c_str(), text(member(args, "state")).c_str());
                return failed;
            }
            ::poll(nullptr, 0, 20);  // the daemon has no push channel; 20 ms keeps CPU low
            json again = gha::control::call(socket, {"actions", {{"id", args["id"]}}}, call_timeout, error);
            if (error.kind != gha::control::ClientError::none) {
                std::fprintf(stderr, "ganesha-hactl: %s\n", error.text.c_str());
                return unreachable;
            }
            if (member(again, "result") != gha::control::success || !member(again, "arguments").is_object()) break;
            args = again["arguments"];
            response = again;
        }
        if (!as_json) print_pipeline(args);
        else std::printf("%s\n", response.dump(2).c_str());
        return string_member(args, "state") == "succeeded" ? ok : failed;
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
        std::fprintf(stderr, "ganesha-hactl: %s\n", text(member(response, "text")).c_str());
    } else if (request.command == "status") {
        std::fputs(gha::ctl::format_status(args).c_str(), stdout);
    } else if (request.command == "events") {
        std::fputs(gha::ctl::format_events(args).c_str(), stdout);
    } else if (request.command == "list-commands") {
        std::fputs(format_commands(args).c_str(), stdout);
    } else if (request.command == "peers") {
        gha::ctl::print_peers(args);
    } else if (request.command == "metrics") {
        std::fputs(string_member(args, "text").c_str(), stdout);  // raw exposition text, for promtool & co
    } else if (request.command == "actions") {
        if (args.contains("pipelines")) {
            if (args["pipelines"].is_array())
                for (const auto& p : args["pipelines"]) print_pipeline(p);
        } else {
            print_pipeline(args);
        }
    } else if (started_pipeline) {
        print_pipeline(args);
    } else {
        std::printf("%s\n", string_member(response, "text").c_str());
        if (member(args, "notes").is_array())
            for (const auto& note : args["notes"]) std::printf("note: %s\n", text(note).c_str());
    }

    if (is_monitor && result == gha::control::success) {
        long long code = 1;
        if (!integer(member(args, "ocf"), code)) code = 1;
        return code == 0 ? ok : code == 7 ? not_running : failed;
    }
    switch (result) {
        case gha::control::success: return ok;
        case gha::control::unsupported: return usage;
        case gha::control::empty: return empty;
        default: return failed;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const char* env_socket = std::getenv("GANESHA_HA_SOCKET");
    const Invocation inv = parse_command_line(std::vector<std::string>(argv + 1, argv + argc),
                                              env_socket && *env_socket ? env_socket : "/run/ganesha-ha/hactl.sock");
    switch (inv.kind) {
        case Invocation::Kind::finished:
            std::fputs(inv.out.c_str(), stdout);
            std::fputs(inv.err.c_str(), stderr);
            return inv.exit_code;
        case Invocation::Kind::keygen: return keygen_main(inv.keygen_path, inv.keygen_force);
        case Invocation::Kind::ganesha_conf: return ganesha_conf_check(inv.ganesha_conf, inv.global.json);
        case Invocation::Kind::cluster: return gha::cluster::cluster_main(inv.cluster);
        case Invocation::Kind::daemon: return run_daemon_command(inv);
    }
    return usage;
}

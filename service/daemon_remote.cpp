// `ganesha-hactl status|events|peers --node NAME`: the local daemon asks
// NAME's daemon over the peer heartbeat socket (monitors/peer_query_codec.hpp:
// the cluster key's MAC, replay windows, source addresses) and relays its
// answer, as ctdb answers from any node through its daemons.
//  - Read-only: a peer's query runs one of the commands registered with
//    add_remotable (status, events, peers) and nothing else, as a caller
//    that may change nothing; a query never carries "node" on (no relays).
//  - Bounded: a query is at most 512 bytes, an answer at most 64 KiB (a
//    larger one is answered with an error saying so), at most kMaxQueries
//    in flight, each answered within kQueryDeadline (below the control
//    socket's idle timeout) or failed with an error naming the node.
#include <random>

#include "service/daemon.hpp"
#include "service/log.hpp"

namespace gha {

using control::answer;
using nlohmann::json;
// A peer's query runs as nobody in particular: no uid may change anything.
static const control::Caller kPeerCaller{0, static_cast<uid_t>(-1), static_cast<gid_t>(-1), {}};

void Daemon::add_remotable(const std::string& name, const std::string& help, control::CommandRegistry::Handler handler) {
    remotable_[name] = handler;
    registry_.add_async(name, help + "; arguments: node (ask that node's daemon over the peer heartbeats)", false,
                        [this, handler](const control::Request& request, const control::Caller& caller,
                                        control::CommandRegistry::Reply reply) {
                            if (!request.arguments.is_object() || !request.arguments.contains("node"))
                                return reply(handler(request, caller));
                            if (request.arguments["node"] == config_.node) {  // this node, by name
                                control::Request here = request;
                                here.arguments.erase("node");
                                return reply(handler(here, caller));
                            }
                            ask_peer(request, std::move(reply));
                        });
}

void Daemon::ask_peer(const control::Request& request, control::CommandRegistry::Reply reply) {
    const json& node_value = request.arguments["node"];
    if (!node_value.is_string()) return reply(answer(control::error, "node must be a node name"));
    const std::string node = node_value.get<std::string>();
    control::Request forwarded = request;
    forwarded.arguments.erase("node");
    if (std::find(config_.cluster_nodes.begin(), config_.cluster_nodes.end(), node) == config_.cluster_nodes.end())
        return reply(answer(control::error, "node '" + node.substr(0, 253) + "' is not in HA_CLUSTER_NODES (" +
                                                config_.source + ")"));
    if (!heartbeats_)
        return reply(answer(control::error, "cannot ask " + node + ": peer heartbeats are off here (no "
                                                                   "HA_HEARTBEAT_KEY); --node travels on them"));
    if (queries_.size() >= kMaxQueries)
        return reply(answer(control::error, "cannot ask " + node + ": " + std::to_string(kMaxQueries) +
                                                " queries to other nodes are already waiting; try again"));
    const std::uint32_t id = next_query_++;
    const std::string payload = json{{"command", forwarded.command}, {"arguments", forwarded.arguments}}.dump();
    std::error_code ec;
    try {
        ec = heartbeats_->send_query(node, id, payload);
    } catch (const std::invalid_argument& e) {
        return reply(answer(control::error, "cannot ask " + node + ": " + e.what()));
    }
    if (ec)
        return reply(answer(control::error, "cannot ask " + node + ": its heartbeat address is not known (" +
                                                ec.message() + "; see `ganesha-hactl peers`)"));
    PendingQuery& pending = queries_[id];
    pending.node = node;
    pending.reply = std::move(reply);
    pending.deadline = clock_.make_timer();
    pending.deadline->async_wait_for(kQueryDeadline, [this, id](std::error_code wait_ec) {
        if (wait_ec) return;
        const auto it = queries_.find(id);
        if (it == queries_.end()) return;
        auto late = std::move(it->second);
        queries_.erase(it);
        late.reply(answer(control::error,
                          "node " + late.node + " did not answer within " +
                              std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(kQueryDeadline).count()) +
                              " ms (its ganesha-had down, not yet upgraded, or its heartbeats lost: `ganesha-hactl "
                              "peers` shows when it was last heard)"));
    });
}

void Daemon::on_peer_answer(const std::string& node, std::uint32_t id, const std::string& text) {
    const auto it = queries_.find(id);
    if (it == queries_.end() || it->second.node != node) return;  // late (failed already) or not ours
    auto done = std::move(it->second);
    queries_.erase(it);
    done.deadline->cancel();
    json response = json::parse(text, nullptr, false);
    if (!response.is_object() || !response.contains("result"))
        return done.reply(answer(control::error, "node " + node + " answered something that is not a control answer"));
    done.reply(response);
}

void Daemon::on_peer_query(const std::string& node, std::uint32_t id, const std::string& text) {
    json response;
    const json request = json::parse(text, nullptr, false);
    const auto it = request.is_object() && request.contains("command") && request["command"].is_string()
                        ? remotable_.find(request["command"].get<std::string>())
                        : remotable_.end();
    if (it == remotable_.end()) {
        response = answer(control::error, "not a read-only command this node answers for others");
    } else if (request.contains("arguments") &&
               (!request["arguments"].is_object() || request["arguments"].contains("node"))) {
        response = answer(control::error, "arguments must be an object without node (no relays)");
    } else {
        control::Request r{it->first, request.value("arguments", json::object())};
        try {
            response = it->second(r, kPeerCaller);
        } catch (const std::exception& e) {
            response = answer(control::error, r.command + ": " + e.what());
        }
    }
    std::string out = response.dump(-1, ' ', false, json::error_handler_t::replace);
    if (out.size() > kMaxQueryAnswerBytes)
        out = answer(control::error, "the answer of " + std::to_string(out.size()) + " bytes is larger than " +
                                         std::to_string(kMaxQueryAnswerBytes) +
                                         " bytes, the bound for another node: ask for less (events: limit)")
                  .dump();
    if (const auto ec = heartbeats_->answer_query(node, id, out))
        log::warning("cannot answer " + node + "'s query: " + ec.message());
}

void Daemon::fail_pending_queries(const std::string& why) {
    auto pending = std::move(queries_);
    queries_.clear();
    for (auto& [id, q] : pending) {
        q.deadline->cancel();
        q.reply(answer(control::error, "cannot ask " + q.node + ": " + why));
    }
}

std::uint32_t Daemon::first_query_id() { return std::random_device{}(); }

}  // namespace gha

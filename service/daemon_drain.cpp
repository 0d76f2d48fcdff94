// Drain (issue 14): an operator's drain is kept in the CIB as a permanent
// node attribute (HA_DRAINED_ATTR), so it survives restarts of this daemon
// and of Pacemaker, and `ganesha-hactl cluster drain NODE` sets it from any
// node. This daemon reads its own node's value every 2 s (NodeAttributesWatch) and
// runs the drain and undrain pipelines on its edges only. Its own `drain`
// command writes the attribute for this node as the pipeline's first step.
//
// The ganesha_mon agent's stop drains too (`drain by=agent`), without the
// CIB: its start (`undrain by=agent`) must not end an operator's drain.
#include "service/daemon.hpp"
#include "service/log.hpp"

namespace gha {

using control::answer;
using control::Caller;
using control::Request;
using nlohmann::json;

NodeAttributesWatch::Callbacks Daemon::attribute_callbacks() {
    NodeAttributesWatch::Callbacks callbacks;
    callbacks.changed = [this](const NodeAttributes& attributes) {
        if (stopping_) return;
        on_drain_attribute(attributes);
        on_move_requests(attributes);
    };
    callbacks.failed = [this](const std::string& why) {
        log::warning("cannot read this node's permanent attributes (" + config_.drained_attr + "): " + why,
                     {{"action", "drain"}, {"node", config_.node}});
        events_.add("drain", config_.node, "cannot read " + config_.drained_attr + " in the CIB: " + why);
    };
    // A healthy nfsd waited for this read before serving (react_to_verdict).
    callbacks.answered = [this] {
        if (!stopping_) react_to_verdict();
    };
    return callbacks;
}

void Daemon::on_drain_attribute(const NodeAttributes& attributes) {
    const auto value = attributes.find(config_.drained_attr);
    const bool drained = value != attributes.end() && attribute_true(value->second);
    if (drains_.holds(DrainSource::operator_request) == drained) return;
    const std::string why = config_.drained_attr + (drained ? "=" + value->second : " absent") + " in the CIB";
    log::notice(std::string(drained ? "drained" : "undrained") + " by the operator: " + why,
                {{"action", drained ? "drain" : "undrain"}, {"node", config_.node}});
    events_.add("drain", config_.node, std::string(drained ? "drained" : "undrained") + " (" + why + ")",
                {{"drained", drained}, {"by", "operator"}});
    set_drained(DrainSource::operator_request, drained);
}

// Runs `first` (the attribute's write, if any) and the drain or undrain
// steps when the node's drained state changes. nullopt: it does not (or
// there is nothing to run).
std::optional<std::uint64_t> Daemon::set_drained(DrainSource source, bool on, std::vector<Step> first) {
    metrics_.drained(to_string(source), on);
    std::optional<std::uint64_t> id;
    if (!drains_.set(source, on)) return id;
    if (on) {
        id = failover_.drain(std::move(first));
    } else {
        id = failover_.undrain(nfsd_healthy_ == true, std::move(first));
    }
    announce();  // the peers stop (or start again) counting on this node as a taker
    if (!on) claim_failed_vips();
    return id;
}

// The watch reads again once the write is over (see node_attributes_watch.hpp).
void Daemon::track_attribute_write(std::uint64_t id, const std::string& name, std::optional<std::string> value) {
    const auto record = pipelines_.record(id);
    if (record && finished(record->state)) {  // ended within submit(): a duplicate, or no cluster at all
        attributes_watch_.wrote(record->state == PipelineState::succeeded, name, value);
        return;
    }
    attribute_writes_[id] = {name, std::move(value)};
}

void Daemon::attribute_write_finished(const PipelineRecord& record) {
    if (!finished(record.state)) return;
    const auto write = attribute_writes_.find(record.id);
    if (write == attribute_writes_.end()) return;
    attributes_watch_.wrote(record.state == PipelineState::succeeded, write->second.name, write->second.value);
    attribute_writes_.erase(write);
}

json Daemon::drain_json() const {
    json by = json::array();
    for (const auto source : {DrainSource::operator_request, DrainSource::agent})
        if (drains_.holds(source)) by.push_back(to_string(source));
    const auto cib = attributes_watch_.value(config_.drained_attr);
    const json in_cib = attributes_watch_.attributes() ? json(cib && attribute_true(*cib)) : json(nullptr);
    return {{"by", by}, {"attribute", config_.drained_attr}, {"in_cib", in_cib}};
}

json Daemon::drain_command(const Request& request, bool drain) {
    const auto& args = request.arguments;
    const std::string verb = drain ? "drain" : "undrain";
    if (args.contains("by") && !args["by"].is_string())
        return answer(control::error, verb + ": by must be a string, not " + args["by"].dump().substr(0, 32));
    const std::string by = args.value("by", std::string("operator"));
    if (by != "operator" && by != "agent")
        return answer(control::error, verb + ": by must be operator or agent, not '" + by.substr(0, 32) + "'");
    const std::string& node = config_.node;
    if (by == "agent") {
        const auto id = set_drained(DrainSource::agent, drain);
        if (id) return pipeline_answer(*id, verb);
        return answer(control::success, node + ": " + verb + " by the agent: nothing changes (" +
                                            (drains_.drained() ? "drained by the operator" : "not drained") + ")",
                      {{"drain", drain_json()}});
    }
    // Already so, in the CIB as last read and here: success, nothing runs.
    const auto cib = attributes_watch_.value(config_.drained_attr);
    if (attributes_watch_.attributes() && (cib && attribute_true(*cib)) == drain &&
        drains_.holds(DrainSource::operator_request) == drain)
        return answer(control::success,
                      node + (drain ? " is already drained (" + config_.drained_attr + "=1 in the CIB)"
                                    : " is not drained (no " + config_.drained_attr + " in the CIB)"),
                      {{"drain", drain_json()}});
    const std::optional<std::string> value = drain ? std::optional<std::string>("1") : std::nullopt;
    for (const auto& [id, write] : attribute_writes_)  // the same write under way: follow that one
        if (write.name == config_.drained_attr && write.value == value) return pipeline_answer(id, verb);
    Step write = drain ? pacemaker_.set_permanent_attribute(node, config_.drained_attr, "1")
                       : pacemaker_.delete_permanent_attribute(node, config_.drained_attr);
    write.timeout = config_.action_timeout;
    write.attempts = config_.action_attempts;
    std::vector<Step> first;
    first.push_back(write);
    attributes_watch_.writing();
    auto id = set_drained(DrainSource::operator_request, drain, std::move(first));
    // The write rides on the drain pipeline when the node's state changes;
    // when it does not, or that pipeline was dropped as a duplicate of one
    // already running, it runs alone (its own target: it must not replace
    // a queued failover pipeline of this node, nor be replaced by one).
    const auto record = id ? pipelines_.record(*id) : std::nullopt;
    if (!record || record->state == PipelineState::duplicate || record->state == PipelineState::superseded)
        id = pipelines_.submit({verb, node + " " + config_.drained_attr, {std::move(write)}});
    track_attribute_write(*id, config_.drained_attr, value);
    events_.add("drain", node, verb + " asked on this node: writing " + config_.drained_attr + " to the CIB",
                {{"drained", drain}, {"by", "operator"}, {"pipeline", *id}});
    return pipeline_answer(*id, verb);
}

void Daemon::register_drain_commands() {
    registry_.add("drain",
                  "move this node's VIP away gracefully and keep it away, also across restarts (" +
                      config_.drained_attr + "=1 in the CIB); by=agent: ganesha_mon's stop, not kept",
                  true, [this](const Request& request, const Caller&) { return drain_command(request, true); });
    registry_.add("undrain", "end this node's drain; its VIP comes back when its nfsd is healthy; by=agent: "
                             "ganesha_mon's start (an operator's drain stays)",
                  true, [this](const Request& request, const Caller&) { return drain_command(request, false); });
}

}  // namespace gha

// A VIP changing hands (the trigger resource's agent, ganesha_handover, calls
// these from Pacemaker's transition: Pacemaker stops a VIP, then its trigger
// on the node that gave it up, then starts the trigger on the node that takes
// it, then the VIP there):
//
//   release-vip  on the node that gave the VIP up, with ganesha still
//                running: the clients that were connected to the VIP (its
//                TCP connections, from sock_diag) are looked up in this
//                node's recovery records and released one by one (grace
//                event release-ip with the client's owner: ganesha matches
//                release-ip against the owner string, which for an NFSv4.1
//                client holds no server address). Their opens and locks are
//                gone from the backend before they reclaim on the new node.
//   take-vip     on the node taking the VIP: its ganesha enters a take-ip
//                grace for the records of the VIP's last holder (unless it
//                already holds that grace), and this node becomes the holder.
#include <sys/stat.h>

#include "actions/recovery_records.hpp"
#include "actions/tcp_peers.hpp"
#include "service/daemon.hpp"

namespace gha {

using nlohmann::json;
using control::answer;

namespace {
constexpr std::size_t kMaxReleased = 256;  // release-ip calls in one pipeline
}

std::string Daemon::recovery_dir() const {
    return config_.layout.ha_vol_mnt + "/nfs-ganesha/" + config_.node + "/nfs/ganesha/v4recov";
}

std::optional<std::string> Daemon::node_of_vip(const std::string& vip) const {
    for (const auto& [name, address] : config_.vips)
        if (address == vip) return name;
    return std::nullopt;
}

json Daemon::release_vip(const std::string& vip) {
    if (!node_of_vip(vip)) return answer(control::error, "release-vip: " + vip.substr(0, 64) + " is no node's VIP");
    if (verdict().code == NfsdVerdict::not_running)
        return answer(control::success, "release-vip: ganesha.nfsd is not running here; it holds no state for " + vip,
                      {{"address", vip}, {"released", json::array()}});
    std::error_code ec;
    const auto clients = tcp_peers(vip, config_.nfsd_address.port, ec);
    if (ec) return answer(control::error, "release-vip: cannot list the connections to " + vip + ": " + ec.message());
    std::error_code rec;
    const auto records = read_recovery_records(recovery_dir(), rec);
    if (rec && records.empty())
        return answer(control::error, "release-vip: cannot read " + recovery_dir() + ": " + rec.message());
    auto owners = owners_of(records, clients);
    if (owners.size() > kMaxReleased) owners.resize(kMaxReleased);
    json clients_json = clients, owners_json = owners;
    if (owners.empty())
        return answer(control::success,
                      "release-vip: no client of " + vip + " has state here (" + std::to_string(clients.size()) +
                          " connection(s), none with a record)",
                      {{"address", vip}, {"clients", clients_json}, {"released", json::array()}});
    events_.add("handover", "release-vip",
                "releasing " + std::to_string(owners.size()) + " client(s) of " + vip + ": " + owners_json.dump(),
                {{"address", vip}, {"clients", clients_json}, {"owners", owners_json}});
    return pipeline_answer(failover_.release_clients(vip, owners), "release-vip");
}

json Daemon::take_vip(const std::string& vip) {
    const auto home = node_of_vip(vip);
    if (!home) return answer(control::error, "take-vip: " + vip.substr(0, 64) + " is no node's VIP");
    std::error_code ec;
    const std::string holder = holders_.holder(vip, ec).value_or(*home);
    if (ec) return answer(control::error, "take-vip: cannot read the holder of " + vip + ": " + ec.message());
    auto record_holder = [this, vip]() {
        if (auto e = holders_.set_holder(vip, config_.node))
            return answer(control::error, "take-vip: cannot record this node as the holder of " + vip + ": " + e.message());
        return answer(control::success, "take-vip: " + config_.node + " holds " + vip, {{"address", vip}});
    };
    if (holder == config_.node) return record_holder();
    const auto holder_vip = config_.vips.find(holder);
    if (holder_vip == config_.vips.end())
        return answer(control::error, "take-vip: the last holder of " + vip + ", '" + holder.substr(0, 64) +
                                          "', is not in HA_CLUSTER_NODES");
    json grace = grace_command(GraceEvent::take_ip, holder_vip->second);
    if (grace.value("result", 1) != control::success) return grace;
    const auto& args = grace.value("arguments", json::object());
    if (args.value("already", false)) return record_holder();
    if (!args.contains("id")) return grace;
    const auto id = args["id"].get<std::uint64_t>();
    const auto record = pipelines_.record(id);
    if (record && finished(record->state)) {
        if (record->state != PipelineState::succeeded) return grace;
        return record_holder();
    }
    pending_takes_[id] = vip;
    events_.add("handover", "take-vip",
                "taking " + vip + ": grace for the records of its last holder " + holder + " (" +
                    holder_vip->second + ")",
                {{"address", vip}, {"holder", holder}});
    return grace;
}

void Daemon::take_pipeline_finished(const PipelineRecord& record) {
    const auto it = pending_takes_.find(record.id);
    if (it == pending_takes_.end() || !finished(record.state)) return;
    const std::string vip = it->second;
    pending_takes_.erase(it);
    if (record.state != PipelineState::succeeded) return;
    if (auto e = holders_.set_holder(vip, config_.node))
        events_.add("handover", "take-vip", "cannot record this node as the holder of " + vip + ": " + e.message());
}

void Daemon::register_handover_commands() {
    auto address_of = [](const control::Request& request) {
        const auto& args = request.arguments;
        if (args.contains("address") && args["address"].is_string()) return args["address"].get<std::string>();
        if (args.contains("args") && args["args"].is_array() && !args["args"].empty() && args["args"][0].is_string())
            return args["args"][0].get<std::string>();
        return std::string();
    };
    registry_.add("release-vip",
                  "the VIP left this node: release its clients' state in the local ganesha; arguments: address", true,
                  [this, address_of](const control::Request& request, const control::Caller&) {
                      return release_vip(address_of(request));
                  });
    registry_.add("take-vip",
                  "the VIP arrives on this node: grace for its last holder's records first; arguments: address", true,
                  [this, address_of](const control::Request& request, const control::Caller&) {
                      return take_vip(address_of(request));
                  });
}

}  // namespace gha

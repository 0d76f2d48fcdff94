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

std::string Daemon::recovery_dir() const { return recovery_dir_of(config_.node); }

std::optional<std::string> Daemon::node_of_vip(const std::string& vip) const {
    for (const auto& [name, address] : config_.vips)
        if (address == vip) return name;
    return std::nullopt;
}

json Daemon::release_vip(const std::string& vip) {
    const auto home = node_of_vip(vip);
    if (!home) return answer(control::error, "release-vip: " + vip.substr(0, 64) + " is no node's VIP");
    flaps_.changed(*home, "its VIP " + vip + " left this node", clock_.now());
    if (verdict().code == NfsdVerdict::not_running)
        return answer(control::success, "release-vip: ganesha.nfsd is not running here; it holds no state for " + vip,
                      {{"address", vip}, {"released", json::array()}});
    std::error_code ec;
    const auto clients = tcp_peers(vip, config_.nfsd_address.port, ec);
    if (ec) return answer(control::error, "release-vip: cannot list the connections to " + vip + ": " + ec.message());
    // (The connections stay: closing them here would reset their clients
    // before the VIP is up anywhere, and they would wait for their SYN
    // retries; the new owner's tickle moves them. What is left here is
    // closed when the VIP comes back: on_local_address.)
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

std::string Daemon::recovery_dir_of(const std::string& node) const {
    return config_.layout.ha_vol_mnt + "/nfs-ganesha/" + node + "/nfs/ganesha/v4recov";
}

// One step: ganesha in a take-ip grace for `address` (the holder's VIP, which
// the agent's link turns into the holder's records). A grace this daemon took
// for that address is reused only while ganesha still reports it is in grace
// (it ends early once every known client reclaimed, and with a restart);
// otherwise grace is requested again and confirmed.
Step Daemon::take_grace_step(const std::string& address) {
    Step step;
    step.name = "grace for the holder's records " + address;
    step.timeout = grace_client_->options().timeout * 3 + std::chrono::milliseconds(500);
    step.attempts = config_.action_attempts;
    std::weak_ptr<GraceClient> weak = grace_client_;
    step.run = [this, weak, address](StepDone done) {
        auto client = weak.lock();
        if (!client) return done({std::make_error_code(std::errc::operation_canceled), "D-Bus client gone"});
        client->get_grace([this, weak, address, done](std::error_code ec, bool in_grace, const std::string& message) {
            if (ec) return done({ec, std::string(dbus_reason(ec)) + ": " + message});
            if (in_grace && grace_held_.count(address))
                return done(StepResult::ok("ganesha already in grace for " + address));
            auto c = weak.lock();
            if (!c) return done({std::make_error_code(std::errc::operation_canceled), "D-Bus client gone"});
            c->grace(GraceEvent::take_ip, address, [this, weak, address, done](std::error_code ec2, const std::string& m) {
                if (ec2) return done({ec2, std::string(dbus_reason(ec2)) + ": " + m});
                auto c2 = weak.lock();
                if (!c2) return done({std::make_error_code(std::errc::operation_canceled), "D-Bus client gone"});
                c2->get_grace([this, address, done](std::error_code ec3, bool now_in_grace, const std::string& m3) {
                    if (ec3) return done({ec3, std::string(dbus_reason(ec3)) + ": " + m3});
                    if (!now_in_grace)
                        return done({make_error_code(DbusErrc::refused), "ganesha reports it is not in grace"});
                    grace_held_[address] = {node_of_vip(address).value_or(""), clock_.now()};
                    announce();
                    update_vip_readiness(false);
                    expire_grace_held();
                    done(StepResult::ok("ganesha in grace for " + address + " (confirmed)"));
                });
            });
        });
    };
    return step;
}

json Daemon::take_vip(const std::string& vip) {
    const auto home = node_of_vip(vip);
    if (!home) return answer(control::error, "take-vip: " + vip.substr(0, 64) + " is no node's VIP");
    flaps_.changed(*home, "its VIP " + vip + " came to this node", clock_.now());
    std::error_code ec;
    const std::string holder = holders_.holder(vip, ec).value_or(*home);
    if (ec) return answer(control::error, "take-vip: cannot read the holder of " + vip + ": " + ec.message());
    Step record;
    record.name = "record " + config_.node + " as the holder of " + vip;
    record.run = [this, vip](StepDone done) {
        if (auto e = holders_.set_holder(vip, config_.node))
            return done({e, "cannot write " + holders_.dir() + "/" + vip + ": " + e.message()});
        done(StepResult::ok(config_.node + " holds " + vip));
    };
    std::vector<Step> steps;
    std::string why = "it held it last";
    if (holder != config_.node) {
        const auto holder_vip = config_.vips.find(holder);
        if (holder_vip == config_.vips.end())
            return answer(control::error, "take-vip: the last holder of " + vip + ", '" + holder.substr(0, 64) +
                                              "', is not in HA_CLUSTER_NODES");
        // No records, nobody to reclaim: no grace (a cold start moves VIPs
        // around before any client came).
        std::error_code rec;
        const auto records = read_recovery_records(recovery_dir_of(holder), rec);
        if (!records.empty() || (rec && rec != std::errc::no_such_file_or_directory)) {
            steps.push_back(take_grace_step(holder_vip->second));
            why = "grace for the records of its last holder " + holder + " (" + std::to_string(records.size()) +
                  " record(s))";
        } else {
            why = "its last holder " + holder + " has no client records: no grace needed";
        }
    }
    steps.push_back(std::move(record));
    events_.add("handover", "take-vip", "taking " + vip + ": " + why, {{"address", vip}, {"holder", holder}});
    return pipeline_answer(pipelines_.submit({"take-vip", "take " + vip, std::move(steps)}), "take-vip");
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

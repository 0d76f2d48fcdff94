#include "service/nfsd_verdict.hpp"

namespace gha {

bool means_not_running(const std::string& reason) {
    return reason == "no-pidfile" || reason == "stale-pidfile" || reason == "exited";
}

NfsdVerdict nfsd_verdict(const std::vector<MonitorStatus>& monitors) {
    if (monitors.empty()) return {NfsdVerdict::failed, "no monitor is enabled", false};
    // "not running" wins: Pacemaker must see 7 for a dead server, whatever
    // the slower monitors have not noticed yet.
    bool process_alive = false;
    for (const auto& m : monitors) {
        if (m.health == Health::unhealthy && means_not_running(m.last.reason))
            return {NfsdVerdict::not_running, m.name + ": " + m.last.detail};
        process_alive = process_alive || (m.kind == "pid" && m.health == Health::healthy);
    }
    // Nobody listening and no live process known: not running. With a live
    // process, a refused port is a broken server (1), not a stopped one.
    for (const auto& m : monitors)
        if (m.health == Health::unhealthy && m.last.reason == "refused" && !process_alive)
            return {NfsdVerdict::not_running, m.name + ": " + m.last.detail};
    for (const auto& m : monitors)
        if (m.health == Health::unhealthy)
            return {NfsdVerdict::failed, m.name + ": " + m.last.reason + ": " + m.last.detail};
    for (const auto& m : monitors)
        if (m.health == Health::unknown) return {NfsdVerdict::failed, m.name + ": not probed yet", false};
    return {NfsdVerdict::running, "ganesha.nfsd is healthy"};
}

bool nfsd_hung(const std::vector<MonitorStatus>& monitors) {
    if (nfsd_verdict(monitors).code != NfsdVerdict::failed) return false;
    const MonitorStatus* pid = nullptr;
    for (const auto& m : monitors)
        if (m.kind == "pid") pid = &m;
    if (!pid || pid->health != Health::healthy) return false;
    // pid->last_change: when this process was first seen alive. A probe
    // unhealthy since before then judged no process or an earlier one.
    for (const auto& m : monitors)
        if (&m != pid && m.health == Health::unhealthy && m.last.reason != "server-exited" &&
            m.last_change >= pid->last_change)
            return true;
    return false;
}

}  // namespace gha

// The daemon's NFSv4 server scope: read from the local ganesha.conf
// (HA_GANESHA_CONF) at start and on reload, sent to the peers as a
// fingerprint in every heartbeat, and compared with theirs. NFSv4.1 clients
// reclaim their state only from a server with the same scope, so a node
// whose scope differs from ours would strand our clients there (and theirs
// here). A file that is missing or unparsable, or has no Server_Scope, is a
// warning event, not a refusal to start: the fingerprint is then 0
// ("unknown") and every heard peer shows a mismatch.
#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "ganesha_conf/check.hpp"
#include "service/daemon.hpp"
#include "service/log.hpp"

namespace gha {
namespace {

std::string fingerprint_text(std::uint64_t v) {
    if (v == 0) return "unknown";
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "%016" PRIx64, v);
    return buffer;
}

}  // namespace

void Daemon::load_server_scope() {
    const auto checked = ganesha_conf::check_file(config_.ganesha_conf);
    const auto& r = checked.result;
    std::optional<std::string> scope = r.server_scope;
    std::string problem;
    if (!checked.readable) {
        problem = r.findings.empty() ? config_.ganesha_conf + ": cannot be read" : r.findings.front().to_string();
    } else if (!scope) {
        for (const auto& f : r.findings)
            if (f.parameter == "NFSV4.Server_Scope") problem = f.to_string();
    }
    set_grace_held_for(checked.readable ? r.grace_period_s : std::nullopt);
    const std::uint64_t fingerprint = scope ? ganesha_conf::scope_fingerprint(*scope) : 0;
    const bool changed = fingerprint != scope_fingerprint_ || problem != scope_problem_ || !scope_loaded_;
    server_scope_ = scope;
    scope_fingerprint_ = fingerprint;
    scope_problem_ = problem;
    scope_loaded_ = true;
    if (!changed) return;
    if (!problem.empty()) {
        log::warning("server scope unknown: " + problem, {{"node", config_.node}, {"monitor", "peer"}});
        events_.add("daemon", "server-scope", "unknown: " + problem, {{"file", config_.ganesha_conf}});
    } else {
        log::notice("server scope \"" + *scope + "\" from " + config_.ganesha_conf + " (fingerprint " +
                        fingerprint_text(fingerprint) + ")",
                    {{"node", config_.node}});
        events_.add("daemon", "server-scope", "\"" + *scope + "\" from " + r.server_scope_where.to_string(),
                    {{"fingerprint", fingerprint_text(fingerprint)}, {"file", config_.ganesha_conf}});
    }
    if (heartbeats_) {
        announce();
        for (const auto& peer : heartbeats_->peers()) note_peer_scope(peer);
    }
}

// A take-ip grace counts as held for ganesha's Grace_Period less a second
// (the pipeline reports it a little after ganesha started it), at least a
// second; ganesha's default while the file does not tell.
void Daemon::set_grace_held_for(std::optional<unsigned> grace_period_s) {
    using std::chrono::seconds;
    const Duration held =
        grace_period_s ? std::max<Duration>(seconds(1), seconds(*grace_period_s) - seconds(1)) : Duration(kGraceHeldFor);
    if (held == grace_held_for_) return;
    grace_held_for_ = held;
    log::info("a take-ip grace counts as held for " + std::to_string(std::chrono::duration_cast<seconds>(held).count()) +
                  " s (NFSV4.Grace_Period " +
                  (grace_period_s ? std::to_string(*grace_period_s) + " s in " + config_.ganesha_conf
                                  : "unknown: ganesha's default " + std::to_string(kGraceHeldFor.count()) + " s") +
                  ")",
              {{"node", config_.node}});
    expire_grace_held();
}

bool Daemon::scope_mismatch(const PeerStatus& peer) const {
    if (!peer.heard) return false;  // nothing known yet; silence is GaneshaHaPeerLost's
    return scope_fingerprint_ == 0 || peer.scope_fingerprint == 0 || peer.scope_fingerprint != scope_fingerprint_;
}

void Daemon::note_peer_scope(const PeerStatus& peer) {
    const bool mismatch = scope_mismatch(peer);
    auto [it, inserted] = scope_mismatch_.try_emplace(peer.node, false);
    if (!inserted && it->second == mismatch) return;
    if (inserted && !mismatch) return;  // matching from the start: nothing to tell
    it->second = mismatch;
    const std::string theirs = fingerprint_text(peer.scope_fingerprint), ours = fingerprint_text(scope_fingerprint_);
    const std::string text =
        mismatch ? "server scope differs: theirs " + theirs + ", ours " + ours +
                       " (NFSv4.1 clients cannot reclaim their state across a failover between us; compare "
                       "`ganesha-hactl ganesha-conf check` on both nodes)"
                 : "server scope matches again (" + ours + ")";
    events_.add("peer", peer.node, text, {{"theirs", theirs}, {"ours", ours}, {"mismatch", mismatch}});
    log::write(mismatch ? log::Level::warning : log::Level::notice, "peer " + peer.node + " " + text,
               {{"monitor", "peer"}, {"node", config_.node}, {"result", mismatch ? "scope-mismatch" : "scope-match"}});
}

nlohmann::json Daemon::scope_json(const PeerStatus& peer) const {
    return {{"server_scope_fingerprint", peer.heard ? nlohmann::json(fingerprint_text(peer.scope_fingerprint))
                                                    : nlohmann::json(nullptr)},
            {"server_scope_mismatch", scope_mismatch(peer)}};
}

nlohmann::json Daemon::local_scope_json() const {
    return {{"server_scope", server_scope_ ? nlohmann::json(*server_scope_) : nlohmann::json(nullptr)},
            {"server_scope_fingerprint", fingerprint_text(scope_fingerprint_)},
            {"server_scope_problem", scope_problem_},
            {"ganesha_conf", config_.ganesha_conf}};
}

}  // namespace gha

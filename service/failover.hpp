// The pipelines that turn a local nfsd failure, a recovery, an operator's
// drain or a peer's failure into Pacemaker and D-Bus operations, in the order
// that keeps client locks safe: the survivors enter grace before this node
// gives up its VIP (DESIGN.md's invariant), and the VIP comes back only
// after grace-active and ganesha-active are set again.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "actions/grace_steps.hpp"
#include "actions/nfsd_fence.hpp"
#include "actions/pacemaker_actions.hpp"
#include "actions/pipeline.hpp"
#include "service/config.hpp"

namespace gha {

class Failover {
public:
    // `fence` may be null (no fence step, as with HA_NFSD_FENCE=none).
    Failover(const Config& config, Clock& clock, PipelineRunner& runner, PacemakerActions& pacemaker,
             GraceSteps* grace, NfsdFence* fence = nullptr);
    ~Failover();

    // Local nfsd down: clear grace-active (only without peer heartbeats:
    // with them it stays, and is set again at the end if it went missing),
    // wait for the survivors' grace
    // (ended early by confirm_grace(), at most HA_GRACE_DELAY), wait for the
    // drop table (set_drop_check), fence a hung
    // nfsd (its locks must be free before the clients reclaim elsewhere; a
    // fence that fails stops the pipeline here, the VIP stays), clear
    // ganesha-active (Pacemaker moves the VIP), create the trigger.
    // `nfsd_down`: false for an operator's failover of a healthy nfsd (the
    // heartbeats do not tell the takers of it).
    std::uint64_t local_down(const std::string& why, bool nfsd_down = true);
    // Local nfsd healthy again: grace-active=1, ganesha-active=1, delete the
    // trigger: the VIP fails back.
    std::uint64_t local_up(const std::string& why);
    // Operator: the same order as local_down without anything being broken
    // (no fence, no trigger); local_up does not run while drained. `first`
    // runs before (the write of the persistent drain attribute, when the
    // drain is asked on this node). undrain runs `first` alone while the
    // nfsd is not healthy (nullopt when there is nothing to run at all).
    std::uint64_t drain(std::vector<Step> first = {});
    std::optional<std::uint64_t> undrain(bool nfsd_healthy, std::vector<Step> first = {});
    bool drained() const { return drained_; }
    // A peer went away: put the local ganesha into grace for its address.
    std::uint64_t peer_grace(GraceEvent event, const std::string& address);
    // A VIP left this node: release-ip, one client owner at a time.
    std::uint64_t release_clients(const std::string& vip, const std::vector<std::string>& owners);
    // A survivor confirmed it holds grace for us (peer heartbeats).
    void confirm_grace(const std::string& from);
    // Asked when the wait starts: a confirmation that is already there ends
    // it at once. Returns who confirmed, or nullopt to wait. `pending` names
    // the survivors still not confirmed, for the record when the wait ends
    // at HA_GRACE_DELAY without them.
    void set_confirmation_check(std::function<std::optional<std::string>()> check,
                                std::function<std::string()> pending = nullptr);
    // With a check, the fence waits for it (at most HA_ACTION_TIMEOUT): it
    // returns why the fence may go on (the drop table is in place, or is not
    // wanted, or nft failed), nullopt to wait. drop_changed() asks it again.
    void set_drop_check(std::function<std::optional<std::string>()> check);
    void drop_changed();

    // Compares this node's attributes with what its state calls for and runs
    // the matching pipeline when they differ: attributes are transient in
    // Pacemaker (gone when it restarts) and an action may have failed while
    // the cluster was not up yet.
    enum class Reconciled { in_sync, started, busy, no_cluster };
    void reconcile(bool nfsd_healthy, std::function<void(Reconciled)> done = {});

    void update(const Config& config) { config_ = config; }

private:
    std::vector<Step> going_away_steps(bool failing, bool nfsd_down);
    bool keeps_grace_active(bool nfsd_down) const;
    bool marks_dead_ip() const;
    Step wait_for_survivors();
    Step wait_for_drop();

    Config config_;
    Clock& clock_;
    PipelineRunner& runner_;
    PacemakerActions& pacemaker_;
    GraceSteps* grace_;
    NfsdFence* fence_;
    bool drained_ = false;
    struct Waiter;
    std::shared_ptr<Waiter> waiter_;       // the takers' grace
    std::shared_ptr<Waiter> drop_waiter_;  // the drop table, before a fence
    std::function<std::string()> pending_;  // the takers not confirmed yet, for the record
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gha

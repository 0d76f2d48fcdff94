#include "service/failover.hpp"

namespace gha {

// A wait in the failover path: it ends as soon as its condition holds
// (asked when the step starts and at every notice), at its bound otherwise.
// Two: the takers' grace (HA_GRACE_DELAY bounds it when no confirmation can
// be had) and the drop table before a fence.
struct Failover::Waiter {
    std::unique_ptr<Timer> timer;
    StepDone done;
    std::function<std::optional<std::string>()> check;  // why the wait may end now; nullopt: go on waiting
    std::function<std::string()> at_bound;              // the record when the bound ends it
    void finish(StepResult result) {
        if (!done) return;
        auto d = std::move(done);
        done = nullptr;
        timer->cancel();
        d(std::move(result));
    }
    // Asks the check again: a condition that holds now ends the wait.
    void poll() {
        if (done && check)
            if (auto why = check()) finish(StepResult::ok(*why));
    }
    // The step: waits for the check at most `bound`; the step's own timeout
    // is only a backstop.
    static Step step(const std::shared_ptr<Waiter>& waiter, std::string name, std::chrono::milliseconds bound) {
        Step step;
        step.name = std::move(name);
        step.timeout = bound + std::chrono::seconds(5);
        std::weak_ptr<Waiter> weak = waiter;
        step.run = [weak, bound](StepDone done) {
            auto w = weak.lock();
            if (!w) return;
            w->finish({std::make_error_code(std::errc::operation_canceled), "superseded by a newer wait"});
            w->done = std::move(done);
            w->timer->async_wait_for(bound, [weak](std::error_code ec) {
                auto self = weak.lock();
                if (ec || !self) return;
                self->finish(StepResult::ok(self->at_bound ? self->at_bound() : std::string("waited")));
            });
            w->poll();
        };
        return step;
    }
};

Failover::Failover(const Config& config, Clock& clock, PipelineRunner& runner,
                   PacemakerActions& pacemaker, GraceSteps* grace, NfsdFence* fence)
    : config_(config), clock_(clock), runner_(runner), pacemaker_(pacemaker), grace_(grace), fence_(fence),
      waiter_(std::make_shared<Waiter>()), drop_waiter_(std::make_shared<Waiter>()) {
    waiter_->timer = clock_.make_timer();
    drop_waiter_->timer = clock_.make_timer();
}

Failover::~Failover() {
    waiter_->done = nullptr;
    drop_waiter_->done = nullptr;
    *alive_ = false;
}

// Retries and timeouts for every Pacemaker step come from the configuration.
static Step bounded(Step step, const Config& config) {
    step.timeout = config.action_timeout;
    step.attempts = config.action_attempts;
    return step;
}

Step Failover::wait_for_survivors() {
    const auto delay = config_.grace_delay;
    waiter_->at_bound = [this, delay] {  // the waiter lives no longer than this
        const std::string missing = pending_ ? pending_() : std::string();
        return "no confirmation" + (missing.empty() ? "" : " from " + missing) + "; waited HA_GRACE_DELAY " +
               std::to_string(delay.count()) + " ms";
    };
    return Waiter::step(waiter_, "wait for the takers' grace", delay);
}

// The fence must not close the hung server's client connections: its FIN or
// RST would reach them, they would reconnect at once to the VIP still here
// (dropped) and, once it moved, wait for their SYN back-off (1 s) where a
// tickle would have reset them at once. The daemon applies the drop table
// at the verdict (one nft child, tens of ms), so this wait is usually over
// when it starts; it was not once the takers' grace came within 3 ms of the
// verdict (CI, the hang test: the client wrote again 1.6 s after the VIP
// moved). Bounded by nft's own timeout: a fence matters more than a client's
// second, so a table that never comes does not stop it.
Step Failover::wait_for_drop() {
    const auto bound = config_.action_timeout;
    drop_waiter_->at_bound = [bound] {
        return "not confirmed within " + std::to_string(bound.count()) + " ms; fencing without it";
    };
    return Waiter::step(drop_waiter_, "wait for the drop table", bound);
}

void Failover::set_drop_check(std::function<std::optional<std::string>()> check) {
    drop_waiter_->check = std::move(check);
}

void Failover::drop_changed() { drop_waiter_->poll(); }

void Failover::set_confirmation_check(std::function<std::optional<std::string>()> check,
                                      std::function<std::string()> pending) {
    waiter_->check = [check = std::move(check)]() -> std::optional<std::string> {
        if (auto who = check ? check() : std::nullopt) return "grace confirmed by " + *who;
        return std::nullopt;
    };
    pending_ = std::move(pending);
}

void Failover::confirm_grace(const std::string& from) {
    waiter_->finish(StepResult::ok("grace confirmed by " + from));
}

// With peer heartbeats a failing node keeps grace-active. Its takers hear
// "nfsd down" in its heartbeat at once and enter grace from that; clearing
// grace-active would only stop this node's nfs-grace instance, whose pre-
// and post-stop notifications on every node (answered "not sent" or
// "already in grace") then ran in the same Pacemaker transitions as the
// VIP's move: the DC dispatched them between the trigger's stop and start
// and before the VIP's start (lab DC logs: 0.25 s of a 3-node failover, one
// notification more per node), and the clearing itself was one more CIB
// change, and one more aborted transition, before ganesha-active's. Without
// heartbeats those notifications are how the survivors learn of the
// failure, so grace-active goes first, as in GlusterFS. A drain keeps the
// GlusterFS order either way (no client is waiting on it).
// An operator's `failover` of a healthy nfsd is not in the heartbeats: there
// the notifications are still how the taker hears of it.
bool Failover::keeps_grace_active(bool nfsd_down) const { return nfsd_down && config_.heartbeat.enabled(); }

// GlusterFS's marker of a failed node, `<node>-dead_ip-1` (a Dummy
// primitive), is made only without peer heartbeats. No agent of ours reads
// it; the heartbeats and `grace-for-<node>` say which node's clients are
// reclaiming, and where. It is a configuration change in the middle of the
// VIP's move: it aborted that transition, the new primitive was probed on
// every node beside the VIP's stop, and at fail-back the removal of its
// history aborted the transition once per node (8-node lab, DC log: the VIP
// stop started 0.58 s later, and the fail-back took 2.6 s of transitions).
bool Failover::marks_dead_ip() const { return !config_.heartbeat.enabled(); }

// The fence sits after the survivors hold grace (the kill frees the locks
// only once a survivor can let their owners reclaim them) and before
// ganesha-active goes (no client reaches the survivor before the locks are
// free). A fence that fails ends the pipeline there: the VIP stays rather
// than move to a server that would refuse its clients' reclaims.
std::vector<Step> Failover::going_away_steps(bool failing, bool nfsd_down) {
    const std::string& node = config_.node;
    const bool keep_grace = keeps_grace_active(failing && nfsd_down);
    std::vector<Step> steps;
    if (!keep_grace)
        steps.push_back(bounded(pacemaker_.delete_attribute(node, config_.grace_active_attr), config_));
    steps.push_back(wait_for_survivors());
    if (failing && fence_)
        if (auto fence = fence_->step()) {
            if (drop_waiter_->check) steps.push_back(wait_for_drop());
            steps.push_back(std::move(*fence));
        }
    steps.push_back(bounded(pacemaker_.delete_attribute(node, config_.ganesha_active_attr), config_));
    if (failing && marks_dead_ip()) steps.push_back(bounded(pacemaker_.create_trigger(node + "-dead_ip-1"), config_));
    // Last, and a no-op when it is already 1 (attrd writes no change): puts
    // it back where it went missing (a restart of Pacemaker or of this
    // daemon while the nfsd was down), so reconcile finds what it expects.
    if (keep_grace)
        steps.push_back(bounded(pacemaker_.set_attribute(node, config_.grace_active_attr, "1"), config_));
    return steps;
}

std::uint64_t Failover::local_down(const std::string& why, bool nfsd_down) {
    (void)why;  // recorded by the caller's event; the pipeline name says enough
    return runner_.submit({"nfsd-down", config_.node, going_away_steps(true, nfsd_down)});
}

std::uint64_t Failover::local_up(const std::string& why) {
    (void)why;
    const std::string& node = config_.node;
    return runner_.submit({"nfsd-up",
                           node,
                           {bounded(pacemaker_.set_attribute(node, config_.grace_active_attr, "1"), config_),
                            bounded(pacemaker_.set_attribute(node, config_.ganesha_active_attr, "1"), config_),
                            bounded(pacemaker_.delete_trigger(node + "-dead_ip-1"), config_)}});
}

std::uint64_t Failover::drain(std::vector<Step> first) {
    drained_ = true;
    for (auto& step : going_away_steps(false, false)) first.push_back(std::move(step));
    return runner_.submit({"drain", config_.node, std::move(first)});
}

std::optional<std::uint64_t> Failover::undrain(bool nfsd_healthy, std::vector<Step> first) {
    drained_ = false;
    const std::string& node = config_.node;
    if (nfsd_healthy) {  // else nothing to bring back until it is
        first.push_back(bounded(pacemaker_.set_attribute(node, config_.grace_active_attr, "1"), config_));
        first.push_back(bounded(pacemaker_.set_attribute(node, config_.ganesha_active_attr, "1"), config_));
    }
    if (first.empty()) return std::nullopt;
    return runner_.submit({"undrain", node, std::move(first)});
}

std::uint64_t Failover::peer_grace(GraceEvent event, const std::string& address) {
    std::vector<Step> steps;
    if (grace_) steps = grace_->grace(event, address);
    for (auto& step : steps) step.attempts = config_.action_attempts;
    return runner_.submit({"grace", "grace " + address, std::move(steps)});
}

std::uint64_t Failover::release_clients(const std::string& vip, const std::vector<std::string>& owners) {
    std::vector<Step> steps;
    for (const auto& owner : owners) {
        if (!grace_) break;
        for (auto& step : grace_->grace(GraceEvent::release_ip, owner)) {
            step.attempts = config_.action_attempts;
            steps.push_back(std::move(step));
        }
    }
    return runner_.submit({"release-vip", "release " + vip, std::move(steps)});
}

}  // namespace gha

namespace gha {

void Failover::reconcile(bool nfsd_healthy, std::function<void(Reconciled)> done) {
    if (runner_.busy(config_.node)) {  // a pipeline is already on it
        if (done) done(Reconciled::busy);
        return;
    }
    const bool serving = nfsd_healthy && !drained_;
    const std::string want = serving ? "1" : "";
    const std::string want_grace = serving || keeps_grace_active(!nfsd_healthy && !drained_) ? "1" : "";
    std::weak_ptr<bool> alive = alive_;
    pacemaker_.query_attribute(config_.node, config_.ganesha_active_attr,
        [this, alive, serving, want, want_grace, done](StepResult error, const std::string& active) {
            if (alive.expired()) return;
            if (error.error) {  // no cluster (yet): the caller checks again soon
                if (done) done(Reconciled::no_cluster);
                return;
            }
            pacemaker_.query_attribute(config_.node, config_.grace_active_attr,
                [this, alive, serving, want, want_grace, active, done](StepResult error2, const std::string& grace) {
                    if (alive.expired()) return;
                    if (error2.error) {
                        if (done) done(Reconciled::no_cluster);
                        return;
                    }
                    if (active == want && grace == want_grace) {
                        if (done) done(Reconciled::in_sync);
                        return;
                    }
                    if (runner_.busy(config_.node)) {
                        if (done) done(Reconciled::busy);
                        return;
                    }
                    if (serving) local_up("reconcile: attributes do not say this node serves");
                    else if (drained_) drain();
                    else local_down("reconcile: attributes say this node serves but its nfsd is not healthy");
                    if (done) done(Reconciled::started);
                });
        });
}

}  // namespace gha

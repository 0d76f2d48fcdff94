#include "actions/nfsd_fence.hpp"

namespace gha {
namespace {

long long whole_ms(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

}  // namespace

NfsdFence::NfsdFence(FenceSettings settings, ProcessKiller& killer, TargetFn target, ReportFn report)
    : settings_(settings), killer_(killer), target_(std::move(target)), report_(std::move(report)) {}

NfsdFence::~NfsdFence() {
    *alive_ = false;
    killer_.cancel();
}

std::optional<Step> NfsdFence::step() {
    if (settings_.mode == FenceMode::none) return std::nullopt;
    Step step;
    step.name = "fence ganesha.nfsd";
    // The killer's own timeout ends an attempt and says so; the pipeline's
    // is only a backstop above it.
    step.timeout = settings_.timeout + std::chrono::milliseconds(1000);
    step.attempts = settings_.attempts;
    std::weak_ptr<bool> alive = alive_;
    step.run = [this, alive](StepDone done) {
        if (alive.expired()) return done({std::make_error_code(std::errc::operation_canceled), "fence gone"});
        run(std::move(done));
    };
    step.abort = [this, alive] {
        if (!alive.expired()) killer_.cancel();
    };
    return step;
}

void NfsdFence::run(StepDone done) {
    const FenceTarget target = target_();
    using State = FenceTarget::State;
    // A drained node gave its VIP away on purpose; its ganesha may be
    // stopped on purpose too (a debugger): never kill it.
    if (target.drained) return done(StepResult::ok("node is drained: ganesha.nfsd not fenced"));
    if (target.state == State::gone) return done(StepResult::ok("ganesha.nfsd already gone (" + target.why + ")"));
    if (target.state == State::healthy) return done(StepResult::ok("ganesha.nfsd is healthy again: not fenced"));
    if (target.state != State::hung || target.pidfd < 0)
        return done(StepResult::ok("no ganesha.nfsd process judged hung (" + target.why + "): not fenced"));

    const int pid = target.pid;
    const std::string who = "ganesha.nfsd pid " + std::to_string(pid);
    const auto timeout = settings_.timeout;
    std::weak_ptr<bool> alive = alive_;
    killer_.kill(target.pidfd, timeout, [this, alive, done, who, pid, timeout](KillResult r) {
        if (alive.expired()) return;
        if (r.already_gone) return done(StepResult::ok(who + " already gone"));
        FenceReport report{pid, FenceReport::Outcome::confirmed, r.waited, {}};
        StepResult result;
        if (!r.error) {
            result = StepResult::ok("fenced " + who + ": exit confirmed after " + std::to_string(whole_ms(r.waited)) +
                                    " ms");
        } else if (r.error == std::errc::timed_out) {
            report.outcome = FenceReport::Outcome::timeout;
            // Typically uninterruptible sleep in the backend file system:
            // SIGKILL stays pending and the locks stay held.
            result = {r.error, "fence of " + who + ": SIGKILL sent, no exit within " +
                                   std::to_string(timeout.count()) + " ms"};
        } else {
            report.outcome = FenceReport::Outcome::failed;
            result = {r.error, "fence of " + who + " failed: pidfd_send_signal: " + r.error.message()};
        }
        report.message = result.detail;
        if (report_) report_(report);
        done(std::move(result));
    });
}

}  // namespace gha

// The fence step of the failover pipeline: a ganesha.nfsd that is alive but
// hung still holds its clients' byte-range locks on the backend, so their
// reclaim on the survivor that takes the VIP would be refused. The step
// SIGKILLs that exact process (through the pid monitor's pidfd) and waits for
// its exit, after the survivors hold grace and before the VIP is released.
//
// It decides at the time it runs, not when the failover began: only a
// process still judged hung is killed. Drained nodes, servers that recovered
// and processes that already exited are left alone (the step succeeds and
// says why).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actions/fence_settings.hpp"
#include "actions/pipeline.hpp"
#include "actions/process_killer.hpp"

namespace gha {

// What the node knows about its ganesha.nfsd when the step runs.
struct FenceTarget {
    enum class State {
        hung,     // the pid monitor sees the process alive, a probe judged it unhealthy
        healthy,  // the verdict is healthy (again)
        gone,     // the process exited
        unknown,  // nothing judged a live process hung (pid monitor off, not probed yet, restarting)
    };
    State state = State::unknown;
    bool drained = false;
    int pid = 0;
    int pidfd = -1;   // borrowed from the pid monitor: the process that was judged
    std::string why;  // the verdict, for the record
};

struct FenceReport {
    enum class Outcome { confirmed, timeout, failed };
    int pid = 0;
    Outcome outcome = Outcome::failed;
    Duration waited{};
    std::string message;  // the step's detail
};

class NfsdFence {
public:
    using TargetFn = std::function<FenceTarget()>;
    using ReportFn = std::function<void(const FenceReport&)>;

    // `target` is asked at every attempt; `report` hears every kill (not the skips).
    NfsdFence(FenceSettings settings, ProcessKiller& killer, TargetFn target, ReportFn report = {});
    ~NfsdFence();
    NfsdFence(const NfsdFence&) = delete;
    NfsdFence& operator=(const NfsdFence&) = delete;

    // The step "fence ganesha.nfsd"; nullopt with HA_NFSD_FENCE=none.
    std::optional<Step> step();
    void update(const FenceSettings& settings) { settings_ = settings; }
    const FenceSettings& settings() const { return settings_; }

private:
    void run(StepDone done);

    FenceSettings settings_;
    ProcessKiller& killer_;
    TargetFn target_;
    ReportFn report_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gha

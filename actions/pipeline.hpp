// Ordered action pipelines. Each step has a timeout and bounded retries with
// exponential backoff and must be idempotent (a retry or a re-run of the whole
// pipeline must be harmless). One pipeline runs at a time per target.
//
// Rule for a new request while one runs for the same target: the running one
// is never interrupted (its steps leave the cluster in a state the next
// pipeline builds on); the new one is queued, and a later request replaces a
// queued one ("latest wins": the replaced one is recorded as superseded). A
// request with the same name as the running one and nothing queued is a
// duplicate and is dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "monitors/clock.hpp"

namespace gha {

struct StepResult {
    std::error_code error;  // empty: the step did what it should
    std::string detail;     // one human line
    static StepResult ok(std::string detail = {}) { return {{}, std::move(detail)}; }
};

using StepDone = std::function<void(StepResult)>;

struct Step {
    std::string name;
    std::function<void(StepDone)> run;  // start; call done exactly once (late calls are ignored)
    std::function<void()> abort;        // optional: stop in-flight work after a timeout
    std::chrono::milliseconds timeout{5000};
    int attempts = 1;                            // total tries, >= 1
    std::chrono::milliseconds backoff{200};      // before the 2nd try; doubles, capped at 5 s
    bool optional = false;                       // failure is recorded but the pipeline goes on
};

struct Pipeline {
    std::string name;    // "nfsd-down", "grace", ...
    std::string target;  // what it acts for: this node, a peer address, ...
    std::vector<Step> steps;
};

enum class StepState { pending, running, succeeded, failed, skipped };
enum class PipelineState { queued, running, succeeded, failed, superseded, duplicate };
inline bool finished(PipelineState state) { return state != PipelineState::queued && state != PipelineState::running; }

const char* to_string(StepState state);
const char* to_string(PipelineState state);

struct StepRecord {
    std::string name;
    StepState state = StepState::pending;
    int attempts = 0;
    std::string detail;
    Duration duration{};
};

struct PipelineRecord {
    std::uint64_t id = 0;
    std::string name;
    std::string target;
    PipelineState state = PipelineState::queued;
    TimePoint submitted{}, started{}, finished{};
    std::vector<StepRecord> steps;
    // Names of the steps that did not happen: what is left undone.
    std::vector<std::string> undone() const;
};

class PipelineRunner {
public:
    // Called on every step start/end and pipeline end, for the event log.
    using Observer = std::function<void(const PipelineRecord&, const StepRecord* step)>;

    PipelineRunner(Clock& clock, Observer observer, std::size_t history = 50);
    ~PipelineRunner();
    PipelineRunner(const PipelineRunner&) = delete;
    PipelineRunner& operator=(const PipelineRunner&) = delete;

    // Returns the record id.
    std::uint64_t submit(Pipeline pipeline);
    bool busy(const std::string& target) const;
    // Running and queued first, then finished ones newest first.
    std::vector<PipelineRecord> records() const;
    std::optional<PipelineRecord> record(std::uint64_t id) const;

private:
    struct Run;
    void start(std::shared_ptr<Run> run);
    void start_step(std::shared_ptr<Run> run);
    void attempt(std::shared_ptr<Run> run);
    void step_finished(std::shared_ptr<Run> run, std::uint64_t attempt, StepResult result);
    void finish(std::shared_ptr<Run> run, PipelineState state);
    void remember(const PipelineRecord& record);

    Clock& clock_;
    Observer observer_;
    std::size_t history_limit_;
    std::uint64_t next_id_ = 1;
    std::map<std::string, std::shared_ptr<Run>> running_;  // by target
    std::map<std::string, std::shared_ptr<Run>> queued_;   // by target, at most one
    std::deque<PipelineRecord> history_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gha

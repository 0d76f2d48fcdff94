#include "actions/pipeline.hpp"

#include <algorithm>

namespace gha {

const char* to_string(StepState state) {
    switch (state) {
        case StepState::pending: return "pending";
        case StepState::running: return "running";
        case StepState::succeeded: return "succeeded";
        case StepState::failed: return "failed";
        case StepState::skipped: return "skipped";
    }
    return "?";
}

const char* to_string(PipelineState state) {
    switch (state) {
        case PipelineState::queued: return "queued";
        case PipelineState::running: return "running";
        case PipelineState::succeeded: return "succeeded";
        case PipelineState::failed: return "failed";
        case PipelineState::superseded: return "superseded";
        case PipelineState::duplicate: return "duplicate";
    }
    return "?";
}

std::vector<std::string> PipelineRecord::undone() const {
    std::vector<std::string> out;
    for (const auto& step : steps)
        if (step.state != StepState::succeeded) out.push_back(step.name);
    return out;
}

struct PipelineRunner::Run {
    Pipeline pipeline;
    PipelineRecord record;
    std::size_t step = 0;
    std::uint64_t attempt_id = 0;  // identifies the live attempt; stale completions are dropped
    TimePoint step_started{};
    std::unique_ptr<Timer> timeout;
    std::unique_ptr<Timer> backoff;
};

PipelineRunner::PipelineRunner(Clock& clock, Observer observer, std::size_t history)
    : clock_(clock), observer_(std::move(observer)), history_limit_(std::max<std::size_t>(1, history)) {}

PipelineRunner::~PipelineRunner() { *alive_ = false; }

std::uint64_t PipelineRunner::submit(Pipeline pipeline) {
    auto run = std::make_shared<Run>();
    run->record.id = next_id_++;
    run->record.name = pipeline.name;
    run->record.target = pipeline.target;
    run->record.submitted = clock_.now();
    for (const auto& step : pipeline.steps) run->record.steps.push_back(StepRecord{step.name});
    run->pipeline = std::move(pipeline);
    run->timeout = clock_.make_timer();
    run->backoff = clock_.make_timer();
    const std::string& target = run->record.target;
    const std::uint64_t id = run->record.id;

    auto running = running_.find(target);
    if (running == running_.end()) {
        start(run);
        return id;
    }
    auto queued = queued_.find(target);
    const bool same_as_running = running->second->record.name == run->record.name;
    if (queued == queued_.end() && same_as_running) {
        run->record.finished = clock_.now();
        finish(run, PipelineState::duplicate);
        return id;
    }
    if (queued != queued_.end()) {
        if (queued->second->record.name == run->record.name) {  // already waiting to run
            run->record.finished = clock_.now();
            finish(run, PipelineState::duplicate);
            return id;
        }
        auto replaced = queued->second;
        queued_.erase(queued);
        finish(replaced, PipelineState::superseded);
    }
    queued_[target] = run;
    if (observer_) observer_(run->record, nullptr);
    return id;
}

void PipelineRunner::start(std::shared_ptr<Run> run) {
    running_[run->record.target] = run;
    run->record.state = PipelineState::running;
    run->record.started = clock_.now();
    if (observer_) observer_(run->record, nullptr);
    start_step(run);
}

void PipelineRunner::start_step(std::shared_ptr<Run> run) {
    if (run->step >= run->pipeline.steps.size()) {
        const bool failed = std::any_of(run->record.steps.begin(), run->record.steps.end(),
                                        [](const StepRecord& s) { return s.state == StepState::failed; });
        return finish(run, failed ? PipelineState::failed : PipelineState::succeeded);
    }
    auto& record = run->record.steps[run->step];
    record.state = StepState::running;
    run->step_started = clock_.now();
    if (observer_) observer_(run->record, &record);
    attempt(run);
}

void PipelineRunner::attempt(std::shared_ptr<Run> run) {
    const Step& step = run->pipeline.steps[run->step];
    const std::uint64_t id = ++run->attempt_id;
    ++run->record.steps[run->step].attempts;
    std::weak_ptr<bool> alive = alive_;
    std::weak_ptr<Run> weak = run;
    run->timeout->async_wait_for(step.timeout, [this, alive, weak, id](std::error_code ec) {
        auto self = weak.lock();
        if (ec || alive.expired() || !self || self->attempt_id != id) return;
        const Step& s = self->pipeline.steps[self->step];
        if (s.abort) s.abort();
        step_finished(self, id,
                      {std::make_error_code(std::errc::timed_out),
                       "timed out after " + std::to_string(s.timeout.count()) + " ms"});
    });
    step.run([this, alive, weak, id](StepResult result) {
        auto self = weak.lock();
        if (alive.expired() || !self) return;
        step_finished(self, id, std::move(result));
    });
}

void PipelineRunner::step_finished(std::shared_ptr<Run> run, std::uint64_t attempt_id, StepResult result) {
    if (run->attempt_id != attempt_id || run->step >= run->pipeline.steps.size()) return;  // late or duplicate
    ++run->attempt_id;  // this attempt is over: a second done() is ignored
    run->timeout->cancel();
    const Step& step = run->pipeline.steps[run->step];
    auto& record = run->record.steps[run->step];
    record.detail = result.detail;

    if (result.error && record.attempts < step.attempts) {
        // Backoff doubles per retry, capped so a long retry chain stays bounded.
        auto delay = step.backoff * (1LL << std::min(record.attempts - 1, 10));
        delay = std::min<std::chrono::milliseconds>(delay, std::chrono::milliseconds(5000));
        std::weak_ptr<bool> alive = alive_;
        std::weak_ptr<Run> weak = run;
        const std::uint64_t waiting = run->attempt_id;
        run->backoff->async_wait_for(delay, [this, alive, weak, waiting](std::error_code ec) {
            auto self = weak.lock();
            if (ec || alive.expired() || !self || self->attempt_id != waiting) return;
            attempt(self);
        });
        return;
    }

    record.state = result.error ? StepState::failed : StepState::succeeded;
    record.duration = clock_.now() - run->step_started;
    if (observer_) observer_(run->record, &record);
    if (result.error && !step.optional) {
        for (std::size_t i = run->step + 1; i < run->record.steps.size(); ++i)
            run->record.steps[i].state = StepState::skipped;
        run->step = run->pipeline.steps.size();
        return finish(run, PipelineState::failed);
    }
    ++run->step;
    start_step(run);
}

void PipelineRunner::finish(std::shared_ptr<Run> run, PipelineState state) {
    run->record.state = state;
    run->record.finished = clock_.now();
    run->timeout->cancel();
    run->backoff->cancel();
    const std::string target = run->record.target;
    const bool was_running = running_.count(target) && running_[target] == run;
    if (was_running) running_.erase(target);
    remember(run->record);
    if (observer_) observer_(run->record, nullptr);
    if (!was_running) return;
    auto next = queued_.find(target);
    if (next != queued_.end()) {
        auto queued = next->second;
        queued_.erase(next);
        start(queued);
    }
}

void PipelineRunner::remember(const PipelineRecord& record) {
    history_.push_front(record);
    while (history_.size() > history_limit_) history_.pop_back();
}

bool PipelineRunner::busy(const std::string& target) const { return running_.count(target) > 0; }

std::vector<PipelineRecord> PipelineRunner::records() const {
    std::vector<PipelineRecord> out;
    for (const auto& [target, run] : running_) out.push_back(run->record);
    for (const auto& [target, run] : queued_) out.push_back(run->record);
    out.insert(out.end(), history_.begin(), history_.end());
    return out;
}

std::optional<PipelineRecord> PipelineRunner::record(std::uint64_t id) const {
    for (const auto& r : records())
        if (r.id == id) return r;
    return std::nullopt;
}

}  // namespace gha

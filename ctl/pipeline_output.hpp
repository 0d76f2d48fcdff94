// ganesha-hactl's output for action pipelines (`actions`, and the commands
// that start one: failover, drain, grace, ...) and for `list-commands`.
// Like status_output.hpp, every field copes with a missing, null or odd
// value ("-"), never aborts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gha::ctl {

// "pipeline ID NAME (TARGET): STATE", then one row per step: name, state,
// attempts, duration, detail (columns as wide as their widest cell).
std::string format_pipeline(const nlohmann::json& pipeline);

// True unless the state is "queued" or "running" (a pipeline without a
// state is not waited for).
bool pipeline_finished(const nlohmann::json& pipeline);

// `list-commands`: one line per command, its help, and whether it changes state.
std::string format_commands(const nlohmann::json& arguments);

}  // namespace gha::ctl

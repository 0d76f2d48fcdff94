// The OCF-style verdict on the local ganesha.nfsd, from its monitors:
// 0 running and healthy, 7 not running, 1 anything else (hung, unknown).
#pragma once

#include <string>
#include <vector>

#include "monitors/monitor_session.hpp"

namespace gha {

struct NfsdVerdict {
    enum Code : int { running = 0, failed = 1, not_running = 7 };
    Code code = failed;
    std::string text;
    bool decided = true;  // false while a monitor has not answered yet and none failed
};

// Reasons that mean "there is no server process", not "it is unwell".
bool means_not_running(const std::string& reason);

NfsdVerdict nfsd_verdict(const std::vector<MonitorStatus>& monitors);

// "Alive but not answering", what the fence acts on: the pid monitor sees
// the process alive and another monitor judged that process unhealthy. A
// health voided by an exit (server-exited) judged an earlier process, not
// this one, so it does not count: a server that just restarted is not hung.
// Nor does a health that went bad before the pid monitor first saw this
// process (a refused port while nothing ran): found in the lab, where a
// cold start's nfsd-down pipeline, still waiting for its takers' grace,
// fenced the ganesha.nfsd that had started meanwhile and was not yet
// answering probes (rpc-null needs rise 2).
bool nfsd_hung(const std::vector<MonitorStatus>& monitors);

}  // namespace gha

// A process's CPU time and memory from /proc, for the benchmark drivers.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace gha::lab {

// utime + stime of pid in seconds (0 when it cannot be read).
inline double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    const std::string s((std::istreambuf_iterator<char>(in)), {});
    const auto paren = s.rfind(')');
    if (paren == std::string::npos || paren + 2 > s.size()) return 0;
    std::istringstream rest(s.substr(paren + 2));  // fields from 3 (state) on
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoll(field);
        if (i == 15) stime = std::stoll(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Memory {
    long rss_kib = 0;   // VmRSS
    long peak_kib = 0;  // VmHWM
};

inline Memory memory(pid_t pid) {
    Memory m;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) m.rss_kib = std::stol(line.substr(6));
        if (line.rfind("VmHWM:", 0) == 0) m.peak_kib = std::stol(line.substr(6));
    }
    return m;
}

}  // namespace gha::lab

// The lab the lab tests drive (lab/ganesha-lab from this source tree and
// build), shared by tests/lab/*_test.cpp. Each test program gets its own.
#pragma once

#include <string>

#include "tests/support/lab_cluster.hpp"

namespace gha::lab {

inline LabCluster& cluster() {
    static LabCluster c(GHA_SOURCE_DIR, GHA_BINARY_DIR);
    return c;
}
inline std::string vip(int node) { return LabCluster::vip_of(node); }

}  // namespace gha::lab

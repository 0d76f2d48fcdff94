// The build tree under test (GHA_BINARY_DIR, set by tests/CMakeLists.txt):
// the integration tests run the programs built there.
#pragma once

#include <string>

namespace gha::test {

inline const std::string kBin = GHA_BINARY_DIR;

}  // namespace gha::test

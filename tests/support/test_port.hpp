// The port for the running GoogleTest test (see lab::port_for).
#pragma once

#include <gtest/gtest.h>

#include "tests/support/ganesha_lab.hpp"

namespace gha::test {

inline std::uint16_t test_port(std::uint16_t base, std::uint16_t span = 2000) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return lab::port_for(std::string(info->test_suite_name()) + info->name(), base, span);
}

}  // namespace gha::test

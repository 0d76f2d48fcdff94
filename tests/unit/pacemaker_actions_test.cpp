// The Pacemaker steps against scripted tool answers (the formats and exit
// codes are the real ones, recorded in tests/support/pacemaker_node.hpp; the
// integration test runs the same steps against a live cluster).
#include "actions/pacemaker_actions.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace gha {
namespace {

struct Answer {
    int exit_code = 0;
    std::string out, err;
    std::error_code error;
};

class ScriptedRunner final : public CommandRunner {
public:
    Cancel run(std::vector<std::string> argv, ChildOptions, Handler handler) override {
        calls.push_back(argv);
        ChildResult r;
        r.program = argv.front();
        if (answers.empty()) {
            r.exit_code = 0;
        } else {
            r.exit_code = answers.front().exit_code;
            r.out = answers.front().out;
            r.err = answers.front().err;
            r.error = answers.front().error;
            answers.pop_front();
        }
        handler(r);
        return [] {};
    }
    std::deque<Answer> answers;
    std::vector<std::vector<std::string>> calls;
};

class PacemakerActionsTest : public ::testing::Test {
protected:
    StepResult run(const Step& step) {
        StepResult result{std::make_error_code(std::errc::interrupted), "never completed"};
        step.run([&](StepResult r) { result = std::move(r); });
        return result;
    }
    ScriptedRunner runner;
    PacemakerActions actions{runner, PacemakerTools{}};
};

TEST(AttrdOutput, ValueIsReadFromTheQueryLine) {
    EXPECT_EQ(parse_attrd_value("name=\"ganesha-active\" host=\"node1\" value=\"1\"\n"), "1");
    EXPECT_EQ(parse_attrd_value("name=\"ganesha-active\" host=\"node1\" value=\"\"\n"), "");
    EXPECT_FALSE(parse_attrd_value(""));
    EXPECT_FALSE(parse_attrd_value("value=\"unterminated"));
}

TEST_F(PacemakerActionsTest, SetRunsAttrdUpdaterWithTheNodeAndVerifies) {
    runner.answers = {{0}, {0, "name=\"ganesha-active\" host=\"node1\" value=\"1\"\n"}};
    auto r = run(actions.set_attribute("node1", "ganesha-active", "1"));
    EXPECT_FALSE(r.error) << r.detail;
    ASSERT_EQ(runner.calls.size(), 2u);
    EXPECT_EQ(runner.calls[0],
              (std::vector<std::string>{"attrd_updater", "-n", "ganesha-active", "-N", "node1", "-U", "1"}));
    EXPECT_EQ(runner.calls[1],
              (std::vector<std::string>{"attrd_updater", "-Q", "-n", "ganesha-active", "-N", "node1"}));
}

TEST_F(PacemakerActionsTest, SetFailsWhenTheValueDoesNotReadBack) {
    runner.answers = {{0}, {0, "name=\"ganesha-active\" host=\"node1\" value=\"0\"\n"}};
    auto r = run(actions.set_attribute("node1", "ganesha-active", "1"));
    EXPECT_EQ(r.error, std::errc::protocol_error);
    EXPECT_NE(r.detail.find("reads back as '0'"), std::string::npos) << r.detail;
}

TEST_F(PacemakerActionsTest, NoClusterIsNamed) {
    runner.answers = {{102, "", "attrd_updater: Could not update ganesha-active=1: Connection refused (111)\n"}};
    auto r = run(actions.set_attribute("node1", "ganesha-active", "1"));
    EXPECT_EQ(r.error, std::errc::not_connected);
    EXPECT_NE(r.detail.find("no cluster running"), std::string::npos) << r.detail;
    EXPECT_EQ(runner.calls.size(), 1u);  // no verification of a failed update
}

TEST_F(PacemakerActionsTest, DeleteAcceptsEmptyOrUnknownAsAbsent) {
    runner.answers = {{0}, {0, "name=\"grace-active\" host=\"node1\" value=\"\"\n"}};
    EXPECT_FALSE(run(actions.delete_attribute("node1", "grace-active")).error);
    runner.answers = {{0}, {78, "", "attrd_updater: Could not query value of grace-active: attribute does not exist"}};
    EXPECT_FALSE(run(actions.delete_attribute("node1", "grace-active")).error);
    runner.answers = {{0}, {0, "name=\"grace-active\" host=\"node1\" value=\"1\"\n"}};
    EXPECT_EQ(run(actions.delete_attribute("node1", "grace-active")).error, std::errc::protocol_error);
}

TEST_F(PacemakerActionsTest, CreatingAnExistingTriggerIsSuccess) {
    runner.answers = {{108, "<failed/>", "Call cib_create failed: File exists"}};
    auto r = run(actions.create_trigger("node1-dead_ip-1"));
    EXPECT_FALSE(r.error) << r.detail;
    EXPECT_EQ(runner.calls[0],
              (std::vector<std::string>{"cibadmin", "-C", "-o", "resources", "-X",
                                        "<primitive id=\"node1-dead_ip-1\" class=\"ocf\" provider=\"heartbeat\" "
                                        "type=\"Dummy\"/>"}));
}

TEST_F(PacemakerActionsTest, DeletingTheTriggerNamesOnlyItsId) {
    auto r = run(actions.delete_trigger("node1-dead_ip-1"));
    EXPECT_FALSE(r.error);
    EXPECT_EQ(runner.calls[0].back(), "<primitive id=\"node1-dead_ip-1\"/>");
}

TEST_F(PacemakerActionsTest, AMissingToolIsReportedNotThrown) {
    runner.answers = {{-1, "", "", std::make_error_code(std::errc::no_such_file_or_directory)}};
    auto r = run(actions.create_trigger("node1-dead_ip-1"));
    EXPECT_EQ(r.error, std::errc::no_such_file_or_directory);
}

}  // namespace
}  // namespace gha

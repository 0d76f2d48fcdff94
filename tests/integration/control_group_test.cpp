// HA_CONTROL_GROUP end to end (issue 13, defect 5): the real ganesha-had and
// ganesha-hactl, run as throw-away system users. The member is in the group
// only as a supplementary member (its primary group is its own), which
// SO_PEERCRED alone would not show; the other user is in no group of ours.
// The accounts are created with groupadd/useradd (child processes, no shell)
// and removed by the fixture's destructor, also when a test fails.
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/build_dir.hpp"
#include "tests/support/ganesha_lab.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

using test::kBin;

bool group_exists(const std::string& name) { return ::getgrnam(name.c_str()) != nullptr; }
bool user_exists(const std::string& name) { return ::getpwnam(name.c_str()) != nullptr; }

// A system group and two system users, gone again when this is destroyed.
class ThrowAwayAccounts {
public:
    ThrowAwayAccounts() {
        const std::string id = std::to_string(::getpid() % 100000);
        group = "ghatctl" + id;
        member = "ghatmem" + id;
        other = "ghatoth" + id;
        remove();  // what a killed earlier run with the same pid left
        try {
            run({"groupadd", "--system", group});
            for (const auto& [user, extra] : {std::pair{member, std::string("--groups=") + group},
                                             std::pair{other, std::string()}}) {
                std::vector<std::string> argv = {"useradd",       "--system", "--no-create-home",
                                                 "--home-dir",    "/nonexistent", "--shell",
                                                 "/usr/sbin/nologin", "--user-group"};
                if (!extra.empty()) argv.push_back(extra);
                argv.push_back(user);
                run(argv);
            }
        } catch (...) {
            remove();
            throw;
        }
    }
    ~ThrowAwayAccounts() { remove(); }
    ThrowAwayAccounts(const ThrowAwayAccounts&) = delete;
    ThrowAwayAccounts& operator=(const ThrowAwayAccounts&) = delete;

    static uid_t uid_of(const std::string& user) { return ::getpwnam(user.c_str())->pw_uid; }
    static gid_t primary_gid_of(const std::string& user) { return ::getpwnam(user.c_str())->pw_gid; }
    static gid_t gid_of(const std::string& name) { return ::getgrnam(name.c_str())->gr_gid; }

    std::string group, member, other;

private:
    static void run(const std::vector<std::string>& argv) {
        const auto r = lab::run_capture(argv, 30000ms);
        if (r.exit_code != 0)
            throw std::runtime_error(argv[0] + " " + argv.back() + " failed (" + std::to_string(r.exit_code) +
                                     "): " + r.err);
    }
    // Never throws: users first (userdel also removes the user's own group
    // when nobody else is in it), then whatever group is left.
    void remove() noexcept {
        try {
            for (const auto& user : {member, other})
                if (user_exists(user)) lab::run_capture({"userdel", user}, 30000ms);
            for (const auto& name : {member, other, group})
                if (group_exists(name)) lab::run_capture({"groupdel", name}, 30000ms);
        } catch (...) {
        }
    }
};

class ControlGroupTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (useradd, setpriv)";
        accounts.emplace();
        // The users must reach what they run and where the socket is: the
        // scratch directory is mkdtemp's 0700.
        ::chmod(dir.path().c_str(), 0711);
        fs::create_directories(dir.file("bin"));
        ::chmod(dir.file("bin").c_str(), 0755);
        hactl = dir.file("bin/ganesha-hactl");
        fs::copy_file(kBin + "/ctl/ganesha-hactl", hactl);
        ::chmod(hactl.c_str(), 0755);
        lab::install_fake_pacemaker(dir.file("fakebin"));
        socket_dir = dir.file("run");  // does not exist: the daemon creates it, so it is the daemon's own
        socket = socket_dir + "/hactl.sock";
        config = dir.file("ganesha-ha.conf");
    }

    void start_had(const std::string& control_group) {
        lab::write_file(config,
                        "HA_NAME=\"test\"\n"
                        "HA_CLUSTER_NODES=\"node1,node2\"\n"
                        "VIP_node1=\"192.0.2.1\"\n"
                        "VIP_node2=\"192.0.2.2\"\n"
                        "HA_NFSD_PIDFILE=\"" + dir.file("no-ganesha.pid") + "\"\n"
                        "HA_NFSD_ADDRESS=\"127.0.0.1:9\"\n"
                        "HA_MONITOR_DBUS_HEARTBEAT=\"enabled=no\"\n"
                        "HA_METRICS_LISTEN=off\n"
                        "HA_GRACE_DELAY=200ms\n" +
                            (control_group.empty() ? "" : "HA_CONTROL_GROUP=\"" + control_group + "\"\n"));
        had.emplace(kBin, config, "node1", socket, lab::fake_pacemaker_env(dir.file("fakebin"), dir.file("attrs")));
        had->start();
    }

    // ganesha-hactl as `user`: its uid, its primary gid and the groups
    // /etc/group gives it (setpriv --init-groups), as a login would.
    lab::CliResult as(const std::string& user, const std::vector<std::string>& args) {
        std::vector<std::string> argv = {"setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--",
                                         hactl,     "--socket",        socket};
        argv.insert(argv.end(), args.begin(), args.end());
        return lab::run_capture(argv, 10000ms);
    }

    static struct stat stat_of(const std::string& path) {
        struct stat st {};
        EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
        return st;
    }

    std::optional<ThrowAwayAccounts> accounts;  // destroyed last: after the daemon and the directory
    lab::TempDir dir;
    std::optional<lab::Had> had;
    std::string hactl, socket_dir, socket, config;
};

TEST_F(ControlGroupTest, ASupplementaryMemberMayChangeStateAndNobodyElseReachesTheSocket) {
    const gid_t control = ThrowAwayAccounts::gid_of(accounts->group);
    // The member's primary group is its own: only the supplementary list has ours.
    ASSERT_NE(ThrowAwayAccounts::primary_gid_of(accounts->member), control);
    const auto groups = lab::run_capture({"setpriv", "--reuid=" + accounts->member, "--regid=" + accounts->member,
                                          "--init-groups", "--", "id", "-G"},
                                         5000ms);
    ASSERT_EQ(groups.exit_code, 0) << groups.err;
    ASSERT_NE((" " + groups.out).find(" " + std::to_string(control)), std::string::npos) << groups.out;

    start_had(accounts->group);
    const auto dir_stat = stat_of(socket_dir);
    EXPECT_EQ(dir_stat.st_mode & 07777, 0750u);
    EXPECT_EQ(dir_stat.st_gid, control);
    const auto sock_stat = stat_of(socket);
    EXPECT_EQ(sock_stat.st_mode & 0777, 0660u);
    EXPECT_EQ(sock_stat.st_gid, control);

    // The member: reads, and changes (reload, drain and undrain).
    auto status = as(accounts->member, {"status"});
    EXPECT_EQ(status.exit_code, 0) << status.err;
    auto reload = as(accounts->member, {"reload"});
    EXPECT_EQ(reload.exit_code, 0) << reload.out << reload.err;
    EXPECT_NE(reload.out.find("configuration reloaded"), std::string::npos) << reload.out;
    auto drain = as(accounts->member, {"--timeout", "8000", "drain"});
    EXPECT_EQ(drain.exit_code, 0) << drain.out << drain.err;
    auto undrain = as(accounts->member, {"--timeout", "8000", "undrain"});
    EXPECT_EQ(undrain.exit_code, 0) << undrain.out << undrain.err;

    // Anybody else does not get through the 0750 directory at all.
    for (const std::string command : {"status", "reload"}) {
        auto r = as(accounts->other, {command});
        EXPECT_EQ(r.exit_code, 4) << command << ": " << r.out << r.err;
        EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
    }

    // Opened up by hand, the socket lets the other user read (the README:
    // read-only commands are open to whoever can open the socket), and the
    // daemon itself still refuses a change: the file modes are not the only
    // guard.
    ASSERT_EQ(::chmod(socket_dir.c_str(), 0755), 0);
    ASSERT_EQ(::chmod(socket.c_str(), 0666), 0);
    auto read = as(accounts->other, {"status"});
    EXPECT_EQ(read.exit_code, 0) << read.err;
    auto refused = as(accounts->other, {"reload"});
    EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("permission denied"), std::string::npos) << refused.err;
    EXPECT_EQ(as(accounts->member, {"reload"}).exit_code, 0);
}

TEST_F(ControlGroupTest, WithoutTheGroupOnlyRootGetsInAndChanges) {
    start_had("");
    const auto dir_stat = stat_of(socket_dir);
    EXPECT_EQ(dir_stat.st_mode & 07777, 0750u);
    EXPECT_EQ(dir_stat.st_gid, ::getegid());
    auto shut_out = as(accounts->member, {"status"});
    EXPECT_EQ(shut_out.exit_code, 4) << shut_out.err;

    ASSERT_EQ(::chmod(socket_dir.c_str(), 0755), 0);
    ASSERT_EQ(::chmod(socket.c_str(), 0666), 0);
    EXPECT_EQ(as(accounts->member, {"status"}).exit_code, 0);
    auto refused = as(accounts->member, {"reload"});
    EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("permission denied"), std::string::npos) << refused.err;
    EXPECT_EQ(lab::run_cli(kBin, socket, {"reload"}, 5000ms).exit_code, 0);  // root may
}

}  // namespace
}  // namespace gha

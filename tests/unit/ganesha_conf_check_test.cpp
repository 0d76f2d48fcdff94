// ganesha_conf/check: the rules that decide whether clients keep their state
// across a failover, each with the file, line, parameter and fix it reports.
#include <gtest/gtest.h>

#include <filesystem>

#include <string>

#include "ganesha_conf/check.hpp"
#include "ganesha_conf/reader.hpp"

namespace gc = gha::ganesha_conf;

namespace {

constexpr const char* kGood = R"(NFS_CORE_PARAM {
    Protocols = 4;
    Clustered = false;
}
NFSV4 {
    Server_Scope = "cluster1";
    RecoveryBackend = fs;
}
EXPORT { Export_Id = 1; Path = /srv; Pseudo = /srv; FSAL { Name = VFS; } }
)";

gc::CheckResult run(const std::string& text, const std::string& var_lib_nfs = "/var/lib/nfs") {
    return gc::check(gc::parse_text(text, "ganesha.conf"), {var_lib_nfs});
}

const gc::Finding* find(const gc::CheckResult& r, const std::string& parameter) {
    for (const auto& f : r.findings)
        if (f.parameter == parameter) return &f;
    return nullptr;
}

std::string all(const gc::CheckResult& r) {
    std::string out;
    for (const auto& f : r.findings) out += f.to_string() + "\n";
    return out;
}

}  // namespace

TEST(GaneshaConfCheck, TheReadmeConfigurationPasses) {
    const auto r = run(kGood);
    EXPECT_FALSE(r.has_errors()) << all(r);
    EXPECT_TRUE(r.findings.empty()) << all(r);
    ASSERT_TRUE(r.server_scope);
    EXPECT_EQ(*r.server_scope, "cluster1");
    EXPECT_EQ(r.server_scope_where.line, 6);
}

TEST(GaneshaConfCheck, NamesAndBooleansAreCaseInsensitive) {
    const auto r = run("nfs_core_param { CLUSTERED = No; }\nNfsV4 { server_scope = c; recoverybackend = FS; "
                       "RecoveryRoot = /var/lib/nfs/ganesha/; }\n");
    EXPECT_FALSE(r.has_errors()) << all(r);
    EXPECT_EQ(r.server_scope.value_or(""), "c");
}

TEST(GaneshaConfCheck, DebiansStockFileFailsOnClusteredAndScope) {
    const auto r = run("# only comments\n");
    const auto* clustered = find(r, "NFS_CORE_PARAM.Clustered");
    ASSERT_NE(clustered, nullptr) << all(r);
    EXPECT_EQ(clustered->severity, gc::Severity::error);
    EXPECT_EQ(clustered->where.to_string(), "ganesha.conf:0");
    EXPECT_NE(clustered->problem.find("ganesha's default when absent"), std::string::npos);
    EXPECT_NE(clustered->fix.find("add \"NFS_CORE_PARAM { Clustered = false; }\""), std::string::npos)
        << clustered->fix;
    const auto* scope = find(r, "NFSV4.Server_Scope");
    ASSERT_NE(scope, nullptr);
    EXPECT_NE(scope->problem.find("_NFS-Ganesha"), std::string::npos);
    EXPECT_FALSE(r.server_scope);
}

TEST(GaneshaConfCheck, ClusteredTrueNamesTheLineAndTheFix) {
    const auto r = run("NFS_CORE_PARAM {\n  Protocols = 4;\n  Clustered = yes;\n}\nNFSV4 { Server_Scope = x; }\n");
    const auto* f = find(r, "NFS_CORE_PARAM.Clustered");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->to_string().rfind("ganesha.conf:3: error: NFS_CORE_PARAM.Clustered is yes: a survivor's take-ip "
                                   "grace would read <RecoveryRoot>/<VIP>/v4recov while records are written under "
                                   "v4recov/node<id>",
                                   0),
              0u)
        << f->to_string();
    EXPECT_NE(f->fix.find("Clustered = false;"), std::string::npos);
}

TEST(GaneshaConfCheck, AbsentParameterNamesTheBlockToAddItTo) {
    const auto r = run("NFS_CORE_PARAM { Protocols = 4; }\n\nNFSV4 { Lease_Lifetime = 10; }\n");
    const auto* f = find(r, "NFS_CORE_PARAM.Clustered");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->where.line, 1);
    EXPECT_NE(f->fix.find("in NFS_CORE_PARAM (ganesha.conf:1)"), std::string::npos) << f->fix;
    const auto* s = find(r, "NFSV4.Server_Scope");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->where.line, 3);
}

TEST(GaneshaConfCheck, MisplacedParameterIsPointedOut) {
    const auto r = run("NFSV4 { Clustered = false; Server_Scope = a; }\n");
    const auto* f = find(r, "NFS_CORE_PARAM.Clustered");
    ASSERT_NE(f, nullptr);
    EXPECT_NE(f->problem.find("written in NFSV4 at ganesha.conf:1, where ganesha does not read it"), std::string::npos)
        << f->problem;
}

TEST(GaneshaConfCheck, TheLastBlockCounts) {
    // ganesha starts every block from the defaults: the first NFSV4's scope is lost.
    const auto r = run("NFS_CORE_PARAM { Clustered = false; }\nNFSV4 { Server_Scope = a; }\nNFSV4 { Lease_Lifetime = 30; }\n");
    EXPECT_NE(find(r, "NFSV4.Server_Scope"), nullptr) << all(r);
    const auto* w = find(r, "NFSV4");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->severity, gc::Severity::warning);
    EXPECT_EQ(w->where.line, 3);
    // And within a block the last statement counts.
    const auto r2 = run("NFS_CORE_PARAM { Clustered = false; Clustered = true; }\nNFSV4 { Server_Scope = a; }\n");
    EXPECT_TRUE(r2.has_errors());
}

TEST(GaneshaConfCheck, RecoveryBackends) {
    const std::string base = "NFS_CORE_PARAM { Clustered = false; }\nNFSV4 { Server_Scope = a; RecoveryBackend = ";
    for (const char* b : {"fs_ng", "rados_kv", "rados_ng", "rados_cluster", "nfs"}) {
        const auto r = run(base + b + "; }\n");
        const auto* f = find(r, "NFSV4.RecoveryBackend");
        ASSERT_NE(f, nullptr) << b;
        EXPECT_EQ(f->severity, gc::Severity::error);
        EXPECT_EQ(f->where.line, 2);
        EXPECT_NE(f->fix.find("RecoveryBackend = fs;"), std::string::npos);
    }
    EXPECT_FALSE(run(base + "fs; }\n").has_errors());
}

TEST(GaneshaConfCheck, RecoveryRootMustLeadThroughTheAgentsLink) {
    const std::string base = "NFS_CORE_PARAM { Clustered = false; }\nNFSV4 { Server_Scope = a; ";
    EXPECT_FALSE(run(base + "RecoveryRoot = \"/var/lib/nfs/ganesha\"; }").has_errors());
    EXPECT_FALSE(run(base + "RecoveryRoot = /var/lib/nfs//ganesha/; }").has_errors());
    auto r = run(base + "RecoveryRoot = /run/ganesha/recov; }");
    const auto* f = find(r, "NFSV4.RecoveryRoot");
    ASSERT_NE(f, nullptr);
    EXPECT_NE(f->problem.find("'/run/ganesha/recov'"), std::string::npos);
    EXPECT_NE(f->fix.find("remove the line"), std::string::npos);
    EXPECT_NE(find(run(base + "RecoveryRoot = ganesha; }"), "NFSV4.RecoveryRoot"), nullptr);

    // Another var_lib_nfs: the default no longer fits; its own path does.
    r = run(base + "}", "/srv/nfs");
    f = find(r, "NFSV4.RecoveryRoot");
    ASSERT_NE(f, nullptr);
    EXPECT_NE(f->fix.find("RecoveryRoot = \"/srv/nfs/ganesha\";"), std::string::npos) << f->fix;
    EXPECT_FALSE(run(base + "RecoveryRoot = /srv/nfs/ganesha; }", "/srv/nfs/").has_errors());
}

TEST(GaneshaConfCheck, ServerScopeValues) {
    const std::string base = "NFS_CORE_PARAM { Clustered = false; }\nNFSV4 { Server_Scope = ";
    EXPECT_TRUE(run(base + "\"\"; }").has_errors());
    EXPECT_TRUE(run(base + "a, b; }").has_errors());
    EXPECT_TRUE(run(base + "; }").has_errors());
    EXPECT_TRUE(run(base + "\"" + std::string(256, 'x') + "\"; }").has_errors());
    EXPECT_FALSE(run(base + "\"" + std::string(255, 'x') + "\"; }").has_errors());
}

TEST(GaneshaConfCheck, GracelessAndGraceShorterThanLease) {
    const std::string base = "NFS_CORE_PARAM { Clustered = false; }\nNFSV4 { Server_Scope = a; ";
    auto r = run(base + "Graceless = true; }");
    ASSERT_NE(find(r, "NFSV4.Graceless"), nullptr);
    EXPECT_TRUE(r.has_errors());
    EXPECT_FALSE(run(base + "Graceless = false; }").has_errors());

    r = run(base + "Grace_Period = 20; Lease_Lifetime = 30; }");
    const auto* w = find(r, "NFSV4.Grace_Period");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->severity, gc::Severity::warning);
    EXPECT_FALSE(r.has_errors());
    // Defaults: grace 90, lease 60; a lease above 90 alone is enough.
    EXPECT_NE(find(run(base + "Lease_Lifetime = 0x78; }"), "NFSV4.Grace_Period"), nullptr);
    EXPECT_EQ(find(run(base + "Grace_Period = 20; Lease_Lifetime = 10; }"), "NFSV4.Grace_Period"), nullptr);
    EXPECT_TRUE(run(base + "Grace_Period = 300; }").has_errors());  // ganesha: 0-270
    EXPECT_TRUE(run(base + "Lease_Lifetime = \"10\"; }").has_errors());
}

// The daemon holds a take-ip grace as long as ganesha's grace period lasts.
TEST(GaneshaConfCheck, GracePeriodIsReportedForTheDaemon) {
    const std::string base = "NFS_CORE_PARAM { Clustered = false; }\nNFSV4 { Server_Scope = a; ";
    EXPECT_EQ(run(base + "Grace_Period = 20; Lease_Lifetime = 10; }").grace_period_s, 20u);
    EXPECT_EQ(run(base + "}").grace_period_s, 90u);  // ganesha's default
    EXPECT_EQ(run(base + "Grace_Period = 300; }").grace_period_s, std::nullopt);
    EXPECT_EQ(run(base + "Grace_Period = soon; }").grace_period_s, std::nullopt);
}

TEST(GaneshaConfCheck, RecoveryDirsOtherThanTheAgentsAreWarned) {
    const auto r = run("NFS_CORE_PARAM { Clustered = false; }\nNFSV4 { Server_Scope = a; RecoveryDir = recov; }");
    const auto* w = find(r, "NFSV4.RecoveryDir");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->severity, gc::Severity::warning);
}

TEST(GaneshaConfCheck, FileChecksReportUnreadableFilesAsFindings) {
    const auto missing = gc::check_file("/nonexistent/ganesha.conf");
    EXPECT_TRUE(missing.missing);
    EXPECT_TRUE(missing.result.has_errors());
    // The stock Debian file reads but fails the check.
    if (std::filesystem::exists("/etc/ganesha/ganesha.conf")) {
        const auto stock = gc::check_file("/etc/ganesha/ganesha.conf");
        EXPECT_TRUE(stock.readable);
        EXPECT_TRUE(stock.result.has_errors());
    }
}

TEST(GaneshaConfCheck, ScopeFingerprint) {
    EXPECT_EQ(gc::scope_fingerprint("a"), gc::scope_fingerprint("a"));
    EXPECT_NE(gc::scope_fingerprint("a"), gc::scope_fingerprint("b"));
    EXPECT_NE(gc::scope_fingerprint(""), 0u);
}

// ganesha_conf/reader: nfs-ganesha 4.3's configuration syntax, the files
// ganesha ships, and malformed input (always an error naming file and line).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "ganesha_conf/reader.hpp"

namespace gc = gha::ganesha_conf;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "gha-conf-XXXXXX").string();
        path = ::mkdtemp(templ.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        const std::string p = path + "/" + name;
        std::ofstream(p) << text;
        return p;
    }
};

gc::ReadError parse_error(const std::string& text, const gc::Limits& limits = {}) {
    try {
        gc::parse_text(text, "t.conf", "", limits);
    } catch (const gc::ReadError& e) {
        return e;
    }
    ADD_FAILURE() << "parsed without an error:\n" << text;
    return gc::ReadError({}, "none");
}

}  // namespace

TEST(GaneshaConfReader, BlocksStatementsValuesAndLines) {
    const auto doc = gc::parse_text(R"(# comment
NFS_CORE_PARAM { Protocols = 4, 3 ; Bind_Addr = 127.0.0.1; }   # trailing
nfsv4 {
    Server_Scope = "my \"scope\" # not a comment\t";
    RecoveryRoot = '/var/lib/nfs/ganesha';
    Empty = ;
}
EXPORT { Export_Id = 1; Path = /mem; Clients = 10.0.0.0/8, *, @netgroup, -1;
  FSAL { Name = MEM; }
  CLIENT { Clients = *; Access_Type = RW; } }
)",
                                    "t.conf");
    ASSERT_EQ(doc.root.blocks.size(), 3u);
    const auto& core = doc.root.blocks[0];
    EXPECT_EQ(core.name, "NFS_CORE_PARAM");
    EXPECT_EQ(core.where.line, 2);
    ASSERT_EQ(core.statements.size(), 2u);
    EXPECT_EQ(core.statements[0].values.size(), 2u);
    EXPECT_EQ(core.statements[0].values[1].text, "3");
    const auto v4 = doc.root.blocks_named("NFSv4");
    ASSERT_EQ(v4.size(), 1u);
    const auto* scope = v4[0]->last_statement("server_scope");
    ASSERT_NE(scope, nullptr);
    EXPECT_EQ(scope->values[0].text, "my \"scope\" # not a comment\t");
    EXPECT_TRUE(scope->values[0].quoted);
    EXPECT_EQ(scope->where.line, 4);
    EXPECT_EQ(v4[0]->last_statement("RecoveryRoot")->values[0].text, "/var/lib/nfs/ganesha");
    EXPECT_TRUE(v4[0]->last_statement("Empty")->values.empty());
    const auto& exp = doc.root.blocks[2];
    EXPECT_EQ(exp.last_statement("Clients")->values.size(), 4u);
    ASSERT_EQ(exp.blocks.size(), 2u);
    EXPECT_EQ(exp.blocks[1].name, "CLIENT");
    EXPECT_EQ(exp.blocks[1].where.line, 10);
}

TEST(GaneshaConfReader, StringsSpanLinesAndKeepCounting) {
    const auto doc = gc::parse_text("A {\n x = \"one\ntwo\";\n y = 'a\nb';\n z = 1;\n}\n", "t.conf");
    const auto& a = doc.root.blocks[0];
    EXPECT_EQ(a.last_statement("x")->values[0].text, "one\ntwo");
    EXPECT_EQ(a.last_statement("y")->values[0].text, "a\nb");
    EXPECT_EQ(a.last_statement("z")->where.line, 6);
}

TEST(GaneshaConfReader, DebianAndUpstreamSamplesParse) {
    // The file Debian installs (all comments), and every sample ganesha 4.3
    // ships in src/config_samples (copied to tests/data/ganesha_conf).
    if (std::filesystem::exists("/etc/ganesha/ganesha.conf")) {
        EXPECT_NO_THROW(gc::read_file("/etc/ganesha/ganesha.conf"));
    }
    const std::string data = GHA_SOURCE_DIR "/tests/data/ganesha_conf";
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(data)) {
        SCOPED_TRACE(e.path().string());
        if (e.path().filename() == "gpfs.ganesha.nfsd.conf") continue;  // below
        EXPECT_NO_THROW(gc::read_file(e.path().string()));
        ++n;
    }
    EXPECT_GE(n, 10);
    // gpfs.ganesha.nfsd.conf: three unquoted absolute %includes of /etc/ganesha/gpfs.ganesha.*.conf.
    TempDir dir;
    std::ifstream in(data + "/gpfs.ganesha.nfsd.conf");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::size_t at; (at = text.find("/etc/ganesha/")) != std::string::npos;)
        text.replace(at, 13, data + "/");
    const auto doc = gc::read_file(dir.write("nfsd.conf", text));
    EXPECT_EQ(doc.files.size(), 4u);
    EXPECT_FALSE(doc.root.blocks_named("NFS_Core_Param").empty());
    EXPECT_FALSE(doc.root.blocks_named("LOG").empty());  // from gpfs.ganesha.log.conf (exports: comments only)
    for (const char* f : {"/etc/ganesha/mem.conf", "/etc/ganesha/vfs.conf"})
        if (std::filesystem::exists(f)) {
            EXPECT_NO_THROW(gc::read_file(f)) << f;
        }
}

TEST(GaneshaConfReader, MalformedInputNamesFileLineAndProblem) {
    auto e = parse_error("A {\n x = 1;\n");
    EXPECT_EQ(e.where().line, 1);
    EXPECT_NE(std::string(e.what()).find("t.conf:1: block A is never closed"), std::string::npos) << e.what();

    e = parse_error("A {\n x = \"abc;\n}\n");
    EXPECT_EQ(e.where().line, 2);
    EXPECT_NE(e.problem().find("unterminated string"), std::string::npos);

    e = parse_error("A {\n x = 1\n}\n");  // ganesha's grammar: statement := exprlist ';'
    EXPECT_EQ(e.where().line, 2);
    EXPECT_NE(e.problem().find("missing ';' after x = 1"), std::string::npos) << e.what();

    e = parse_error("A {\n x = 1\n y = 2;\n}\n");
    EXPECT_NE(e.problem().find("missing ';'"), std::string::npos) << e.what();

    e = parse_error("}\n");
    EXPECT_NE(e.problem().find("without a block"), std::string::npos);

    e = parse_error("A { x = $y; }");
    EXPECT_NE(e.problem().find("unexpected character '$'"), std::string::npos);

    e = parse_error("A { \"x\" = 1; }");
    EXPECT_NE(e.problem().find("expected a block or parameter name"), std::string::npos);

    e = parse_error("A { 9x = 1; }");
    EXPECT_NE(e.problem().find("expected a block or parameter name"), std::string::npos);

    e = parse_error("A { x y; }");
    EXPECT_NE(e.problem().find("expected '=' or '{'"), std::string::npos);

    e = parse_error("A { x = 1,; }");
    EXPECT_NE(e.problem().find("expected a value"), std::string::npos);

    e = parse_error("A { x = a b; }");
    EXPECT_NE(e.problem().find("missing ';'"), std::string::npos);

    e = parse_error("A { x = 1; } %url rados://pool/ns/obj\n");
    EXPECT_NE(e.problem().find("cannot be checked"), std::string::npos);

    e = parse_error("%dir /etc/ganesha\n");
    EXPECT_NE(e.problem().find("%dir"), std::string::npos);

    e = parse_error("A { %include \"b.conf\" }");  // only between top-level blocks
    EXPECT_NE(e.problem().find("between top-level blocks"), std::string::npos);

    e = parse_error("%foo x\n");
    EXPECT_NE(e.problem().find("unknown directive"), std::string::npos);

    e = parse_error(std::string("A { x = ") + '\0' + "; }");
    EXPECT_NE(e.problem().find("0x00"), std::string::npos);
}

TEST(GaneshaConfReader, Bounds) {
    gc::Limits small;
    small.max_token_bytes = 8;
    EXPECT_NE(parse_error("A { x = abcdefghij; }", small).problem().find("longer than 8"), std::string::npos);
    EXPECT_NE(parse_error("A { x = \"abcdefghij\"; }", small).problem().find("longer than 8"), std::string::npos);

    std::string deep;
    for (int i = 0; i < 17; ++i) deep += "B {";
    EXPECT_NE(parse_error(deep).problem().find("nested deeper than 16"), std::string::npos);

    small = {};
    small.max_file_bytes = 100;
    EXPECT_NE(parse_error(std::string(101, '#'), small).problem().find("larger than 100 bytes"), std::string::npos);

    TempDir dir;
    const std::string big = dir.write("big.conf", std::string(2 * 1024 * 1024, '#'));
    try {
        gc::read_file(big);
        ADD_FAILURE() << "an oversize file was read";
    } catch (const gc::ReadError& e) {
        EXPECT_EQ(e.where().file, big);
        EXPECT_NE(e.problem().find("larger than"), std::string::npos);
    }
    try {
        gc::read_file(dir.path + "/absent.conf");
        ADD_FAILURE();
    } catch (const gc::ReadError& e) {
        EXPECT_NE(e.problem().find("cannot read"), std::string::npos);
    }
}

TEST(GaneshaConfReader, IncludesAreRelativeToTheMainFilesDirectory) {
    TempDir dir;
    std::filesystem::create_directory(dir.path + "/sub");
    dir.write("core.conf", "NFS_CORE_PARAM { Clustered = false; }\n");
    // Relative to the MAIN file's directory, also from sub/exports.conf (ganesha: conf_dir).
    dir.write("sub/exports.conf", "EXPORT { Export_Id = 1; }\n%include core.conf\n");
    const std::string main = dir.write("ganesha.conf", "%include \"sub/exports.conf\"\nNFSV4 { Grace_Period = 90; }\n");
    const auto doc = gc::read_file(main);
    ASSERT_EQ(doc.root.blocks.size(), 3u);
    EXPECT_EQ(doc.root.blocks[0].name, "EXPORT");
    EXPECT_EQ(doc.root.blocks[0].where.file, dir.path + "/sub/exports.conf");
    EXPECT_EQ(doc.root.blocks[1].where.file, dir.path + "/core.conf");
    EXPECT_EQ(doc.root.blocks[1].statements[0].where.line, 1);
    EXPECT_EQ(doc.root.blocks[2].where.file, main);
    EXPECT_EQ(doc.root.blocks[2].where.line, 2);
    EXPECT_EQ(doc.files.size(), 3u);
}

TEST(GaneshaConfReader, IncludeLoopsTwiceAndMissingAreErrors) {
    TempDir dir;
    dir.write("a.conf", "A { }\n%include b.conf\n");
    dir.write("b.conf", "B { }\n%include ./a.conf\n");
    const std::string main = dir.write("ganesha.conf", "%include a.conf\n");
    try {
        gc::read_file(main);
        ADD_FAILURE() << "an include loop was read";
    } catch (const gc::ReadError& e) {
        EXPECT_EQ(e.where().file, dir.path + "/b.conf");
        EXPECT_EQ(e.where().line, 2);
        EXPECT_NE(e.problem().find("%include loop"), std::string::npos) << e.what();
    }
    const std::string self = dir.write("self.conf", "%include self.conf\n");
    EXPECT_THROW(gc::read_file(self), gc::ReadError);

    dir.write("c.conf", "C { }\n");
    const std::string twice = dir.write("twice.conf", "%include c.conf\n%include c.conf\n");
    try {
        gc::read_file(twice);
        ADD_FAILURE();
    } catch (const gc::ReadError& e) {
        EXPECT_EQ(e.where().line, 2);
        EXPECT_NE(e.problem().find("second time"), std::string::npos) << e.what();
    }
    const std::string missing = dir.write("missing.conf", "\n%include nothere.conf\n");
    try {
        gc::read_file(missing);
        ADD_FAILURE();
    } catch (const gc::ReadError& e) {
        EXPECT_EQ(e.where().file, missing);
        EXPECT_EQ(e.where().line, 2);
    }
    const std::string odd = dir.write("odd.conf", "%include \"a b.conf\"\n");
    EXPECT_THROW(gc::read_file(odd), gc::ReadError);
}

TEST(GaneshaConfReader, RandomBytesNeverCrash) {
    // A poor man's fuzz: every outcome is a document or a ReadError.
    std::srand(7);
    const std::string alphabet = "AB{}=;,\"'#%\n \\x/1.";
    for (int round = 0; round < 3000; ++round) {
        std::string text;
        const int n = std::rand() % 60;
        for (int i = 0; i < n; ++i) text.push_back(alphabet[static_cast<std::size_t>(std::rand()) % alphabet.size()]);
        try {
            gc::parse_text(text, "fuzz.conf");
        } catch (const gc::ReadError& e) {
            EXPECT_EQ(e.where().file, "fuzz.conf");
        }
    }
}

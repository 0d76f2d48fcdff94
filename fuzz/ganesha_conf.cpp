// ganesha.conf (ganesha_conf/): the reader and the check that
// `ganesha-hactl ganesha-conf check`, `cluster setup`, the ganesha_nfsd agent
// and the daemon (its Server_Scope) run on a node's file. The reader throws
// ReadError for anything it cannot parse; the check never throws. %include
// resolves against a scratch directory that holds one good file (inc.conf),
// one that includes itself (loop.conf) and one with a syntax error
// (bad.conf), so the include paths run too.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "ganesha_conf/check.hpp"
#include "ganesha_conf/reader.hpp"

namespace {

std::string scratch;  // removed at exit

std::string scratch_dir() {
    char name[] = "/tmp/gha-fuzz-ganesha-conf-XXXXXX";
    if (!::mkdtemp(name)) std::abort();
    const std::string dir = name;
    scratch = dir;
    std::atexit([] {
        std::error_code ignored;
        std::filesystem::remove_all(scratch, ignored);
    });
    std::ofstream(dir + "/inc.conf") << "EXPORT { Export_Id = 2; Path = /b; Pseudo = /b; FSAL { Name = VFS; } }\n";
    std::ofstream(dir + "/loop.conf") << "NFSV4 { Grace_Period = 20; }\n%include loop.conf\n";
    std::ofstream(dir + "/bad.conf") << "NFSV4 { Grace_Period = 20 }\n";
    return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string dir = scratch_dir();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    gha::ganesha_conf::Document doc;
    try {
        doc = gha::ganesha_conf::parse_text(text, dir + "/ganesha.conf", dir);
    } catch (const gha::ganesha_conf::ReadError& e) {
        if (e.problem().empty()) std::abort();
        return 0;
    }
    if (doc.files.empty()) std::abort();
    const auto result = gha::ganesha_conf::check(doc);
    for (const auto& finding : result.findings)
        if (finding.parameter.empty() || finding.problem.empty()) std::abort();
    if (result.server_scope) {
        if (gha::ganesha_conf::scope_fingerprint(*result.server_scope) == 0) std::abort();
    }
    for (const auto& finding : result.findings) (void)finding.to_string();
    return 0;
}

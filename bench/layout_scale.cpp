// Benchmark driver for the cluster layout at scale (issue 15): for each size,
// the layout `ganesha-hactl cluster show-cib` prints for nodes node1..nodeN,
// measured with Pacemaker's own offline tools, as in the integration tests
// (tests/support/cib_file.hpp: the configuration plus <nodes>, stonith off):
//   show-cib      bytes of the configuration, constraints, rsc_location
//                 constraints, primitives (clone primitives included)
//   crm_verify    `crm_verify -x` of the configuration, CPU time (median of R)
//   steady        every node online with ganesha-active=grace-active=1,
//                 crm_simulate -S until nothing is scheduled: the time that
//                 took (a cold cluster's probes and starts), the CIB's bytes
//                 then (status included) and the lrm_resource entries in it
//   one run       the scheduler on that CIB: `crm_simulate -x CIB -R -Q` as a
//                 whole process (wall and CPU, median of R), and the
//                 scheduler alone (`crm_simulate --profile DIR --repeat R`:
//                 CPU per run, the one schema validation included once);
//                 the same for the input with node1 failed (the run that
//                 computes a failover: -f node1 injected, saved with -I)
// A benchmark, not a test: it prints figures and asserts nothing. It only
// writes below a private temporary directory and runs only Pacemaker's
// offline tools (no cluster, no network).
// Usage: layout_scale BUILD_DIR [--sizes N,N,...] [--runs R] [--hactl PATH]
//   defaults: 3,8,16,32,64; 5; BUILD_DIR/ctl/ganesha-hactl. --hactl measures
//   another build's layout (e.g. the quadratic one of an older commit; its
//   64-node steady state takes crm_simulate tens of minutes to build).
#include <sys/resource.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "ctl/xml_tree.hpp"
#include "tests/support/cib_file.hpp"
#include "tests/support/ganesha_lab.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace lab = gha::lab;
namespace xml = gha::xml;

namespace {

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "layout_scale: %s\n", what.c_str());
    std::exit(1);
}

double children_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_CHILDREN, &u);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return s(u.ru_utime) + s(u.ru_stime);
}

struct Timed {
    lab::CliResult result;
    double wall = 0, cpu = 0;  // seconds
};

Timed timed(const std::vector<std::string>& argv, std::chrono::milliseconds deadline = 3600s) {
    const double cpu0 = children_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    Timed t{lab::run_capture(argv, deadline), 0, 0};
    t.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t.cpu = children_cpu_seconds() - cpu0;
    return t;
}

Timed must(const std::vector<std::string>& argv, std::chrono::milliseconds deadline = 3600s) {
    Timed t = timed(argv, deadline);
    if (t.result.exit_code != 0) die(argv[0] + " failed (" + std::to_string(t.result.exit_code) + "): " + t.result.err);
    return t;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// CPU seconds per scheduler run, from `crm_simulate --profile`'s
// "* Testing DIR/FILE ... X secs" for `repeat` runs.
double profile(const std::string& file, const std::string& dir, int repeat) {
    fs::create_directories(dir);
    fs::copy_file(file, dir + "/input.xml", fs::copy_options::overwrite_existing);
    const auto t = must({"crm_simulate", "--profile", dir, "--repeat", std::to_string(repeat)});
    const auto dots = t.result.out.find("... ");
    if (dots == std::string::npos) die("crm_simulate --profile printed no timing: " + t.result.out);
    return std::atof(t.result.out.c_str() + dots + 4) / repeat;
}

std::string ms(double seconds) {
    char b[32];
    std::snprintf(b, sizeof b, seconds < 0.1 ? "%.1f ms" : "%.0f ms", seconds * 1000);
    return b;
}

std::string kb(std::size_t bytes) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f KB", static_cast<double>(bytes) / 1000);
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) die("usage: layout_scale BUILD_DIR [--sizes N,N,...] [--runs R] [--hactl PATH]");
    const std::string build = argv[1];
    std::string hactl = build + "/ctl/ganesha-hactl";
    std::vector<int> sizes = {3, 8, 16, 32, 64};
    int runs = 5;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) die(a + " needs a value");
        const std::string v = argv[++i];
        if (a == "--sizes") {
            sizes.clear();
            for (std::size_t p = 0; p < v.size();) {
                const auto c = v.find(',', p);
                sizes.push_back(std::atoi(v.substr(p, c - p).c_str()));
                if (sizes.back() < 2 || sizes.back() > 250) die("sizes are 2..250");
                p = c == std::string::npos ? v.size() : c + 1;
            }
        } else if (a == "--runs") {
            runs = std::max(1, std::atoi(v.c_str()));
        } else if (a == "--hactl") {
            hactl = v;
        } else {
            die("unknown option " + a);
        }
    }
    const std::string good_conf = std::string(GHA_SOURCE_DIR) + "/tests/data/conforming-ganesha.conf";
    std::printf("layout of %s, %d runs per figure (medians)\n\n", hactl.c_str(), runs);
    std::printf("| nodes | show-cib | constraints (rsc_location) | primitives | crm_verify CPU | steady CIB (lrm_resource) "
                "| build steady | one run, steady: process wall / CPU, scheduler CPU | one run, node1 failed: process "
                "wall / CPU, scheduler CPU |\n|---|---|---|---|---|---|---|---|---|\n");
    for (const int n : sizes) {
        lab::TempDir dir;
        std::vector<std::string> nodes;
        std::string list, vips;
        for (int i = 1; i <= n; ++i) {
            nodes.push_back("node" + std::to_string(i));
            list += (i > 1 ? "," : "") + nodes.back();
            vips += "VIP_" + nodes.back() + "=\"10.77." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
                    "\"\n";
        }
        const std::string config =
            lab::write_file(dir.file("ganesha-ha.conf"), "HA_NAME=\"scale\"\nHA_CLUSTER_NODES=\"" + list + "\"\n" + vips);
        const std::string configuration =
            must({hactl, "cluster", "--config", config, "--ganesha-conf", good_conf, "show-cib"}).result.out;
        std::size_t constraints = 0, locations = 0, primitives = 0;
        const pugi::xml_document document = xml::parse(configuration);
        const pugi::xml_node conf = document.document_element();
        for (const pugi::xml_node c : xml::elements(conf.child("constraints"))) {
            ++constraints;
            locations += std::string_view(c.name()) == "rsc_location";
        }
        xml::visit(conf.child("resources"), [&](pugi::xml_node e) { primitives += std::string_view(e.name()) == "primitive"; });

        const std::string cib = lab::write_file(dir.file("cib.xml"), lab::full_cib(configuration, nodes));
        std::vector<double> verify;
        for (int r = 0; r < runs; ++r) verify.push_back(must({"crm_verify", "-x", cib}).cpu);

        const std::string steady = lab::write_file(dir.file("steady.xml"), lab::full_cib(configuration, nodes, true));
        const std::string next = dir.file("next.xml");
        double build_s = 0;
        for (int r = 0;; ++r) {
            if (r == 10) die(std::to_string(n) + " nodes: not settled after 10 transitions");
            const auto t = must({"crm_simulate", "-x", steady, "-S", "-O", next});
            fs::rename(next, steady);
            build_s += t.wall;
            if (lab::crm_simulate_quiet(t.result.out)) break;
        }
        const std::string state = lab::read_file(steady);
        std::size_t history = 0;
        for (std::size_t p = 0; (p = state.find("<lrm_resource ", p)) != std::string::npos; ++p) ++history;

        const std::string failed = dir.file("failed.xml");
        must({"crm_simulate", "-x", steady, "-R", "-Q", "-f", "node1", "-I", failed});
        auto one_run = [&](const std::string& input, const std::string& name) {
            std::vector<double> wall, cpu;
            for (int r = 0; r < runs; ++r) {
                const auto t = must({"crm_simulate", "-x", input, "-R", "-Q"});
                wall.push_back(t.wall);
                cpu.push_back(t.cpu);
            }
            return ms(median(wall)) + " / " + ms(median(cpu)) + ", " + ms(profile(input, dir.file(name), runs));
        };
        const std::string at_rest = one_run(steady, "profile-steady"), failover = one_run(failed, "profile-failed");
        std::printf("| %d | %s | %zu (%zu) | %zu | %s | %s (%zu) | %.1f s | %s | %s |\n", n,
                    kb(configuration.size()).c_str(), constraints, locations, primitives, ms(median(verify)).c_str(),
                    kb(state.size()).c_str(), history, build_s, at_rest.c_str(), failover.c_str());
        std::fflush(stdout);
    }
    return 0;
}

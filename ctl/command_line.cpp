#include "ctl/command_line.hpp"

#include <CLI/CLI.hpp>
#include <deque>
#include <map>
#include <memory>
#include <sstream>

#include "ctl/cli_arguments.hpp"
#include "ctl/did_you_mean.hpp"
#include "ctl/peers_command.hpp"

namespace gha::ctl {
namespace {

// Two-space-indented entries before "Options:" are the commands: the bash
// completion (units/bash-completion/ganesha-hactl) reads them from here.
constexpr const char* kHelp = R"(usage: ganesha-hactl [OPTIONS] COMMAND [ARGS]

Commands:
  status [--field NAME]  this node, its monitors and their health; --field prints one member
                         of the answer for scripts: one line per list element, "KEY VALUE"
                         per object member (e.g. cluster_nodes, vips, node, drained)
  monitor                OCF verdict on the local ganesha.nfsd (exit 0/7/1)
  events [--since SEQ] [--limit N]
                         the daemon's event log
  reload                 re-read the configuration (root or HA_CONTROL_GROUP)
  grace [--event E] ADDRESS
                         put the local ganesha into grace for ADDRESS; E is take-ip
                         (default), release-ip, take-nodeid or just-grace (no ADDRESS);
                         node=NODE instead of ADDRESS: NODE's VIP
  failover               move this node's VIP away as if its nfsd had failed
  drain                  move this node's VIP away and keep it away, also across restarts
                         (HA_DRAINED_ATTR=1 in the CIB, as `cluster drain NODE`)
  undrain                end this node's drain: its VIP comes back
  actions [--id N]       running and recent action pipelines with their steps
  peers                  peer heartbeats: state, last heard, incarnation, nfsd, grace held, drops
  connections            NFS client connections to the VIPs: this node's and each peer's last list
                         (tickle targets), and whether the drop table is dropping
  metrics                the daemon's Prometheus metrics (what /metrics serves)
  version                the daemon's version (--version: this program's)
  list-commands          commands the daemon understands
  take-vip ADDRESS       (ganesha_handover agent) the VIP arrives here: grace for its last holder
  release-vip ADDRESS    (ganesha_handover agent) the VIP left here: release its clients' state
  call COMMAND [ARGS]    send COMMAND to the daemon as is, e.g. one of a newer daemon; ARGS are
                         key=value or --key value pairs, other words go to "args"
  keygen [--force] PATH  write a new heartbeat key (HA_HEARTBEAT_KEY), mode 0600; no daemon needed
  ganesha-conf check [--ganesha-conf PATH] [--var-lib-nfs PATH]
                         check that ganesha.conf (default /etc/ganesha/ganesha.conf) keeps clients'
                         state across a failover; prints its Server_Scope; no daemon needed (exit 0/1/2)
  cluster SUBCOMMAND     the Pacemaker layout (no daemon needed): show-cib, setup, teardown, add,
                         delete, status, refresh-config, drain, undrain, move; `ganesha-hactl
                         cluster --help` for details
  help [COMMAND]         this text, or COMMAND's (the same as COMMAND --help)

Options (before or after the command; --name=value works too):
  --socket PATH   control socket (default $GANESHA_HA_SOCKET or /run/ganesha-ha/hactl.sock)
  --json          print the daemon's JSON answer
  --timeout MS    give up after MS milliseconds (default 5000; 60000 when waiting for a pipeline)
  --no-wait       commands that start a pipeline return at once instead of waiting for it
  --version       this program's version
  -h, --help      this text; after a command, the command's own

Exit codes:
  0  success (monitor: ganesha.nfsd running and healthy; pipelines: every step succeeded)
  1  the daemon reported an error, or a pipeline failed (monitor: nfsd failed, hung,
     unknown, or daemon unreachable)
  2  usage error, unknown command, or a command the daemon does not know
  3  nothing found (e.g. no events since SEQ)
  4  ganesha-had not reachable or did not answer in time
  7  monitor only: ganesha.nfsd is not running
)";

constexpr const char* kGlobalFooter =
    "ganesha-hactl's own options work here too: --socket PATH, --json, --timeout MS, --no-wait\n"
    "(ganesha-hactl --help).";
constexpr const char* kClusterFooter =
    "cluster's options work here too: --config PATH, --wait SECONDS, --ganesha-conf PATH; and\n"
    "ganesha-hactl's: --json (ganesha-hactl cluster --help).";

// A daemon argument: `--KEY VALUE`, `--KEY=VALUE` or a `KEY=VALUE` word.
struct Param {
    const char* key;
    const char* metavar;
    const char* help;
};

struct DaemonCommand {
    const char* name;
    const char* help;
    std::vector<Param> params;
    const char* positional = nullptr;  // one word without '=' (sent in "args"), e.g. ADDRESS
};

const std::vector<DaemonCommand>& daemon_commands() {
    static const Param address{"address", "ADDRESS", "the VIP"};
    // Read-only commands another node's daemon answers (over the peer
    // heartbeats, through this node's daemon).
    static const Param remote{"node", "NAME", "ask NAME's daemon instead (read-only, over the peer heartbeats)"};
    static const Param by_agent{"by", "WHO", "operator (default: kept in the CIB, as `cluster drain NODE`) or "
                                             "agent (ganesha_mon's stop and start: not kept, an operator's drain "
                                             "stays)"};
    static const std::vector<DaemonCommand> commands = {
        {"status", "this node (or NAME's: --node), its monitors and their health", {remote}},
        {"monitor", "OCF verdict on the local ganesha.nfsd: exit 0 running, 7 not running, 1 failed", {}},
        {"events",
         "the daemon's event log",
         {{"since", "SEQ", "only events after sequence number SEQ (exit 3 when there are none)"},
          {"limit", "N", "at most N events (default 1000, at most 10000)"},
          remote}},
        {"reload", "re-read the configuration; a bad one is rejected (root or HA_CONTROL_GROUP)", {}},
        {"grace",
         "put the local ganesha into grace for ADDRESS (or NODE's VIP)",
         {{"event", "E", "take-ip (default), release-ip, take-nodeid or just-grace (no ADDRESS)"},
          {"node", "NODE", "the node whose VIP is meant (what the OCF agents know)"},
          address},
         "ADDRESS"},
        {"failover", "move this node's VIP away as if its nfsd had failed", {}},
        {"drain", "move this node's VIP away gracefully and keep it away, also across restarts (in the CIB)",
         {by_agent}},
        {"undrain", "end this node's drain: its VIP comes back when its nfsd is healthy", {by_agent}},
        {"actions", "running, queued and recent action pipelines with their steps",
         {{"id", "N", "only pipeline N"}}},
        {"peers", "peer heartbeats: state, last heard, incarnation, nfsd, grace held, drops", {remote}},
        {"connections", "NFS client connections to the VIPs: this node's and each peer's last list", {}},
        {"metrics", "the daemon's Prometheus metrics (what /metrics serves)", {}},
        {"version", "the daemon's version (ganesha-hactl --version prints this program's)", {}},
        {"list-commands", "the commands the daemon understands", {}},
        {"take-vip", "the VIP arrives on this node: grace for its last holder's records first (ganesha_handover)",
         {address}, "ADDRESS"},
        {"release-vip", "the VIP left this node: release its clients' state (ganesha_handover)", {address}, "ADDRESS"},
    };
    return commands;
}

std::string one_line(std::string text) {
    for (auto& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
}

// Subcommands' help: usage first (lower case, as ganesha-hactl --help has
// it), then the description, arguments, options and footer.
class CommandHelp : public CLI::Formatter {
public:
    CommandHelp() { label("Usage", "usage"); }
    std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
        if (mode == CLI::AppFormatMode::Sub) return CLI::Formatter::make_help(app, name, mode);
        std::string out = make_usage(app, name) + "\n";
        if (!app->get_description().empty()) out += app->get_description() + "\n";
        out += make_positionals(app) + make_groups(app, mode) + make_subcommands(app, mode);
        if (!app->get_footer().empty()) out += "\n" + app->get_footer() + "\n";
        return out;
    }
};

// ganesha-hactl's and cluster's own help: written by hand, grouped, with
// the exit codes.
class FixedHelp : public CLI::Formatter {
public:
    explicit FixedHelp(std::string text) : text_(std::move(text)) {}
    std::string make_help(const CLI::App*, std::string, CLI::AppFormatMode) const override { return text_; }

private:
    std::string text_;
};

std::vector<std::string> subcommand_names(const CLI::App* app) {
    std::vector<std::string> out;
    for (const auto* s : app->get_subcommands([](const CLI::App*) { return true; })) out.push_back(s->get_name());
    return out;
}

// "--field" and friends: the long options `app` and the apps above it read.
std::vector<std::string> option_names(const CLI::App* app) {
    std::vector<std::string> out;
    for (; app != nullptr; app = app->get_parent())
        for (const auto* o : app->get_options())
            for (const auto& n : o->get_lnames()) out.push_back("--" + n);
    return out;
}

std::string suggestion(const std::string& word, const std::vector<std::string>& known) {
    const auto best = closest_word(word, known);
    return best ? "; did you mean '" + *best + "'?" : "";
}

// "ganesha-hactl cluster add" for cluster's add.
std::string path_of(const CLI::App* app) {
    std::string out;
    for (; app != nullptr; app = app->get_parent()) out = app->get_name() + (out.empty() ? "" : " ") + out;
    return out;
}

// "cluster add": what a message names the command by, after "ganesha-hactl: ".
std::string command_of(const CLI::App* app) {
    const std::string path = path_of(app);
    const auto space = path.find(' ');
    return space == std::string::npos ? std::string() : path.substr(space + 1);
}

class Parser {
public:
    explicit Parser(const std::string& default_socket);
    Invocation parse(const std::vector<std::string>& args);

private:
    // A daemon command's CLI11 subcommand and where its values land.
    struct Bound {
        const DaemonCommand* spec;
        CLI::App* app;
        std::map<std::string, std::string> values;  // key -> --key's value
        std::vector<std::string> words;             // KEY=VALUE words and the positional
    };

    void add_daemon_command(const DaemonCommand& spec);
    void add_local_commands();
    Invocation usage(const std::string& message) const;
    Invocation leftover(const CLI::App* leaf, const std::string& word) const;
    Invocation help_for(const std::vector<std::string>& words) const;
    Invocation daemon(const Bound& b, Invocation inv) const;
    std::vector<const CLI::App*> selected() const;

    CLI::App app_{"", "ganesha-hactl"};
    GlobalOptions global_;
    bool no_wait_ = false;
    std::deque<Bound> bound_;  // deque: CLI11 holds pointers into it
    std::string field_;
    CLI::Option* field_option_ = nullptr;
    CLI::App *call_ = nullptr, *keygen_ = nullptr, *ganesha_conf_ = nullptr, *check_ = nullptr, *cluster_ = nullptr,
             *help_ = nullptr;
    std::string call_command_;
    std::string keygen_path_;
    bool keygen_force_ = false;
    GaneshaConfArgs ganesha_conf_args_;
    cluster::ClusterArgs cluster_args_;
    long cluster_wait_ = 120;
    std::vector<std::string> help_words_;
};

Parser::Parser(const std::string& default_socket) {
    global_.socket = default_socket;
    // Set before the options and subcommands are made: they inherit them.
    app_.formatter(std::make_shared<CommandHelp>());
    // An option given twice: the last one counts, as it always did (scripts
    // and the tests put a default first and an override after it).
    app_.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app_.fallthrough();  // a subcommand passes the options it does not know to its parent
    app_.require_subcommand(0, 1);
    app_.add_option("--socket", global_.socket, "control socket")->type_name("PATH");
    app_.add_flag("--json", global_.json, "print the daemon's JSON answer");
    app_.add_option("--timeout", global_.timeout_ms, "give up after MS milliseconds")
        ->type_name("MS")
        ->check(CLI::Range(1L, 600000L));
    app_.add_flag("--no-wait", no_wait_, "return at once from commands that start a pipeline");
    app_.set_version_flag("--version", "ganesha-hactl " GHA_VERSION);
    for (const auto& spec : daemon_commands()) add_daemon_command(spec);
    add_local_commands();
    // Words no subcommand takes end up in remaining(): `call`'s arguments,
    // or a usage error naming the word. Set last: subcommands must not
    // inherit it.
    app_.allow_extras();
    app_.formatter(std::make_shared<FixedHelp>(kHelp));
}

void Parser::add_daemon_command(const DaemonCommand& spec) {
    Bound& b = bound_.emplace_back(Bound{&spec, app_.add_subcommand(spec.name, spec.help), {}, {}});
    b.app->footer(kGlobalFooter);
    for (const auto& p : spec.params)
        b.app->add_option(std::string("--") + p.key, b.values[p.key], p.help)->type_name(p.metavar);
    if (!spec.params.empty()) {
        const std::string what = spec.positional ? std::string(spec.positional) + "|KEY=VALUE" : "KEY=VALUE";
        b.app->add_option("ARGS", b.words, "KEY=VALUE is the same as --KEY VALUE" +
                                               std::string(spec.positional ? std::string("; ") + spec.positional +
                                                                                 ": " + spec.params.back().help
                                                                           : ""))
            ->type_name(what);
    }
    if (std::string(spec.name) == "status")
        field_option_ = b.app->add_option("--field", field_, "print one member of the answer, one value a line")
                            ->type_name("NAME");
}

void Parser::add_local_commands() {
    call_ = app_.add_subcommand("call", "send COMMAND to ganesha-had as is (e.g. one of a newer daemon)");
    call_->add_option("COMMAND", call_command_, "the daemon's command")->required();
    call_->footer(std::string("ARGS: key=value, --key value or --key=value pairs; other words go to \"args\".\n"
                              "since, limit and id must be whole numbers; other values are sent as text.\n") +
                  kGlobalFooter);

    keygen_ = app_.add_subcommand("keygen", kKeygenHelp);
    keygen_->add_option("PATH", keygen_path_, "where to write the key")->required();
    keygen_->add_flag("-f,--force", keygen_force_, "replace an existing file");

    const CLI::Validator absolute(
        [](std::string& s) { return !s.empty() && s.front() == '/' ? std::string() : "needs an absolute path"; },
        "");
    ganesha_conf_ = app_.add_subcommand("ganesha-conf", "checks of the local ganesha.conf (no daemon needed)");
    ganesha_conf_->require_subcommand(0, 1);
    check_ = ganesha_conf_->add_subcommand("check", "check that ganesha.conf keeps NFSv4.1 clients' state across a failover");
    check_->add_option("--ganesha-conf", ganesha_conf_args_.ganesha_conf, "the file to check")
        ->check(absolute)
        ->type_name("PATH");
    check_->add_option("--var-lib-nfs", ganesha_conf_args_.var_lib_nfs, "the ganesha_nfsd agent's var_lib_nfs")
        ->check(absolute)
        ->type_name("PATH");
    check_->footer(std::string(kGaneshaConfCheckHelp) + "\n" + kGlobalFooter);

    cluster_ = app_.add_subcommand("cluster", "the Pacemaker layout");
    cluster_->require_subcommand(0, 1);
    cluster_->add_option("--config", cluster_args_.options.config, "ganesha-ha.conf")->type_name("PATH");
    cluster_->add_option("--wait", cluster_wait_, "bound on waiting for placement (0: no wait)")
        ->type_name("SECONDS")
        ->check(CLI::Range(0L, 3600L));
    cluster_->add_option("--ganesha-conf", cluster_args_.ganesha_conf, "this node's ganesha.conf")
        ->check(CLI::Validator([](std::string& s) { return s.empty() ? "needs a path" : ""; }, ""))
        ->type_name("PATH");
    struct Sub {
        const char* name;
        const char* help;
        std::vector<const char*> operands;
    };
    static const std::vector<Sub> subs = {
        {"show-cib", "print the CIB layout (resources, constraints, properties) setup applies", {}},
        {"setup", "check this node's ganesha.conf, apply the layout to the running cluster, wait for placement", {}},
        {"teardown", "remove exactly what setup created (the objects listed in tag ganesha-ha)", {}},
        {"add", "add a node and its VIP to the layout and to ganesha-ha.conf (with a .bak)", {"NODE", "VIP"}},
        {"delete", "remove a node and its VIP from the layout and from ganesha-ha.conf", {"NODE"}},
        {"status", "nodes, ganesha health, where each VIP runs, and a verdict (exit 0/8/9)", {}},
        {"refresh-config", "re-read export EXPORT_ID from ganesha.conf in the LOCAL ganesha.nfsd", {"EXPORT_ID"}},
        {"drain", "keep NODE's VIPs away, across restarts (HA_DRAINED_ATTR=1 in the CIB)", {"NODE"}},
        {"undrain", "end NODE's drain: its VIP comes back when its nfsd is healthy", {"NODE"}},
        {"move", "move a VIP (its address or home node) to TARGET, TARGET in grace for it first",
         {"VIP|NODE", "TARGET"}},
    };
    // Each operand lands at the same index of cluster_args_.words (after
    // the subcommand's name): a deque would do too, but the operands of one
    // subcommand are all there is.
    cluster_args_.words.resize(3);
    for (const auto& s : subs) {
        CLI::App* sub = cluster_->add_subcommand(s.name, s.help);
        sub->footer(kClusterFooter);
        for (std::size_t i = 0; i < s.operands.size(); ++i)
            sub->add_option(s.operands[i], cluster_args_.words[i + 1])->required();
        if (std::string_view(s.name) == "setup")
            sub->add_flag("--adopt-glusterfs", cluster_args_.adopt_glusterfs,
                          "take over the objects GlusterFS's ganesha-ha.sh made (one CIB patch, no VIP moves)");
    }
    cluster_->footer(kGlobalFooter);
    cluster_->formatter(std::make_shared<FixedHelp>(cluster::kClusterHelp));

    help_ = app_.add_subcommand("help", "ganesha-hactl's help, or COMMAND's");
    help_->add_option("COMMAND", help_words_, "a command (and subcommand)");
}

std::vector<const CLI::App*> Parser::selected() const {
    std::vector<const CLI::App*> path;
    for (const CLI::App* at = &app_; !at->get_subcommands().empty();) {
        at = at->get_subcommands().front();
        path.push_back(at);
    }
    return path;
}

Invocation Parser::usage(const std::string& message) const {
    Invocation inv;
    inv.exit_code = exit_usage;
    inv.err = "ganesha-hactl: " + one_line(message) + "\n";
    return inv;
}

// A word that nothing took: an unknown command, subcommand or option, or a
// word too many.
Invocation Parser::leftover(const CLI::App* leaf, const std::string& word) const {
    const CLI::App* at = leaf ? leaf : &app_;
    const std::string where = leaf ? command_of(leaf) + ": " : "";
    const std::string help = " (" + path_of(at) + " --help)";
    if (word.size() > 1 && word.front() == '-') {
        const std::string name = word.substr(0, word.find('='));
        const auto known = option_names(at);
        if (std::find(known.begin(), known.end(), name) != known.end())  // `--since 5 events`
            return usage(where + "'" + name + "' goes after the command (" + path_of(at) + " " + name + " ...)");
        return usage(where + "unknown option '" + name + "'" + suggestion(name, known) + help);
    }
    if (!leaf)
        return usage("unknown command '" + word + "'" + suggestion(word, subcommand_names(&app_)) +
                     " (ganesha-hactl --help; `ganesha-hactl call " + word + "` sends it to the daemon as is)");
    const auto subs = subcommand_names(at);
    if (!subs.empty()) return usage(where + "unknown subcommand '" + word + "'" + suggestion(word, subs) + help);
    return usage(where + "unexpected argument '" + word + "'" + help);
}

Invocation Parser::help_for(const std::vector<std::string>& words) const {
    Invocation inv;
    if (words.empty()) {
        inv.out = kHelp;
        return inv;
    }
    const CLI::App* at = &app_;
    for (const auto& w : words) {
        const auto names = subcommand_names(at);
        if (std::find(names.begin(), names.end(), w) == names.end())
            return usage("help: no command '" + w + "'" + suggestion(w, names));
        at = at->get_subcommand(w);
    }
    inv.out = at->help(path_of(at->get_parent()));
    return inv;
}

Invocation Parser::daemon(const Bound& b, Invocation inv) const {
    const DaemonCommand& spec = *b.spec;
    std::vector<std::string> words;
    for (const auto& p : spec.params) {
        const CLI::Option* o = b.app->get_option(std::string("--") + p.key);
        if (o->count() > 0) words.push_back(std::string(p.key) + "=" + b.values.at(p.key));
    }
    std::size_t positionals = 0;
    for (const auto& w : b.words) {
        const auto eq = w.find('=');
        if (eq == std::string::npos || eq == 0) {
            if (!spec.positional || ++positionals > 1)
                return usage(std::string(spec.name) + ": unexpected argument '" + w + "' (ganesha-hactl " +
                             spec.name + " --help)");
        } else {
            const std::string key = w.substr(0, eq);
            bool known = false;
            std::vector<std::string> keys;
            for (const auto& p : spec.params) {
                known = known || key == p.key;
                keys.push_back(p.key);
            }
            if (!known)
                return usage(std::string(spec.name) + ": unknown argument '" + w + "'" + suggestion(key, keys) +
                             " (ganesha-hactl " + spec.name + " --help; `ganesha-hactl call " + spec.name +
                             " ...` sends any)");
        }
        words.push_back(w);
    }
    inv.kind = Invocation::Kind::daemon;
    inv.request.command = spec.name;
    std::string problem;
    if (!build_arguments(words, inv.request.arguments, problem))
        return usage(std::string(spec.name) + ": " + problem);
    if (field_option_ && field_option_->count() > 0) {
        if (field_.empty()) return usage("status: --field needs a name");
        inv.field = field_;
    }
    return inv;
}

Invocation Parser::parse(const std::vector<std::string>& args) {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 reads them from the back
    try {
        app_.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        Invocation inv;
        inv.out = app_.help();
        return inv;
    } catch (const CLI::CallForVersion& e) {
        Invocation inv;
        inv.out = std::string(e.what()) + "\n";
        return inv;
    } catch (const CLI::ParseError& e) {
        const auto path = selected();
        const std::string where = path.empty() ? "" : command_of(path.back()) + ": ";
        return usage(where + e.what() + " (" + (path.empty() ? "ganesha-hactl" : path_of(path.back())) + " --help)");
    }

    Invocation inv;
    inv.global = global_;
    inv.global.wait = !no_wait_;
    const auto path = selected();
    const auto remaining = app_.remaining();
    if (path.empty()) {
        if (!remaining.empty()) return leftover(nullptr, remaining.front());
        inv.exit_code = exit_usage;
        inv.err = kHelp;
        return inv;
    }
    const CLI::App* leaf = path.back();
    if (leaf == call_) {
        inv.kind = Invocation::Kind::daemon;
        inv.request.command = call_command_;
        std::string problem;
        if (!build_arguments(remaining, inv.request.arguments, problem)) return usage("call: " + problem);
        return inv;
    }
    if (!remaining.empty()) return leftover(leaf, remaining.front());
    if (leaf == help_) return help_for(help_words_);
    if (leaf == keygen_) {
        inv.kind = Invocation::Kind::keygen;
        inv.keygen_path = keygen_path_;
        inv.keygen_force = keygen_force_;
        return inv;
    }
    if (leaf == ganesha_conf_) {  // no subcommand
        inv.exit_code = exit_usage;
        inv.err = ganesha_conf_->help("ganesha-hactl");
        return inv;
    }
    if (leaf == check_) {
        inv.kind = Invocation::Kind::ganesha_conf;
        inv.ganesha_conf = ganesha_conf_args_;
        return inv;
    }
    if (leaf == cluster_ || leaf->get_parent() == cluster_) {
        inv.kind = Invocation::Kind::cluster;
        inv.cluster = cluster_args_;
        inv.cluster.options.socket = global_.socket;
        inv.cluster.options.json = global_.json;
        inv.cluster.wait = std::chrono::seconds(cluster_wait_);
        inv.cluster.words.clear();
        if (leaf != cluster_) {
            inv.cluster.words.push_back(leaf->get_name());
            for (std::size_t i = 0; i < leaf->get_options([](const CLI::Option* o) { return o->get_positional(); }).size();
                 ++i)
                inv.cluster.words.push_back(cluster_args_.words[i + 1]);
        }
        return inv;
    }
    for (const auto& b : bound_)
        if (b.app == leaf) return daemon(b, std::move(inv));
    return usage("internal error: no handler for '" + leaf->get_name() + "'");
}

}  // namespace

Invocation parse_command_line(const std::vector<std::string>& args, const std::string& default_socket) {
    Parser parser(default_socket);  // CLI11 apps keep state: one per parse
    return parser.parse(args);
}

std::vector<std::string> daemon_command_names() {
    std::vector<std::string> out;
    for (const auto& c : daemon_commands()) out.push_back(c.name);
    return out;
}

}  // namespace gha::ctl

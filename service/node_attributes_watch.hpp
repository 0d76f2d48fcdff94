// Watches this node's permanent node attributes: the CIB's <nodes> section,
// which survives restarts of the daemon and of Pacemaker (attrd's transient
// attributes do not), and which `ganesha-hactl cluster drain NODE` and
// `cluster move VIP TARGET` write from any node:
//   HA_DRAINED_ATTR (default ganesha-drained) = 1   an operator drained the node;
//   ganesha-take-<home> = requested | held          an operator moved <home>'s VIP here.
//
// They are read every 2 s on the loop (and at once on start()), one query
// at a time (the next is armed when the answer is in), each bounded by the
// Pacemaker tools' timeout. The owner hears each change of the whole set
// and acts on edges only.
//
// A write of our own races with the reads: a read started before the write
// ended may show the old value and would undo it. While a write is pending
// no read starts, and a read that started before it is ignored (a
// generation count).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actions/pacemaker_actions.hpp"
#include "monitors/clock.hpp"

namespace gha {

class NodeAttributesWatch {
public:
    static constexpr std::chrono::milliseconds kInterval{2000};

    struct Callbacks {
        std::function<void(const NodeAttributes& now)> changed;  // a read that differs from the last known set
        std::function<void(const std::string& why)> failed;      // the first failed read of a streak
        std::function<void()> answered;  // the first read has ended (a value or an error)
    };

    NodeAttributesWatch(Clock& clock, PacemakerActions& pacemaker, Callbacks callbacks);
    ~NodeAttributesWatch();
    NodeAttributesWatch(const NodeAttributesWatch&) = delete;
    NodeAttributesWatch& operator=(const NodeAttributesWatch&) = delete;

    void start(const std::string& node);
    void stop();

    // nullopt until a read succeeded.
    const std::optional<NodeAttributes>& attributes() const { return attributes_; }
    std::optional<std::string> value(const std::string& name) const;
    // The first read has ended, either way: until then nobody knows
    // whether an operator drained this node before the daemon started.
    bool answered() const { return answered_; }

    // A write of ours is under way / has ended. `written`: it succeeded,
    // and `name` now has `value` (nullopt: none). A failed write forgets
    // what was known: the next read is reported whatever it says, so the
    // CIB stays the truth.
    void writing();
    void wrote(bool written, const std::string& name, const std::optional<std::string>& value);

private:
    void arm(Duration delay);
    void read();

    Clock& clock_;
    PacemakerActions& pacemaker_;
    Callbacks callbacks_;
    std::string node_;
    std::unique_ptr<Timer> timer_;
    CommandRunner::Cancel cancel_;
    std::optional<NodeAttributes> attributes_;
    int writes_ = 0;  // writes of ours under way
    bool answered_ = false, reading_ = false, failing_ = false, running_ = false;
    std::uint64_t generation_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// An attribute value that means "yes": "1" (what ganesha-hactl writes), and
// the other spellings Pacemaker's boolean options accept.
bool attribute_true(const std::string& value);

}  // namespace gha

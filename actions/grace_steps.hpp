// Grace for a peer's address on the local ganesha.nfsd, as pipeline steps:
// the grace() call, then get_grace() to confirm ganesha really is in grace.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "actions/grace_client.hpp"
#include "actions/pipeline.hpp"

namespace gha {

class GraceSteps {
public:
    virtual ~GraceSteps() = default;
    virtual std::vector<Step> grace(GraceEvent event, const std::string& address) = 0;
};

class DbusGraceSteps final : public GraceSteps {
public:
    explicit DbusGraceSteps(std::shared_ptr<GraceClient> client) : client_(std::move(client)) {}
    std::vector<Step> grace(GraceEvent event, const std::string& address) override;

private:
    std::shared_ptr<GraceClient> client_;
};

// "take-ip" -> take_ip, ...; nullopt for anything else.
std::optional<GraceEvent> parse_grace_event(const std::string& name);
const char* to_string(GraceEvent event);

}  // namespace gha

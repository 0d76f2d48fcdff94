#include "actions/vip_holders.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>

namespace gha {

std::optional<std::string> VipHolders::holder(const std::string& vip, std::error_code& ec) const {
    ec.clear();
    std::array<char, 256> buf{};
    const ssize_t n = ::readlink((dir_ + "/" + vip).c_str(), buf.data(), buf.size() - 1);
    if (n < 0) {
        if (errno != ENOENT) ec = {errno, std::generic_category()};
        return std::nullopt;
    }
    return std::string(buf.data(), static_cast<std::size_t>(n));
}

std::error_code VipHolders::set_holder(const std::string& vip, const std::string& node) const {
    // <HA_VOL_MNT>/nfs-ganesha (the ganesha_nfsd agent makes it too), then
    // .vip-holders; never HA_VOL_MNT itself: an unmounted volume must fail.
    const std::string parent = dir_.substr(0, dir_.rfind('/'));
    if (::mkdir(parent.c_str(), 0755) < 0 && errno != EEXIST) return {errno, std::generic_category()};
    if (::mkdir(dir_.c_str(), 0755) < 0 && errno != EEXIST) return {errno, std::generic_category()};
    const std::string link = dir_ + "/" + vip;
    const std::string tmp = link + ".new." + std::to_string(::getpid());
    ::unlink(tmp.c_str());
    if (::symlink(node.c_str(), tmp.c_str()) < 0) return {errno, std::generic_category()};
    if (::rename(tmp.c_str(), link.c_str()) < 0) {
        const std::error_code ec{errno, std::generic_category()};
        ::unlink(tmp.c_str());
        return ec;
    }
    return {};
}

}  // namespace gha

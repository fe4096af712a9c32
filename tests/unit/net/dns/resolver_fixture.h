// A fresh CachingResolver per test, talking to the shared test DNS server, on a manual clock.
#pragma once

#include <functional>
#include <memory>

#include <gtest/gtest.h>

#include "dns_test_server.h"
#include "net/dns/caching_resolver.h"

namespace postern::net::dns::testing {

class ResolverTest : public ::testing::Test {
  protected:
    void SetUp() override {
        server().reset();
        make();
    }

    void make(const std::function<void(ResolverOptions&)>& tweak = {}) {
        resolver_.reset();
        auto options = server().options();
        options.clock = [this] { return clock_.now(); };
        if (tweak)
            tweak(options);
        auto r = CachingResolver::create(std::move(options));
        ASSERT_TRUE(r) << r.error().to_string();
        resolver_ = std::move(*r);
    }

    DnsResult<AddressAnswer> a(const std::string& name) {
        return wait_result<AddressAnswer>(
            [&](Callback<AddressAnswer> cb) { resolver_->lookup_a(name, std::move(cb)); });
    }
    DnsResult<AddressAnswer> aaaa(const std::string& name) {
        return wait_result<AddressAnswer>(
            [&](Callback<AddressAnswer> cb) { resolver_->lookup_aaaa(name, std::move(cb)); });
    }
    DnsResult<MxAnswer> mx(const std::string& name) {
        return wait_result<MxAnswer>(
            [&](Callback<MxAnswer> cb) { resolver_->lookup_mx(name, std::move(cb)); });
    }
    DnsResult<TxtAnswer> txt(const std::string& name) {
        return wait_result<TxtAnswer>(
            [&](Callback<TxtAnswer> cb) { resolver_->lookup_txt(name, std::move(cb)); });
    }

    static std::vector<std::string> strings(const std::vector<IpAddress>& v) {
        std::vector<std::string> out;
        for (const auto& ip : v)
            out.push_back(ip.to_string());
        return out;
    }

    ManualClock clock_;
    std::unique_ptr<CachingResolver> resolver_;
};

}  // namespace postern::net::dns::testing

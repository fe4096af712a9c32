// Helpers for the SASL mechanism tests: readable access to the step variant.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "auth/sasl/mechanism.h"

namespace postern::auth::sasl::testing {

inline std::string describe(const Step& step) {
    if (auto* c = std::get_if<Challenge>(&step))
        return "Challenge{" + c->data + "}";
    if (auto* n = std::get_if<NeedCredentials>(&step))
        return "NeedCredentials{" + n->authcid + "}";
    if (auto* v = std::get_if<VerifyPassword>(&step))
        return "VerifyPassword{" + v->authcid + "}";
    if (auto* s = std::get_if<Success>(&step))
        return "Success{" + s->authcid + "}";
    auto& f = std::get<Failure>(step);
    return "Failure{" + std::string(failure_kind_name(f.kind)) + ": " + f.reason + "}";
}

// The step as T; fails the test (and returns a default T) when it is something else.
template <class T>
T as(const Step& step) {
    if (auto* v = std::get_if<T>(&step))
        return *v;
    ADD_FAILURE() << "unexpected step " << describe(step);
    return T{};
}

inline FailureKind failure_of(const Step& step) {
    if (auto* f = std::get_if<Failure>(&step))
        return f->kind;
    ADD_FAILURE() << "expected a failure, got " << describe(step);
    return FailureKind::aborted;
}

}  // namespace postern::auth::sasl::testing

// Internal to the directory: turning a PasswordSource into stored secrets (policy check,
// argon2id + SCRAM derivation, import of {SCHEME} hashes, generated passwords).
#pragma once

#include <optional>
#include <string>

#include "auth/password.h"
#include "base/result.h"
#include "directory/password_policy.h"
#include "directory/types.h"

namespace postern::directory {

struct PreparedSecrets {
    auth::StoredSecrets secrets;
    std::optional<std::string> generated_password;
};

// Checks (plain passwords against `policy`, hashes with auth::normalize_imported_hash) and
// derives the secrets. Slow for plain and random passwords (argon2id): call it without
// holding the write lock. Thread-safe.
Result<PreparedSecrets> prepare_secrets(const PasswordSource& source, const PasswordPolicy& policy,
                                        const auth::HashParams& params);

// The checks of prepare_secrets without the hashing; the canonical hash for HashedPassword.
Status check_password_source(const PasswordSource& source, const PasswordPolicy& policy);

}  // namespace postern::directory

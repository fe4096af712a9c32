// Stored secrets from a PasswordSource: policy check, hashing, imported hashes.
#include "directory/secrets.h"

namespace postern::directory {

Status check_password_source(const PasswordSource& source, const PasswordPolicy& policy) {
    if (const auto* plain = std::get_if<PlainPassword>(&source))
        return check_password(plain->text, policy);
    if (const auto* hashed = std::get_if<HashedPassword>(&source)) {
        auto normalized = auth::normalize_imported_hash(hashed->text);
        if (!normalized)
            return fail(normalized.error());
    }
    return ok();
}

Result<PreparedSecrets> prepare_secrets(const PasswordSource& source, const PasswordPolicy& policy,
                                        const auth::HashParams& params) {
    PreparedSecrets out;
    if (const auto* plain = std::get_if<PlainPassword>(&source)) {
        if (auto s = check_password(plain->text, policy); !s)
            return fail(s.error());
        out.secrets = auth::derive_secrets(plain->text, params);
    } else if (const auto* hashed = std::get_if<HashedPassword>(&source)) {
        auto normalized = auth::normalize_imported_hash(hashed->text);
        if (!normalized)
            return fail(normalized.error());
        // SCRAM and CRAM secrets cannot be derived from a hash: they are filled in at the
        // first password login (auth::needs_upgrade → AccountLookup::upgrade_secrets).
        out.secrets.hash = std::move(*normalized);
    } else if (std::holds_alternative<RandomPassword>(source)) {
        auto password = generate_password(policy);
        out.secrets = auth::derive_secrets(password, params);
        out.generated_password = std::move(password);
    }
    return out;
}

}  // namespace postern::directory

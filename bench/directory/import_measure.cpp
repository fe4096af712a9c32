// Measures Directory::import_accounts on generated CSV: N accounts with plain passwords
// (hashed at bulk cost on auth.hash_threads threads) and N with pre-hashed {SSHA512} ones.
// Usage: directory_import_measure [rows (default 10000)] [hash threads (default 2)]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

#include <openssl/evp.h>

#include "base/encoding.h"
#include "base/random.h"
#include "config/config.h"
#include "directory/directory.h"

namespace {

using namespace postern;
using namespace postern::directory;

// "{SSHA512}" + base64(SHA512(password + salt) + salt), the form OpenLDAP and Dovecot write.
std::string ssha512(const std::string& password) {
    auto salt = random_bytes(8);
    std::string input = password + salt;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha512(), nullptr);
    return "{SSHA512}" + base64_encode(std::string(reinterpret_cast<char*>(digest), len) + salt);
}

std::string make_csv(std::size_t rows, bool hashed, const std::string& domain) {
    std::string csv = "address,password,quota\n";
    for (std::size_t i = 0; i < rows; ++i) {
        auto password = "Pass-" + random_token(12);
        csv += "user" + std::to_string(i) + "@" + domain + "," +
               (hashed ? ssha512(password) : password) + ",1G\n";
    }
    return csv;
}

int measure(Directory& dir, const char* label, std::size_t rows, bool hashed,
            const std::string& domain) {
    auto csv = make_csv(rows, hashed, domain);
    std::istringstream in(csv);
    auto start = std::chrono::steady_clock::now();
    auto report = dir.import_accounts(in, {});
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!report) {
        std::fprintf(stderr, "%s: %s\n", label, report.error().to_string().c_str());
        return 1;
    }
    std::printf("%-12s %6zu rows  %6zu imported  %3zu errors  %7.2f s  %8.0f rows/s\n", label,
                report->rows, report->imported, report->errors.size(), seconds,
                static_cast<double>(report->imported) / seconds);
    return report->imported == rows ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t rows = argc > 1 ? std::stoul(argv[1]) : 10000;
    unsigned threads = argc > 2 ? static_cast<unsigned>(std::stoul(argv[2])) : 2;

    auto dir_path = std::filesystem::temp_directory_path() / ("postern-import-" + random_token(8));
    std::filesystem::create_directories(dir_path);
    config::AuthConfig auth;  // the shipped defaults
    auth.hash_threads = threads;
    auto options = DirectoryOptions::from(auth);
    std::printf("bulk argon2id m=%u KiB t=%u p=%u, SCRAM i=%u, %u hash threads\n",
                options.bulk_hash.argon2_memory_kib, options.bulk_hash.argon2_iterations,
                options.bulk_hash.argon2_parallelism, options.bulk_hash.scram_iterations,
                options.hash_threads);
    int rc = 1;
    {
        auto dir = Directory::open(dir_path, options);
        if (!dir) {
            std::fprintf(stderr, "open: %s\n", dir.error().to_string().c_str());
            return 1;
        }
        (void)(*dir)->add_domain("plain.example");
        (void)(*dir)->add_domain("hashed.example");
        rc = measure(**dir, "plain", rows, false, "plain.example") |
             measure(**dir, "pre-hashed", rows, true, "hashed.example");
    }
    std::filesystem::remove_all(dir_path);
    return rc;
}

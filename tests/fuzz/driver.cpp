// A small stand-in for libFuzzer's main() when building with GCC: runs every file given (or
// every file in a directory given), then feeds byte-level mutations of them for -seconds=N.
// Crashes surface through ASan/UBSan or assertions exactly as under libFuzzer.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void run(const std::string& input) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

std::string mutate(std::string s, std::mt19937_64& rng) {
    std::uniform_int_distribution<int> op(0, 5);
    int rounds = 1 + static_cast<int>(rng() % 8);
    for (int r = 0; r < rounds; ++r) {
        std::size_t pos = s.empty() ? 0 : rng() % s.size();
        switch (op(rng)) {
            case 0:  // flip a byte
                if (!s.empty())
                    s[pos] = static_cast<char>(rng());
                break;
            case 1: {  // insert an interesting byte
                static constexpr char kInteresting[] = "\r\n\0\"\\=?:;-.{}()<>[] \t\x80\xff";
                s.insert(pos, 1, kInteresting[rng() % (sizeof kInteresting - 1)]);
                break;
            }
            case 2:  // delete a run
                if (!s.empty())
                    s.erase(pos, rng() % 16);
                break;
            case 3:  // duplicate a run
                if (!s.empty())
                    s.insert(pos, s.substr(pos, rng() % 64));
                break;
            case 4:  // truncate
                s.resize(pos);
                break;
            default:  // splice a repeated pattern (deep nesting, long lines)
                s.insert(pos, std::string(rng() % 512, "(\"[{<="[rng() % 6]));
                break;
        }
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 10;
    std::vector<std::string> seeds;
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "-seconds=", 9) == 0) {
            seconds = std::atof(argv[i] + 9);
            continue;
        }
        std::filesystem::path p(argv[i]);
        if (std::filesystem::is_directory(p)) {
            for (auto& e : std::filesystem::recursive_directory_iterator(p)) {
                if (e.is_regular_file())
                    seeds.push_back(read_all(e.path()));
            }
        } else if (std::filesystem::exists(p)) {
            seeds.push_back(read_all(p));
        }
    }
    if (seeds.empty())
        seeds.push_back("");
    for (auto& s : seeds)
        run(s);
    std::mt19937_64 rng(0x5eed);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    std::uint64_t runs = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        auto input = mutate(seeds[rng() % seeds.size()], rng);
        run(input);
        if (rng() % 16 == 0)
            seeds.push_back(std::move(input));  // grow the pool a little
        if (seeds.size() > 4096)
            seeds.erase(seeds.begin() + 1, seeds.begin() + 1025);
        ++runs;
    }
    std::printf("fuzz driver: %zu seeds, %llu mutated runs, no crash\n", seeds.size(),
                static_cast<unsigned long long>(runs));
    return 0;
}

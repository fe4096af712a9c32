// The syntax tree of a Sieve script (RFC 5228 §8.2 grammar): commands and tests share one node
// shape (identifier, arguments, optional test or test list, optional block). The validator
// (compile.h) fills the resolved fields; after that the tree is immutable and shared.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace postern::sieve {

struct Position {
    std::uint32_t line = 1;
    std::uint32_t column = 1;
};

struct Argument {
    enum class Kind : std::uint8_t { string_list, number, tag };
    Kind kind = Kind::string_list;
    bool single = false;               // string_list written as one string, not "[...]"
    std::vector<std::string> strings;  // string_list
    std::vector<bool> dynamic;         // per string: holds "${" and variables are on
    std::uint64_t number = 0;
    std::string tag;  // lower-case, without the ':'
    Position pos;
};

struct CommandSpec;

struct Node {
    std::string name;  // lower-case identifier
    Position pos;
    std::vector<Argument> args;
    std::vector<Node> tests;  // the test (commands) or the test list (anyof/allof/not)
    bool test_list = false;   // written as "( ... )"
    std::vector<Node> block;
    bool has_block = false;

    // Resolved by the validator.
    const CommandSpec* spec = nullptr;
    std::vector<std::pair<std::string, int>> tags;  // tag -> index of its value in args, or -1
    std::vector<int> positional;                    // indices of the positional arguments
    int comparator = 0;                             // Comparator
    int match_type = 0;                             // MatchType
    int relation = 0;                               // Relation for :value / :count
    int address_part = 0;                           // AddressPart
    int decided = 0;  // a test decided at compile time (ihave, RFC 5463): 1 = true

    bool has_tag(std::string_view t) const {
        for (const auto& [tag_name, index] : tags)
            if (tag_name == t)
                return true;
        return false;
    }
    const Argument* tag_value(std::string_view t) const {
        for (const auto& [tag_name, index] : tags)
            if (tag_name == t && index >= 0)
                return &args[static_cast<std::size_t>(index)];
        return nullptr;
    }
    const Argument& pos_arg(std::size_t i) const {
        return args[static_cast<std::size_t>(positional[i])];
    }
};

struct Script {
    std::vector<Node> commands;
    std::vector<std::string> requires_;  // extensions named by require, lower-case
};

}  // namespace postern::sieve

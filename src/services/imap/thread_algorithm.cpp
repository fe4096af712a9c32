// THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 §2.2 steps 1-6, §3) on containers linked
// by index, walked with explicit stacks; the THREAD response through the codec's writer (§4).
#include "services/imap/thread_algorithm.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "base/strings.h"
#include "proto/imap/responses.h"

namespace postern::services::imap {
namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// Sort key of a message or thread: sent date, then mailbox order (RFC 5256 §2.2 step 6).
using DateKey = std::pair<std::int64_t, std::uint32_t>;
constexpr DateKey kNoKey{std::numeric_limits<std::int64_t>::max(), kNone};

class ReferencesThreader {
  public:
    explicit ReferencesThreader(std::span<const ThreadMessage> messages) : msgs_(messages) {
        containers_.reserve(messages.size() * 2 + 1);
        make(kNone);  // the root of step 2 (index 0)
    }

    ThreadTree run() {
        link_messages();     // step 1
        gather_roots();      // step 2
        prune_dummies();     // step 3
        sort_siblings();     // step 4 (every level, so a dummy's first child is its earliest)
        group_by_subject();  // step 5
        sort_siblings();     // step 6
        return output();
    }

  private:
    static constexpr std::uint32_t kRoot = 0;

    struct Container {
        std::uint32_t message = kNone;  // index into msgs_; kNone for a dummy
        std::uint32_t parent = kNone;
        std::uint32_t first = kNone;  // children, as a doubly linked list of siblings
        std::uint32_t last = kNone;
        std::uint32_t prev = kNone;
        std::uint32_t next = kNone;
    };

    std::uint32_t make(std::uint32_t message) {
        containers_.push_back(Container{message});
        return static_cast<std::uint32_t>(containers_.size() - 1);
    }
    Container& at(std::uint32_t i) { return containers_[i]; }
    bool dummy(std::uint32_t i) const { return containers_[i].message == kNone; }
    const ThreadMessage& message(std::uint32_t i) const { return msgs_[containers_[i].message]; }

    // Appends `child` (which has no parent) to `parent`'s children.
    void link(std::uint32_t parent, std::uint32_t child) {
        Container& c = at(child);
        c.parent = parent;
        c.prev = at(parent).last;
        c.next = kNone;
        if (c.prev != kNone)
            at(c.prev).next = child;
        else
            at(parent).first = child;
        at(parent).last = child;
    }

    void unlink(std::uint32_t child) {
        Container& c = at(child);
        if (c.parent == kNone)
            return;
        if (c.prev != kNone)
            at(c.prev).next = c.next;
        else
            at(c.parent).first = c.next;
        if (c.next != kNone)
            at(c.next).prev = c.prev;
        else
            at(c.parent).last = c.prev;
        c.parent = c.prev = c.next = kNone;
    }

    // Whether making `parent` the parent of `child` would close a loop: `child` is `parent` or
    // one of its ancestors. A child with no replies of its own can only be its own ancestor.
    bool would_loop(std::uint32_t parent, std::uint32_t child) const {
        if (parent == child)
            return true;
        if (containers_[child].first == kNone)
            return false;
        for (std::uint32_t a = containers_[parent].parent; a != kNone; a = containers_[a].parent)
            if (a == child)
                return true;
        return false;
    }

    std::vector<std::uint32_t> children(std::uint32_t node) const {
        std::vector<std::uint32_t> out;
        for (auto c = containers_[node].first; c != kNone; c = containers_[c].next)
            out.push_back(c);
        return out;
    }

    // Every node under (and including) `top`, parents before children.
    std::vector<std::uint32_t> pre_order(std::uint32_t top) const {
        std::vector<std::uint32_t> out;
        std::vector<std::uint32_t> stack{top};
        while (!stack.empty()) {
            auto n = stack.back();
            stack.pop_back();
            out.push_back(n);
            for (auto c = containers_[n].first; c != kNone; c = containers_[c].next)
                stack.push_back(c);
        }
        return out;
    }

    // Step 1: a container per Message-ID; References chains linked parent to child; each
    // message under its last reference.
    void link_messages() {
        std::unordered_map<std::string_view, std::uint32_t> ids;
        ids.reserve(msgs_.size() * 2);
        for (std::uint32_t i = 0; i < msgs_.size(); ++i) {
            const ThreadMessage& m = msgs_[i];
            std::uint32_t self = kNone;
            if (!m.message_id.empty()) {
                auto it = ids.find(m.message_id);
                if (it == ids.end()) {
                    self = make(i);
                    ids.emplace(m.message_id, self);
                } else if (dummy(it->second)) {
                    self = it->second;  // seen as a reference before: fill it
                    at(self).message = i;
                }
            }
            if (self == kNone)
                self = make(i);  // no Message-ID, or a duplicate: unique (RFC 5256 §2.2 1.A)
            std::uint32_t prev = kNone;
            for (const auto& ref : m.references) {
                if (ref.empty())
                    continue;
                auto [it, fresh] = ids.try_emplace(ref, kNone);
                if (fresh)
                    it->second = make(kNone);
                const std::uint32_t cur = it->second;
                if (prev != kNone && at(cur).parent == kNone && !would_loop(prev, cur))
                    link(prev, cur);
                prev = cur;
            }
            // 1.B: the message's own references decide its parent (NIL when it has none), even
            // over a parent guessed from another message's References.
            if (at(self).parent != prev || prev == kNone)
                unlink(self);
            if (prev != kNone && at(self).parent == kNone && !would_loop(prev, self))
                link(prev, self);
        }
    }

    // Step 2: everything without a parent hangs under the root.
    void gather_roots() {
        for (std::uint32_t i = 1; i < containers_.size(); ++i)
            if (at(i).parent == kNone)
                link(kRoot, i);
    }

    // Puts `x`'s children where `x` is among its siblings, in order, and takes `x` out.
    void replace_with_children(std::uint32_t x) {
        const std::uint32_t p = at(x).parent;
        const std::uint32_t first = at(x).first;
        const std::uint32_t last = at(x).last;
        for (auto c = first; c != kNone; c = at(c).next)
            at(c).parent = p;
        const std::uint32_t before = at(x).prev;
        const std::uint32_t after = at(x).next;
        at(first).prev = before;
        at(last).next = after;
        if (before != kNone)
            at(before).next = first;
        else
            at(p).first = first;
        if (after != kNone)
            at(after).prev = last;
        else
            at(p).last = last;
        at(x) = Container{};
    }

    // Step 3: dummies without children go; dummies with children give way to them, except a
    // dummy holding several threads at the top level. Children are settled before parents.
    void prune_dummies() {
        auto order = pre_order(kRoot);
        for (auto it = order.rbegin(); it != order.rend(); ++it) {
            const std::uint32_t x = *it;
            if (x == kRoot || !dummy(x))
                continue;
            if (at(x).first == kNone) {
                unlink(x);
                continue;
            }
            const bool one_child = at(at(x).first).next == kNone;
            if (at(x).parent == kRoot && !one_child)
                continue;
            replace_with_children(x);
        }
    }

    // Steps 4 and 6: siblings by sent date, the youngest sets first; a dummy sorts as its first
    // child.
    void sort_siblings() {
        std::vector<DateKey> keys(containers_.size(), kNoKey);
        auto order = pre_order(kRoot);
        for (auto it = order.rbegin(); it != order.rend(); ++it) {
            const std::uint32_t x = *it;
            auto kids = children(x);
            std::stable_sort(kids.begin(), kids.end(),
                             [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
            for (auto k : kids)
                unlink(k);
            for (auto k : kids)
                link(x, k);
            if (!dummy(x))
                keys[x] = DateKey{message(x).date, at(x).message};
            else if (!kids.empty())
                keys[x] = keys[kids.front()];
        }
    }

    // The message whose subject stands for a top-level thread: itself, or for a dummy its
    // first child.
    const ThreadMessage* thread_subject(std::uint32_t x) const {
        while (x != kNone && dummy(x))
            x = containers_[x].first;
        return x == kNone ? nullptr : &message(x);
    }

    // Step 5: top-level threads with the same base subject are merged.
    void group_by_subject() {
        const auto roots = children(kRoot);
        std::vector<std::string> subjects(roots.size());
        std::unordered_map<std::string, std::uint32_t> table;
        for (std::size_t k = 0; k < roots.size(); ++k) {
            const std::uint32_t x = roots[k];
            const ThreadMessage* m = thread_subject(x);
            if (!m || m->base_subject.empty())
                continue;
            subjects[k] = to_lower(m->base_subject);  // i;ascii-casemap
            auto [it, fresh] = table.try_emplace(subjects[k], x);
            if (fresh)
                continue;
            const std::uint32_t t = it->second;
            if (!dummy(t) && (dummy(x) || (message(t).reply && !message(x).reply)))
                it->second = x;
        }
        for (std::size_t k = 0; k < roots.size(); ++k) {
            const std::uint32_t x = roots[k];
            if (subjects[k].empty() || at(x).parent != kRoot)
                continue;
            auto it = table.find(subjects[k]);
            const std::uint32_t t = it->second;
            if (t == x)
                continue;
            if (dummy(t) && dummy(x)) {
                for (auto c : children(x)) {
                    unlink(c);
                    link(t, c);
                }
                unlink(x);
            } else if (dummy(t) || (!dummy(x) && message(x).reply && !message(t).reply)) {
                unlink(x);
                link(t, x);
            } else {
                // Both replies or neither: siblings under a new dummy, not parent and child.
                const std::uint32_t d = make(kNone);
                link(kRoot, d);
                unlink(t);
                link(d, t);
                unlink(x);
                link(d, x);
                it->second = d;
            }
        }
    }

    ThreadTree output() const {
        ThreadTree tree;
        std::vector<std::pair<std::uint32_t, std::uint32_t>> stack;  // container, node
        auto add = [&](std::uint32_t c) {
            const auto node = static_cast<std::uint32_t>(tree.nodes.size());
            tree.nodes.push_back({dummy(c) ? 0u : message(c).number, {}});
            stack.emplace_back(c, node);
            return node;
        };
        for (auto r = containers_[kRoot].first; r != kNone; r = containers_[r].next)
            tree.roots.push_back(add(r));
        while (!stack.empty()) {
            auto [c, node] = stack.back();
            stack.pop_back();
            for (auto k = containers_[c].first; k != kNone; k = containers_[k].next) {
                const auto child = add(k);
                tree.nodes[node].children.push_back(child);
            }
        }
        return tree;
    }

    std::span<const ThreadMessage> msgs_;
    std::vector<Container> containers_;
};

// Builds the codec's nested nodes bottom-up, without recursion.
std::vector<proto::imap::ThreadNode> nested_nodes(const ThreadTree& tree) {
    std::vector<proto::imap::ThreadNode> built(tree.nodes.size());
    std::vector<std::uint32_t> order;
    std::vector<std::uint32_t> stack(tree.roots.rbegin(), tree.roots.rend());
    while (!stack.empty()) {
        auto n = stack.back();
        stack.pop_back();
        order.push_back(n);
        for (auto c : tree.nodes[n].children)
            stack.push_back(c);
    }
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        auto& node = built[*it];
        node.message = tree.nodes[*it].message;
        for (auto c : tree.nodes[*it].children)
            node.children.push_back(std::move(built[c]));
    }
    std::vector<proto::imap::ThreadNode> roots;
    roots.reserve(tree.roots.size());
    for (auto r : tree.roots)
        roots.push_back(std::move(built[r]));
    return roots;
}

// Takes nested nodes apart one level at a time: the implicit destructor would recurse as deep
// as the thread.
void dismantle(std::vector<proto::imap::ThreadNode>& roots) {
    std::vector<proto::imap::ThreadNode> pending;
    pending.reserve(roots.size());
    for (auto& r : roots)
        pending.push_back(std::move(r));
    roots.clear();
    while (!pending.empty()) {
        proto::imap::ThreadNode node = std::move(pending.back());
        pending.pop_back();
        for (auto& c : node.children)
            pending.push_back(std::move(c));
    }
}

}  // namespace

ThreadTree thread_ordered_subject(std::span<const ThreadMessage> messages) {
    const auto n = static_cast<std::uint32_t>(messages.size());
    std::vector<std::string> subjects(n);
    for (std::uint32_t i = 0; i < n; ++i)
        subjects[i] = to_lower(messages[i].base_subject);  // i;ascii-casemap
    auto key = [&](std::uint32_t i) { return DateKey{messages[i].date, i}; };
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        if (int c = subjects[a].compare(subjects[b]); c != 0)
            return c < 0;
        return key(a) < key(b);
    });
    ThreadTree tree;
    tree.nodes.reserve(n);
    std::vector<std::uint32_t> first_of;  // per thread: its first message's index
    for (std::uint32_t i = 0; i < n;) {
        const auto root = static_cast<std::uint32_t>(tree.nodes.size());
        tree.nodes.push_back({messages[order[i]].number, {}});
        tree.roots.push_back(root);
        first_of.push_back(order[i]);
        std::uint32_t j = i + 1;
        for (; j < n && subjects[order[j]] == subjects[order[i]]; ++j) {
            tree.nodes[root].children.push_back(static_cast<std::uint32_t>(tree.nodes.size()));
            tree.nodes.push_back({messages[order[j]].number, {}});
        }
        i = j;
    }
    std::vector<std::uint32_t> threads(tree.roots.size());
    std::iota(threads.begin(), threads.end(), 0u);
    std::sort(threads.begin(), threads.end(), [&](std::uint32_t a, std::uint32_t b) {
        return key(first_of[a]) < key(first_of[b]);
    });
    std::vector<std::uint32_t> roots;
    roots.reserve(threads.size());
    for (auto t : threads)
        roots.push_back(tree.roots[t]);
    tree.roots = std::move(roots);
    return tree;
}

ThreadTree thread_references(std::span<const ThreadMessage> messages) {
    return ReferencesThreader(messages).run();
}

std::string thread_response(const ThreadTree& tree) {
    auto roots = nested_nodes(tree);
    std::string out;
    proto::imap::append_thread(out, roots);
    dismantle(roots);
    return out;
}

}  // namespace postern::services::imap

// Event queue contract (kernel-private, white-box): pop() returns events in (time, priority,
// source, sequence) order whatever the order of the pushes, for every push the kernel can
// make: later times at any distance (every radix level), the current time (zero delay), times
// inside the lowest level's window after it was filled from a higher bucket (the run's
// slices and the chains side by side), and, in a parallel run, events earlier than a peeked
// minimum (the early heap). The reference is a sorted set of the same keys.
#include "event_queue.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <set>
#include <tuple>
#include <vector>

using namespace strata;
using strata::detail::EventAccess;
using strata::detail::EventQueue;

namespace {

using Key = std::tuple<Time, int, std::uint32_t, std::uint32_t>;  // time, priority, source, seq

Key key_of(const Transaction& t) {
  return {EventAccess::time(t), static_cast<int>(EventAccess::tie_major(t) >> 32),
          static_cast<std::uint32_t>(EventAccess::tie_major(t)), EventAccess::tie_minor(t)};
}

struct QueueModel {
  EventQueue q;
  std::set<Key> reference;
  std::uint32_t next_seq = 0;

  void push(Time when, std::uint8_t priority, std::uint32_t source) {
    auto* t = new Signal();
    EventAccess::stamp(*t, nullptr, Handler{}, when, source, next_seq++, priority);
    reference.insert(key_of(*t));
    q.push(t);
  }
  // Pops one event and checks it is the reference's minimum; returns its time.
  Time pop_and_check() {
    REQUIRE(!q.empty());
    const Time peeked = q.top_time();
    Transaction* t = q.pop();
    const Key got = key_of(*t);
    delete t;
    REQUIRE(got == *reference.begin());
    REQUIRE(std::get<0>(got) == peeked);
    reference.erase(reference.begin());
    REQUIRE(q.size() == reference.size());
    return std::get<0>(got);
  }
};

// A delay drawn across the radix levels: zero, inside the lowest digit, a few digits, far.
Time draw_delay(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0: return 0;
    case 1: return rng() % 256;
    case 2: return 256 + rng() % 4096;
    case 3: return rng() % 70'000;
    case 4: return rng() % (Time{1} << 28);
    default: return 1000 + rng() % 3000;  // PHOLD-like: lookahead + Exp
  }
}

}  // namespace

TEST_CASE("event queue: pops in (time, priority, source, sequence) order for pushes at every distance") {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u}) {
    std::mt19937_64 rng(seed);
    QueueModel m;
    for (int i = 0; i < 2000; ++i)
      m.push(draw_delay(rng), static_cast<std::uint8_t>(rng() % 3), static_cast<std::uint32_t>(rng() % 50));
    // hold model: every pop pushes 0-2 events no earlier than the popped time
    for (int step = 0; step < 60'000 && !m.q.empty(); ++step) {
      const Time now = m.pop_and_check();
      const int pushes = static_cast<int>(rng() % 3) + (step < 40'000 ? 0 : -1);
      for (int k = 0; k < pushes; ++k)
        m.push(now + draw_delay(rng), static_cast<std::uint8_t>(rng() % 3), static_cast<std::uint32_t>(rng() % 50));
    }
    while (!m.q.empty()) m.pop_and_check();
  }
}

TEST_CASE("event queue: a burst in one window comes out sorted, with later pushes into the same window") {
  // Thousands of events within 256 ps of each other are moved down together (the lowest
  // level's run); events pushed into that window afterwards join them at their times.
  std::mt19937_64 rng(7);
  QueueModel m;
  for (int i = 0; i < 5000; ++i) m.push(100'000 + rng() % 256, 0, static_cast<std::uint32_t>(rng() % 1000));
  Time now = m.pop_and_check();
  for (int i = 0; i < 3000; ++i) {
    m.push(now + rng() % 64, static_cast<std::uint8_t>(rng() % 2), static_cast<std::uint32_t>(rng() % 1000));
    now = m.pop_and_check();
  }
  while (!m.q.empty()) m.pop_and_check();
}

TEST_CASE("event queue: events earlier than a peeked minimum (from another partition) run first") {
  std::mt19937_64 rng(11);
  QueueModel m;
  Time now = 0;
  for (int i = 0; i < 500; ++i) m.push(5000 + rng() % 100'000, 0, static_cast<std::uint32_t>(rng() % 20));
  for (int step = 0; step < 5000 && !m.q.empty(); ++step) {
    const Time peek = m.q.top_time();  // moves the radix reference to the minimum
    if (peek > now && rng() % 2) m.push(now + rng() % (peek - now), 1, static_cast<std::uint32_t>(rng() % 20));
    now = m.pop_and_check();
    if (rng() % 2) m.push(now + draw_delay(rng), 0, static_cast<std::uint32_t>(rng() % 20));
  }
  while (!m.q.empty()) m.pop_and_check();
}

TEST_CASE("event queue: drain hands back every pending event, also those moved to the lowest level") {
  std::mt19937_64 rng(5);
  QueueModel m;
  for (int i = 0; i < 3000; ++i) m.push(1000 + rng() % 100'000, 0, static_cast<std::uint32_t>(i));
  for (int i = 0; i < 100; ++i) m.pop_and_check();  // some buckets refilled, slices half taken
  std::size_t drained = 0;
  m.q.drain([&](Transaction* t) {
    ++drained;
    delete t;
  });
  CHECK(drained == m.reference.size());
  CHECK(m.q.empty());
}

// event_queue.hpp - the pending-event set: a monotone radix heap keyed on time, with a
// small binary heap for the events that share the current minimum time.
//
// Why a radix heap: simulated time never goes backwards, so every key pushed is >= the
// last key popped. Bucket b (1..64) holds events whose time differs from the last popped
// time first in bit b-1; push is O(1) (append to a vector), and each event moves to a
// lower bucket at most 64 times (in practice a handful), scanning memory sequentially.
// That beats a binary heap's log2(n) cache-missing sift steps for large pending sets
// (100k LPs) and matches it for small ones. Bucket 0 holds the events at exactly the
// current time, ordered by the partition-independent tie key (priority, source id,
// per-source sequence) read from the transaction header; ties are rare, so that heap is
// usually one element. Entries are 16 bytes: time and the transaction pointer.
//
// Peeking (top_time) moves the radix reference to the minimum. In a parallel run, events
// from other partitions arrive after such a peek and may be earlier than that minimum
// (never earlier than the current time); they go to a small binary heap of "early"
// events, and pop() takes whichever of the two fronts runs first under the full order.
#pragma once

#include <strata/component.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

namespace strata::detail {

class EventQueue {
 public:
  struct Entry {
    Time time;
    Transaction* txn;
  };

  bool empty() const { return size_ == 0 && early_.empty(); }
  std::size_t size() const { return size_ + early_.size(); }
  /// Time of the last popped event: a lower bound for every push.
  Time floor() const { return last_; }

  void push(Transaction* t) {
    Time when = EventAccess::time(*t);
    if (when < last_) [[unlikely]] {
      early_.push_back(Entry{when, t});
      std::push_heap(early_.begin(), early_.end(), Later{});
      return;
    }
    unsigned b = bucket_of(when);
    buckets_[b].push_back(Entry{when, t});
    if (b == 0) {
      if (buckets_[0].size() > 1) std::push_heap(buckets_[0].begin(), buckets_[0].end(), TieLater{});
    }
    else
      nonempty_ |= std::uint64_t{1} << (b - 1);
    ++size_;
  }

  /// Time of the next event; precondition !empty().
  Time top_time() {
    if (!early_.empty()) [[unlikely]] {
      Time e = early_.front().time;
      if (size_ == 0) return e;
      if (buckets_[0].empty()) refill();
      return e < last_ ? e : last_;
    }
    if (buckets_[0].empty()) refill();
    return last_;
  }

  /// Remove and return the next event; precondition !empty().
  Transaction* pop() {
    if (!early_.empty()) [[unlikely]] {
      bool take_early = size_ == 0;
      if (!take_early) {
        if (buckets_[0].empty()) refill();
        const Entry& e = early_.front();
        take_early = e.time < last_ || (e.time == last_ && EventAccess::before(*e.txn, *buckets_[0].front().txn));
      }
      if (take_early) {
        std::pop_heap(early_.begin(), early_.end(), Later{});
        Transaction* t = early_.back().txn;
        early_.pop_back();
        return t;
      }
    }
    if (buckets_[0].empty()) refill();
    auto& b0 = buckets_[0];
    --size_;
    if (b0.size() == 1) {  // the common case: no tie at this time
      Transaction* t = b0[0].txn;
      b0.clear();
      return t;
    }
    std::pop_heap(b0.begin(), b0.end(), TieLater{});
    Transaction* t = b0.back().txn;
    b0.pop_back();
    return t;
  }

  /// Every pending transaction (for cleanup), emptying the queue.
  template <class F>
  void drain(F&& f) {
    for (auto& b : buckets_) {
      for (auto& e : b) f(e.txn);
      b.clear();
    }
    for (auto& e : early_) f(e.txn);
    early_.clear();
    nonempty_ = 0;
    size_ = 0;
  }

 private:
  struct TieLater {  // heap comparator: true when a runs after b
    bool operator()(const Entry& a, const Entry& b) const { return EventAccess::before(*b.txn, *a.txn); }
  };
  struct Later {  // full order (time, then tie key), for the early heap
    bool operator()(const Entry& a, const Entry& b) const {
      return a.time != b.time ? a.time > b.time : EventAccess::before(*b.txn, *a.txn);
    }
  };
  unsigned bucket_of(Time t) const { return t == last_ ? 0u : static_cast<unsigned>(std::bit_width(t ^ last_)); }

  void refill() {
    // lowest non-empty bucket above 0 holds the next minimum
    unsigned b = static_cast<unsigned>(std::countr_zero(nonempty_)) + 1;
    auto& src = buckets_[b];
    Time m = src.front().time;
    for (const auto& e : src) m = e.time < m ? e.time : m;
    last_ = m;
    nonempty_ &= ~(std::uint64_t{1} << (b - 1));
    for (const auto& e : src) {
      unsigned nb = bucket_of(e.time);  // always < b
      buckets_[nb].push_back(e);
      if (nb) nonempty_ |= std::uint64_t{1} << (nb - 1);
    }
    src.clear();
    if (buckets_[0].size() > 1) std::make_heap(buckets_[0].begin(), buckets_[0].end(), TieLater{});
  }

  std::array<std::vector<Entry>, 65> buckets_;
  std::vector<Entry> early_;
  std::uint64_t nonempty_ = 0;  // bit b-1 set when bucket b (1..64) is non-empty
  Time last_ = 0;
  std::size_t size_ = 0;
};

}  // namespace strata::detail

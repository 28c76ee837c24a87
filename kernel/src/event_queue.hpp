// event_queue.hpp - the pending-event set: a monotone radix heap keyed on time, with a
// small sorted vector for the events that share the current minimum time.
//
// Why a radix heap: simulated time never goes backwards, so every key pushed is >= the
// last key popped. Keys are compared with the last popped time in 8-bit digits: an event
// whose time first differs from it in digit L (0..7), where its digit is D, waits in
// bucket (L, D). Every event of bucket (L, D) is earlier than every event of (L, D' > D)
// and of any higher level, so the minimum is in the lowest non-empty bucket (a bitmap of
// 2048 with a summary word). Push is O(1) (an append); refilling moves that bucket's events
// to lower levels, so an event moves at most 8 times, in practice twice for delays of
// 2^8 to 2^16 ps (to the lowest level, then to now). That beats a binary heap's log2(n)
// cache-missing sift steps for large pending sets (100k LPs) and matches it for small
// ones; 4-bit digits moved each event once more, 1-bit digits about twice as often
// (bench/README.md). A bucket of the lowest level holds one time: when it is reached, its
// events all move to now, and the headers of the next one are prefetched.
// The events at exactly the current time ("now") are a vector sorted by the
// partition-independent tie key (priority, source id, per-source sequence) read from the
// transaction header, the next one last: sorted once when the time is reached (a few dozen
// events), popped from the back; an event sent to the current time (zero delay) is
// inserted in place. Bucket entries are 16 bytes: time and the transaction pointer.
//
// Buckets are chains of 2 KiB blocks drawn from one free list, not vectors: a vector keeps
// the capacity of the largest burst it ever held, and in a 100k-event system each of a
// dozen buckets holds nearly every event at some point (15 MB of capacity for 1.6 MB of
// entries). With blocks the memory follows the pending events, plus one block per bucket.
// One exception: when a higher bucket is refilled, the events it sends down to the lowest
// level are counting-sorted by their last digit into one array (the "run", reused at every
// refill; bucket d is a slice of it) instead of being appended to up to 256 chains: in
// PHOLD 1024 x 16 each lowest bucket holds ~8 events, so the chains cost a fresh block, a
// store miss and a free-list read per bucket, and their blocks pushed the working set past
// L2 (bench/README.md). Events pushed into the lowest level later go to its chains.
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
#include <memory>
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
    if (b == kNow) {
      const NowEntry k = keyed(t);
      now_.insert(std::upper_bound(now_.begin(), now_.end(), k, TieLater{}), k);
    } else {
      append(b, Entry{when, t});
    }
    ++size_;
  }

  /// Time of the next event; precondition !empty().
  Time top_time() {
    if (!early_.empty()) [[unlikely]] {
      Time e = early_.front().time;
      if (size_ == 0) return e;
      if (now_.empty()) refill();
      return e < last_ ? e : last_;
    }
    if (now_.empty()) refill();
    return last_;
  }

  /// Remove and return the next event; precondition !empty().
  Transaction* pop() {
    if (!early_.empty()) [[unlikely]] {
      bool take_early = size_ == 0;
      if (!take_early) {
        if (now_.empty()) refill();
        const Entry& e = early_.front();
        take_early = e.time < last_ || (e.time == last_ && EventAccess::before(*e.txn, *now_.back().txn));
      }
      if (take_early) {
        std::pop_heap(early_.begin(), early_.end(), Later{});
        Transaction* t = early_.back().txn;
        early_.pop_back();
        return t;
      }
    }
    if (now_.empty()) refill();
    --size_;
    Transaction* t = now_.back().txn;
    now_.pop_back();
    return t;
  }

  /// The next event if its time is before `until` (its time in `when`), else nullptr and
  /// the queue keeps it: top_time() and pop() in one pass, for the event loop.
  Transaction* pop_before(Time until, Time& when) {
    if (!early_.empty()) [[unlikely]] {
      if (top_time() >= until) return nullptr;
      when = top_time();
      return pop();
    }
    if (now_.empty()) {
      if (size_ == 0) return nullptr;
      refill();
    }
    if (last_ >= until) return nullptr;
    when = last_;
    --size_;
    Transaction* t = now_.back().txn;
    now_.pop_back();
    return t;
  }

  /// The transaction that pop() would return next when it is already known without a
  /// refill (another event at the current time), else nullptr. A hint for prefetching.
  const Transaction* peek_tie() const { return now_.empty() ? nullptr : now_.back().txn; }

  /// Every pending transaction (for cleanup), emptying the queue.
  template <class F>
  void drain(F&& f) {
    for (auto& e : now_) f(e.txn);
    now_.clear();
    for (unsigned d = 0; d < kDigits; ++d)
      for (std::uint32_t i = run_begin_[d]; i < run_end_[d]; ++i) f(run_[i]);
    run_begin_ = {};
    run_end_ = {};
    for (unsigned b = 0; b < kBuckets; ++b) {
      const Chain& c = chains_[b];
      for (Block* k = c.head; k; k = k->next)
        for (std::uint32_t i = 0, n = c.count_in(k); i < n; ++i) f(k->entries[i].txn);
      release_chain(b);
    }
    for (auto& e : early_) f(e.txn);
    early_.clear();
    nonempty_ = {};
    summary_ = 0;
    size_ = 0;
  }

 private:
  // An event at the current time with its tie key beside it: the sort compares numbers, not
  // transaction headers (~50 events share each picosecond in PHOLD 100k: a dozen compares
  // per pop).
  struct NowEntry {
    unsigned __int128 key;  // priority, source, per-source sequence: one comparison
    Transaction* txn;
  };
  static NowEntry keyed(Transaction* t) {
    return {static_cast<unsigned __int128>(EventAccess::tie_major(*t)) << 32 | EventAccess::tie_minor(*t), t};
  }
  /// Sort the new instant's events, the next one last. An instant holds a handful of events
  /// (~8 in PHOLD 1024 x 16), and an insertion sort of those mispredicts about once per
  /// event; up to kRankSortMax events each one's place is instead counted without branches
  /// (the keys are distinct: source and sequence identify an event) and it is stored there.
  static constexpr std::size_t kRankSortMax = 16;
  void sort_now() {
    const std::size_t n = now_.size();
    if (n > kRankSortMax) {
      for (NowEntry& e : now_) e = keyed(e.txn);
      std::sort(now_.begin(), now_.end(), TieLater{});
      return;
    }
    NowEntry in[kRankSortMax];
    for (std::size_t i = 0; i < n; ++i) in[i] = keyed(now_[i].txn);
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t later = 0;  // events that run after this one go before it
      for (std::size_t j = 0; j < n; ++j) later += in[j].key > in[i].key;
      now_[later] = in[i];
    }
  }
  struct TieLater {  // sort comparator (the next event last): true when a runs after b
    bool operator()(const NowEntry& a, const NowEntry& b) const { return a.key > b.key; }
  };
  struct Later {  // full order (time, then tie key), for the early heap
    bool operator()(const Entry& a, const Entry& b) const {
      return a.time != b.time ? a.time > b.time : EventAccess::before(*b.txn, *a.txn);
    }
  };
  static constexpr unsigned kDigitBits = 8, kDigits = 1u << kDigitBits;
  static constexpr unsigned kLevels = (64 + kDigitBits - 1) / kDigitBits;
  static constexpr unsigned kBuckets = kLevels * kDigits, kNow = kBuckets;
  static constexpr unsigned kWords = kBuckets / 64;
  static_assert(kWords <= 64 && kBuckets % 64 == 0);
  unsigned bucket_of(Time t) const {
    const Time x = t ^ last_;
    if (x == 0) return kNow;
    const unsigned level = static_cast<unsigned>(std::bit_width(x) - 1) / kDigitBits;
    return level * kDigits + static_cast<unsigned>((t >> (kDigitBits * level)) & (kDigits - 1));
  }
  void mark(unsigned b) {
    nonempty_[b >> 6] |= std::uint64_t{1} << (b & 63);
    summary_ |= std::uint64_t{1} << (b >> 6);
  }
  void unmark(unsigned b) {
    if (!(nonempty_[b >> 6] &= ~(std::uint64_t{1} << (b & 63)))) summary_ &= ~(std::uint64_t{1} << (b >> 6));
  }
  unsigned lowest_bucket() const {  // precondition: some bucket holds events
    const unsigned w = static_cast<unsigned>(std::countr_zero(summary_));
    return w * 64 + static_cast<unsigned>(std::countr_zero(nonempty_[w]));
  }
  /// The next non-empty bucket of the lowest level after b (< kDigits), or kBuckets.
  unsigned next_lowest_after(unsigned b) const {
    for (unsigned w = b >> 6, first = (b & 63) + 1; w < kDigits / 64; ++w, first = 0) {
      const std::uint64_t bits = first == 64 ? 0 : nonempty_[w] >> first << first;
      if (bits) return w * 64 + static_cast<unsigned>(std::countr_zero(bits));
    }
    return kBuckets;
  }

  static constexpr std::uint32_t kBlockEntries = 127;  // 2 KiB blocks
  struct Block {
    Entry entries[kBlockEntries];
    Block* next;
  };
  // Every block of a chain is full but the tail, whose fill the chain keeps: an append
  // touches the chain (hot, in this object) and the entry's slot, not a count at the
  // block's far end.
  struct Chain {
    Block* head = nullptr;
    Block* tail = nullptr;
    Time min = kTimeMax;     // kept on append, so a refill reads its bucket once
    std::uint32_t fill = 0;  // entries in the tail block
    std::uint32_t count_in(const Block* k) const { return k == tail ? fill : kBlockEntries; }
  };

  void append(unsigned b, const Entry& e) {
    Chain& c = chains_[b];
    if (c.fill == kBlockEntries || !c.tail) [[unlikely]] {
      Block* k = take_block();
      (c.tail ? c.tail->next : c.head) = k;
      c.tail = k;
      c.fill = 0;
      mark(b);
    }
    c.tail->entries[c.fill++] = e;
    c.min = e.time < c.min ? e.time : c.min;
  }
  Block* take_block() {
    Block* k = free_;
    if (k) {
      free_ = k->next;
    } else {
      owned_.push_back(std::make_unique<Block>());
      k = owned_.back().get();
    }
    k->next = nullptr;
    return k;
  }
  void release_chain(unsigned b) {
    Chain& c = chains_[b];
    if (c.tail) {
      c.tail->next = free_;
      free_ = c.head;
    }
    c = Chain{};
    unmark(b);
  }

  void refill() {
    // the lowest non-empty bucket holds the next minimum
    const unsigned b = lowest_bucket();
    const Chain src = chains_[b];
    chains_[b] = Chain{};
    unmark(b);
    // (now_ is empty: only an empty current instant is refilled)
    if (b < kDigits) {
      // the lowest level holds one time per bucket (the current window's digit b): its
      // slice of the run and its chain move to now
      last_ = (last_ & ~Time{kDigits - 1}) | b;
      for (std::uint32_t i = run_begin_[b]; i < run_end_[b]; ++i) now_.push_back(NowEntry{0, run_[i]});
      run_end_[b] = run_begin_[b];
      for (const Block* k = src.head; k; k = k->next)
        for (std::uint32_t i = 0, n = src.count_in(k); i < n; ++i) now_.push_back(NowEntry{0, k->entries[i].txn});
      if (src.head) {
        src.tail->next = free_;
        free_ = src.head;
      }
      // the next time's events: their headers are read when it is reached (tie keys) and
      // when they run (handlers); fetch them now, one instant early
      if (const unsigned nb = next_lowest_after(b); nb < kBuckets) {
        for (std::uint32_t i = run_begin_[nb]; i < run_end_[nb]; ++i) __builtin_prefetch(run_[i]);
        const Chain& c = chains_[nb];
        for (const Block* k = c.head; k; k = k->next)
          for (std::uint32_t i = 0, n = c.count_in(k); i < n; ++i) __builtin_prefetch(k->entries[i].txn);
      }
    } else {
      last_ = src.min;
      // Every level-0 bucket is empty here (this one is the lowest non-empty), so the run
      // is free: the events that fall into the lowest level are counting-sorted by their
      // last digit into it, one contiguous array reused at every refill, instead of being
      // appended to up to 256 chains of 2 KiB blocks (a store miss and a block per bucket).
      std::array<std::uint32_t, kDigits> count{};
      for (const Block* k = src.head; k; k = k->next)
        for (std::uint32_t i = 0, n = src.count_in(k); i < n; ++i) {
          const Entry& e = k->entries[i];
          const unsigned nb = bucket_of(e.time);  // a lower level than b's, or now
          if (nb < kDigits) {
            ++count[nb];
          } else if (nb == kNow) {
            // its tie key is read below: start the fetch now, so the misses of all the
            // events at the new time overlap instead of queueing one after another
            __builtin_prefetch(e.txn);
            now_.push_back(NowEntry{0, e.txn});
          } else {
            append(nb, e);
          }
        }
      std::uint32_t staged = 0;  // summed here, not counted in the loop: a loop-carried add
      for (unsigned d = 0; d < kDigits; ++d) staged += count[d];
      if (staged) {
        if (run_.size() < staged) run_.resize(staged);
        std::uint32_t at = 0;
        for (unsigned d = 0; d < kDigits; ++d) {
          run_begin_[d] = run_end_[d] = at;
          at += count[d];
          if (count[d]) mark(d);
        }
        // second pass over the bucket (just read, so in cache): scatter by digit
        Transaction** const run = run_.data();
        std::uint32_t* const end = run_end_.data();
        const Time base = last_;
        for (const Block* k = src.head; k; k = k->next)
          for (std::uint32_t i = 0, n = src.count_in(k); i < n; ++i) {
            const Entry& e = k->entries[i];
            if ((e.time ^ base) < kDigits && e.time != base) run[end[e.time & (kDigits - 1)]++] = e.txn;
          }
      }
      src.tail->next = free_;
      free_ = src.head;
    }
    // the headers asked for above have had the whole loop to arrive: key and sort
    sort_now();
    // the first two events of the new instant: the event loop fetches the rest ahead
    const std::size_t n = now_.size();
    if (n >= 2) prefetch_receiver(*now_[n - 2].txn);
    prefetch_receiver(*now_[n - 1].txn);
  }

 public:
  /// Prefetch what the next events' handlers read first: the receiving objects of the next
  /// two events, and the header of the fourth (whose receiver is read two events later).
  /// The current instant is sorted, so the next events are known by position; the first
  /// events of an instant are fetched at refill instead (and their headers 16 ps before).
  void prefetch_ahead() const {
    const std::size_t n = now_.size();
    const NowEntry* end = now_.data() + n;
    if (n >= 4) prefetch_line(end[-4].txn);
    if (n >= 2) prefetch_receiver(*end[-2].txn);
    if (n >= 1) prefetch_receiver(*end[-1].txn);
  }
  /// A prefetch the compiler keeps: GCC 12 -O3 removed every __builtin_prefetch of
  /// prefetch_ahead() as a member function (it compiled to a bare return), so these are
  /// volatile asm where the instruction exists.
  static void prefetch_line(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
    __builtin_prefetch(p);
#endif
  }
  /// The lines of a receiving component that a handler reads first: the base (one line since
  /// SDK ABI 5: vtable pointer, partition, random stream) and the first 64 bytes of the
  /// derived class's own fields, which follow it (components are 64-byte aligned). Two
  /// lines, not the whole object: at 100k components the prefetches themselves wait for
  /// free miss buffers, so each useless line costs. (Other handler objects, e.g. clocks,
  /// get a harmless extra fetch.)
  static void prefetch_receiver(const Transaction& t) {
    const char* object = static_cast<const char*>(EventAccess::handler(t).object);
    prefetch_line(object);
    prefetch_line(object + 64);
  }

 private:

  std::vector<NowEntry> now_;  // the events at the current time, by tie key, the next one last
  std::array<Chain, kBuckets> chains_{};
  Block* free_ = nullptr;
  std::vector<std::unique_ptr<Block>> owned_;
  std::vector<Entry> early_;
  // The lowest level's events that came down in the last refill of a higher bucket,
  // sorted by time: bucket d's are run_[run_begin_[d], run_end_[d]) (empty once taken).
  // Events pushed into the lowest level afterwards go to its chains as before.
  std::vector<Transaction*> run_;
  std::array<std::uint32_t, kDigits> run_begin_{}, run_end_{};
  std::array<std::uint64_t, kWords> nonempty_{};  // bit b set when bucket b holds events
  std::uint64_t summary_ = 0;                     // bit w set when nonempty_[w] != 0
  Time last_ = 0;
  std::size_t size_ = 0;
};

}  // namespace strata::detail

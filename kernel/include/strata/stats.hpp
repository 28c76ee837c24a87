// strata/stats.hpp - statistics and the energy ledger a component keeps.
//
// A component creates its statistics in its constructor by the names declared in its
// manifest (Component::counter/accumulator/histogram); the kernel refuses undeclared
// names, so `strata info` always documents every number that appears in stats.json.
// Updating a statistic is a plain add on a member: no lookup, no virtual call.
// Energy: a component books dynamic energy per named action (count x energy per action,
// or explicit joules) and declares a static power that the kernel integrates over the
// simulated time at finish. Names are stable: they are the keys of stats.json/.csv.
#pragma once

#include <strata/units.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace strata {
namespace detail {
struct StatState;  // the kernel moves statistics between MPI ranks (engine.cpp)
}

/// A monotonically increasing event count.
class Counter {
 public:
  void add(std::uint64_t n = 1) { value_ += n; }
  Counter& operator++() {
    ++value_;
    return *this;
  }
  Counter& operator+=(std::uint64_t n) {
    value_ += n;
    return *this;
  }
  std::uint64_t value() const { return value_; }

 private:
  friend struct detail::StatState;
  std::uint64_t value_ = 0;
};

/// Count, sum, min, max and sum of squares of samples.
class Accumulator {
 public:
  void add(double x) {
    ++count_;
    sum_ += x;
    sum_sq_ += x * x;
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  double min() const { return count_ ? min_ : 0.0; }
  double max() const { return count_ ? max_ : 0.0; }
  /// Population standard deviation.
  double stddev() const {
    if (count_ == 0) return 0.0;
    double m = mean();
    return std::sqrt(std::max(0.0, sum_sq_ / static_cast<double>(count_) - m * m));
  }

 private:
  friend struct detail::StatState;
  std::uint64_t count_ = 0;
  double sum_ = 0, sum_sq_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

/// Fixed-width bins over [lo, hi) plus underflow and overflow counts.
class Histogram {
 public:
  Histogram(double lo, double hi, std::size_t bins) : lo_(lo), hi_(hi), bins_(bins ? bins : 1, 0) {}
  void add(double x) {
    summary_.add(x);
    if (x < lo_) {
      ++underflow_;
    } else if (x >= hi_) {
      ++overflow_;
    } else {
      auto i = static_cast<std::size_t>((x - lo_) / (hi_ - lo_) * static_cast<double>(bins_.size()));
      ++bins_[std::min(i, bins_.size() - 1)];
    }
  }
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  const std::vector<std::uint64_t>& bins() const { return bins_; }
  std::uint64_t underflow() const { return underflow_; }
  std::uint64_t overflow() const { return overflow_; }
  const Accumulator& summary() const { return summary_; }

 private:
  friend struct detail::StatState;
  double lo_, hi_;
  std::vector<std::uint64_t> bins_;
  std::uint64_t underflow_ = 0, overflow_ = 0;
  Accumulator summary_;
};

/// One named dynamic-energy action of a component ("mac", "adc_conversion").
class EnergyAction {
 public:
  explicit EnergyAction(Energy per_action) : per_action_(per_action.joules) {}
  /// Book `count` actions at the declared energy each.
  void add(std::uint64_t count = 1) { count_ += count; joules_ += per_action_ * static_cast<double>(count); }
  /// Book actions whose energy varies (e.g. bits moved x energy per bit).
  void add_joules(double joules, std::uint64_t count = 1) {
    count_ += count;
    joules_ += joules;
  }
  std::uint64_t count() const { return count_; }
  double joules() const { return joules_; }
  double per_action() const { return per_action_; }

 private:
  friend struct detail::StatState;
  double per_action_;
  std::uint64_t count_ = 0;
  double joules_ = 0;
};

}  // namespace strata

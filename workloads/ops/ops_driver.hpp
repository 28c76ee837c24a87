// workload.ops - a small driver that sends a list of ComputeRequests to the cores linked
// on its `cores[]` and measures them: per-request latency (send to answer, links
// included), service time and energy, answers by status. Ends the run when every request
// is answered. For measuring one core, its tests, and the example topologies; not a
// transformer workload (see workloads/transformer).
#pragma once

#include <strata/strata.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace strata::ops {

struct OpsParams {
  // "gemm", "gemm_t" (transposed gemm through the k x n matrix, see plugins/pim), "load_weights",
  // or a vector op ("softmax", "layernorm", "gelu", ...).
  std::string op = "gemm";
  // Request list: entry j is (m[j], k[j], n[j], elements[j]); a list of length 1 applies
  // to every entry, an empty `elements` means 0 (the core then uses m x n).
  std::vector<std::int64_t> m{128}, k{128}, n{128}, elements{};
  // Optional scripts, per entry: `ids[j]` = the stored matrix entry j names (instead of
  // weight_id + j), `loads[j]` = 1 makes entry j a load_weights of (k[j], n[j]) for that id
  // instead of `op` (so loads and gemms can interleave, e.g. to exercise eviction).
  std::vector<std::int64_t> ids{}, loads{};
  // Optional, per entry: ComputeRequest::age of entry j (the key of oldest_first cores;
  // empty: 0 for every entry).
  std::vector<std::int64_t> ages{};
  std::int64_t repeat = 1;           // the list is sent this many times
  std::string mode = "all";          // all: everything at time 0; serial: one at a time per core
  std::string target = "every";      // every core gets the list, or entry j goes to core j % cores
  bool static_weights = false;       // gemm on a stored matrix (PIM); weight_id + j
  std::int64_t weight_id = 0;
  // Before the list, send each entry's load_weights (weight_id + j, k, n) to its core(s);
  // the gemms then use the stored matrices. With `duplicate`, a load asks for m copies.
  bool preload = false;
  bool duplicate = false;
  std::uint32_t weight_bits = ComputeRequest{}.weight_bits;
  std::uint32_t input_bits = ComputeRequest{}.input_bits;
  std::uint32_t output_bits = ComputeRequest{}.output_bits;
  Duration latency_max{kMillisecond};  // upper bound of the latency histogram
  std::uint32_t latency_bins = 50;
  bool end_run = true;               // end the simulation when every request is answered

  static void declare(ParamSpec<OpsParams>& s);
};

class OpsDriver final : public Component {
 public:
  explicit OpsDriver(const ComponentContext& ctx);
  void init() override;

 private:
  struct Item {
    std::size_t entry = 0;
    bool load = false;
  };
  void on_answer(Port& port, TxnPtr<> t);
  void send(std::size_t core, const Item& item);
  std::int64_t at(const std::vector<std::int64_t>& v, std::size_t j) const;

  OpsParams p_;
  std::size_t entries_ = 0;
  ComputeRequest::Kind kind_ = ComputeRequest::Kind::gemm;
  std::vector<std::deque<Item>> pending_;  // per core, not yet sent
  std::uint64_t outstanding_ = 0, next_tag_ = 0;

  Counter sent_, answered_, ok_, unsupported_, capacity_error_, refused_, address_error_, makespan_;
  Accumulator latency_, service_, energy_;
  Histogram latency_hist_;
};

/// The manifest entry (the plugin lists it in plugin.cpp).
ComponentDecl ops_decl();

}  // namespace strata::ops

// workload.mem_ops - sends a list of MemRequests to one memory port and measures them
// (latency send to answer, links included; answers by status). For measuring a memory
// alone, and for its tests. Ends the run when every request is answered (unless end_run
// is false, e.g. when several drivers share a memory).
#pragma once

#include <strata/strata.hpp>

#include <cstdint>
#include <vector>

namespace strata::ops {

struct MemOpsParams {
  std::string op = "read";                  // read or write
  std::vector<std::int64_t> address{0};     // per entry; a list of length 1 applies to all
  std::vector<std::int64_t> bytes{64};      // per entry
  std::int64_t repeat = 1;                  // the list is sent this many times
  std::string mode = "all";                 // all at time 0, or serial (next after the answer)
  bool end_run = true;

  static void declare(ParamSpec<MemOpsParams>& s);
};

class MemDriver final : public Component {
 public:
  explicit MemDriver(const ComponentContext& ctx);
  void init() override;

 private:
  void on_answer(TxnPtr<> t);
  void send_next();

  MemOpsParams p_;
  std::size_t entries_ = 0;
  std::uint64_t total_ = 0, sent_count_ = 0, outstanding_ = 0;
  Port* mem_;
  Counter sent_, answered_, ok_, address_error_, makespan_;
  Accumulator latency_;
};

ComponentDecl mem_ops_decl();

}  // namespace strata::ops

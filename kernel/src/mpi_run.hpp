// mpi_run.hpp - one simulation across the ranks of an MPI job.
//
//   mpirun -n K strata run EXP.toml [--threads T]
//
// Every rank builds the whole system and runs its share of the K x T partitions; events
// for another rank's partitions are serialized and exchanged at each window boundary, and
// every rank takes the same decisions from reductions of its local state (Engine::run with
// a RankLink, engine.hpp). At the end rank 0 gathers the other ranks' component statistics
// and writes the results: the same bytes as the serial run.
//
// Like mpi_sweep.hpp, compiled into the strata executable only, and MPI is touched only
// when an MPI launcher started the process.
#pragma once

#include "engine.hpp"

#include <string>
#include <vector>

namespace strata::detail {

class MpiRun final : public RankLink {
 public:
  /// Initialises MPI (threads: serialized, because the window planner may run on any of a
  /// rank's worker threads) when launched by MPI; otherwise a rank 0 of 1 that does nothing.
  MpiRun();
  ~MpiRun() override;
  MpiRun(const MpiRun&) = delete;
  MpiRun& operator=(const MpiRun&) = delete;

  int rank() const override { return rank_; }
  int ranks() const override { return ranks_; }
  /// Non-empty when this launch cannot work; the caller reports it (rank 0) and exits 2.
  const std::string& error() const { return error_; }

  std::vector<std::vector<unsigned char>> exchange(const std::vector<std::vector<unsigned char>>& out) override;
  void allreduce(std::vector<std::uint64_t>& mins, std::vector<std::uint64_t>& sums) override;
  std::vector<std::vector<unsigned char>> gather(const std::vector<unsigned char>& mine) override;

 private:
  int rank_ = 0, ranks_ = 1;
  bool initialised_ = false;
  std::string error_;
};

}  // namespace strata::detail

// mpi_sweep.hpp - `strata sweep` across the ranks of an MPI job.
//
//   mpirun -n K strata sweep EXP.toml -j N
//
// Each rank runs the points k with k % K == rank on its own pool of N workers (run_sweep
// with rank/ranks), every rank waits for the others, and rank 0 merges sweep.csv from the
// point folders: the table is byte-identical to a serial `strata sweep`. The output folder
// must be one that every rank sees (a shared filesystem on a cluster).
//
// MPI is initialised only for `sweep`, and only when an MPI launcher started the process
// (mpirun/mpiexec, or srun with PMI/PMIx, seen in the environment): a plain `strata run`
// or `strata sweep` never touches MPI. Compiled into the strata executable only (not into
// libstrata); with STRATA_HAVE_MPI undefined it is a single rank of one, and a launch
// under mpirun with more than one process is refused (every rank would run every point).
#pragma once

#include "sweep.hpp"

#include <string>

namespace strata::detail {

/// The size of the MPI job that launched this process, read from the environment only
/// (Open MPI, MPICH/Hydra, PMIx, MVAPICH); 0 when no MPI launcher started it.
int mpi_launch_size();
/// This process's rank in that job from the environment; 0 when not launched by MPI.
int mpi_launch_rank();
/// Whether this executable was built with MPI (STRATA_MPI).
bool built_with_mpi();
/// Finalise MPI when this process initialised it; while an exception is unwinding, abort
/// the whole job instead, so no rank is left waiting in a collective for one that gave up.
void mpi_end(bool initialised, int ranks);

/// MPI for one `strata sweep`. Construct it before anything is printed: it initialises MPI
/// when the process was launched by MPI (and the build has it); otherwise it is rank 0 of 1
/// and does nothing. The destructor finalises; while an exception is unwinding it aborts
/// the job instead, so no rank is left waiting in a collective for one that gave up.
class SweepComm {
 public:
  SweepComm();
  ~SweepComm();
  SweepComm(const SweepComm&) = delete;
  SweepComm& operator=(const SweepComm&) = delete;

  int rank() const { return rank_; }
  int ranks() const { return ranks_; }
  /// Non-empty when this launch cannot work (started by mpirun with several processes,
  /// but built without MPI); the caller reports it (on rank 0) and exits 2.
  const std::string& error() const { return error_; }

  /// Run this rank's points, wait for every rank, merge sweep.csv on rank 0 and print the
  /// summary there. Returns the exit status: on rank 0, 1 when any point failed on any rank
  /// (MPI_Allreduce) or is missing from the merged table, else 0; other ranks return 0.
  int sweep(PluginRegistry& registry, const std::string& file, const SweepPlan& plan, SweepOptions opts,
            bool quiet) const;

 private:
  int rank_ = 0, ranks_ = 1;
  bool initialised_ = false;
  std::string error_;
};

}  // namespace strata::detail

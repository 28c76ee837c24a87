#include "mpi_sweep.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <initializer_list>

#ifdef STRATA_HAVE_MPI
#include <mpi.h>
#endif

namespace strata::detail {

namespace {

// A non-negative integer environment variable, or -1.
int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return -1;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  return *end || x < 0 ? -1 : static_cast<int>(x);
}

int first_env(std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (int v = env_int(n); v >= 0) return v;
  return -1;
}

}  // namespace

// Open MPI's mpirun sets OMPI_COMM_WORLD_*; MPICH/Hydra, Intel MPI and srun --mpi=pmi2 set
// PMI_*; srun --mpi=pmix sets PMIX_RANK (the size is known only after MPI_Init).
int mpi_launch_size() {
  if (int n = first_env({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"}); n >= 0) return n;
  return first_env({"PMIX_RANK", "PMI_RANK"}) >= 0 ? -1 : 0;  // -1: launched, size unknown
}

int mpi_launch_rank() {
  int r = first_env({"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK"});
  return r < 0 ? 0 : r;
}

bool built_with_mpi() {
#ifdef STRATA_HAVE_MPI
  return true;
#else
  return false;
#endif
}

SweepComm::SweepComm() {
  int size = mpi_launch_size();
  if (size == 0) return;  // not under an MPI launcher: rank 0 of 1, MPI untouched
#ifdef STRATA_HAVE_MPI
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    // worker threads never call MPI; only the main thread does (collectives below)
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    initialised_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks_);
  if (size > 1 && ranks_ == 1)
    error_ = fmt::format(
        "the launcher started {} processes but MPI sees a job of 1: each would run every point "
        "(is strata linked against the MPI of this mpirun? under Slurm use srun --mpi=pmix or mpirun)",
        size);
#else
  rank_ = mpi_launch_rank();
  if (size > 1 || rank_ > 0)
    error_ = fmt::format(
        "launched as one of {} MPI processes, but this strata was built without MPI: every process "
        "would run every point into the same folder; rebuild with Open MPI (libopenmpi-dev, "
        "cmake -DSTRATA_MPI=ON) or run one process: strata sweep FILE -j N",
        size > 0 ? fmt::to_string(size) : std::string("several"));
  else
    rank_ = 0;  // srun --mpi=pmix -n 1: a job of one
#endif
}

void mpi_end(bool initialised, int ranks) {
#ifdef STRATA_HAVE_MPI
  if (!initialised) return;
  // Leaving because of an exception: the other ranks may be waiting in a collective for
  // this one; end the whole job rather than hang it.
  if (std::uncaught_exceptions() > 0 && ranks > 1) MPI_Abort(MPI_COMM_WORLD, 2);
  MPI_Finalize();
#else
  (void)initialised, (void)ranks;
#endif
}

SweepComm::~SweepComm() { mpi_end(initialised_, ranks_); }

int SweepComm::sweep(PluginRegistry& registry, const std::string& file, const SweepPlan& plan, SweepOptions opts,
                     bool quiet) const {
  opts.rank = rank_;
  opts.ranks = ranks_;
  if (ranks_ > 1) opts.progress = false;  // one rank's share would show a misleading count and ETA
  SweepSummary sum;
  try {
    sum = run_sweep(registry, file, plan, opts);
  } catch (const std::exception& e) {
    if (ranks_ > 1) fmt::print(stderr, "strata sweep: rank {} of {}: error: {}\n", rank_, ranks_, e.what());
    throw;  // the destructor aborts the job when there are other ranks
  }
  // Failures and reused points of every rank. The reduction is also the barrier: no rank
  // gets the sums, so rank 0 does not merge, before every rank has finished its points.
  std::uint64_t local[2] = {sum.failed, sum.reused}, total[2] = {sum.failed, sum.reused};
#ifdef STRATA_HAVE_MPI
  if (ranks_ > 1) MPI_Allreduce(local, total, 2, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
#endif
  (void)local;
  int status = 0;
  if (rank_ == 0) {
    merge_sweep_table(sum.out_dir, plan, sum);  // recounts ok/failed from every point folder
    if (ranks_ > 1 && sum.failed > total[0])
      fmt::print(stderr,
                 "sweep: {} points have no result in {}: every rank must write to the same folder "
                 "(on a cluster, a filesystem shared by all nodes)\n",
                 sum.failed - total[0], sum.out_dir);
    sum.reused = total[1];
    status = sum.failed || total[0] ? 1 : 0;
    if (!quiet)
      fmt::print("sweep        {} points: {} ok, {} failed{}\ntable        {}\n", sum.points, sum.ok, sum.failed,
                 sum.reused ? fmt::format(" ({} reused)", sum.reused) : "", sum.table_path);
    std::fflush(stdout);
  }
  // Rank 0 carries the verdict; the others exit 0. (mpirun ends the whole job as soon as one
  // process exits non-zero: a rank 1 leaving with 1 first could cut rank 0 off before its
  // output is out. mpirun and srun both return the failing rank's status.)
  return status;
}

}  // namespace strata::detail

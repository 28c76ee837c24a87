#include "mpi_run.hpp"

#include "mpi_sweep.hpp"  // mpi_launch_size / rank

#include <fmt/format.h>

#include <climits>
#include <exception>
#include <stdexcept>

#ifdef STRATA_HAVE_MPI
#include <mpi.h>
#endif

namespace strata::detail {

namespace {
#ifdef STRATA_HAVE_MPI
int as_count(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX))
    throw std::runtime_error("more than 2 GiB of events for one rank in one window");
  return static_cast<int>(n);
}
#endif
}  // namespace

MpiRun::MpiRun() {
  const int size = mpi_launch_size();
  if (size == 0) return;
#ifdef STRATA_HAVE_MPI
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    initialised_ = true;
    if (provided < MPI_THREAD_SERIALIZED)
      error_ = "this MPI does not allow calls from more than one thread (MPI_THREAD_SERIALIZED)";
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks_);
  if (size > 1 && ranks_ == 1)
    error_ = fmt::format("the launcher started {} processes but MPI sees a job of 1 (is strata linked against "
                         "the MPI of this mpirun?)",
                         size);
#else
  rank_ = mpi_launch_rank();
  if (size > 1 || rank_ > 0)
    error_ = fmt::format(
        "launched as one of {} MPI processes, but this strata was built without MPI: rebuild with Open MPI "
        "(libopenmpi-dev, cmake -DSTRATA_MPI=ON) or run one process (strata run FILE --threads N)",
        size > 0 ? fmt::to_string(size) : std::string("several"));
  else
    rank_ = 0;
#endif
}

MpiRun::~MpiRun() { mpi_end(initialised_, ranks_); }

std::vector<std::vector<unsigned char>> MpiRun::exchange(const std::vector<std::vector<unsigned char>>& out) {
  std::vector<std::vector<unsigned char>> in(static_cast<std::size_t>(ranks_));
#ifdef STRATA_HAVE_MPI
  const auto n = static_cast<std::size_t>(ranks_);
  std::vector<int> send_counts(n), recv_counts(n), send_displs(n), recv_displs(n);
  std::vector<unsigned char> send;
  for (std::size_t k = 0; k < n; ++k) {
    send_displs[k] = as_count(send.size());
    if (k < out.size() && static_cast<int>(k) != rank_) send.insert(send.end(), out[k].begin(), out[k].end());
    send_counts[k] = as_count(send.size()) - send_displs[k];
  }
  MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  std::size_t total = 0;
  for (std::size_t k = 0; k < n; ++k) {
    recv_displs[k] = as_count(total);
    total += static_cast<std::size_t>(recv_counts[k]);
  }
  std::vector<unsigned char> recv(total);
  MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), MPI_BYTE, recv.data(), recv_counts.data(),
                recv_displs.data(), MPI_BYTE, MPI_COMM_WORLD);
  for (std::size_t k = 0; k < n; ++k)
    in[k].assign(recv.begin() + recv_displs[k], recv.begin() + recv_displs[k] + recv_counts[k]);
#else
  (void)out;
#endif
  return in;
}

void MpiRun::allreduce(std::vector<std::uint64_t>& mins, std::vector<std::uint64_t>& sums) {
#ifdef STRATA_HAVE_MPI
  if (!mins.empty())
    MPI_Allreduce(MPI_IN_PLACE, mins.data(), as_count(mins.size()), MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  if (!sums.empty())
    MPI_Allreduce(MPI_IN_PLACE, sums.data(), as_count(sums.size()), MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
#else
  (void)mins, (void)sums;
#endif
}

std::vector<std::vector<unsigned char>> MpiRun::gather(const std::vector<unsigned char>& mine) {
  std::vector<std::vector<unsigned char>> all;
#ifdef STRATA_HAVE_MPI
  const auto n = static_cast<std::size_t>(ranks_);
  int count = as_count(mine.size());
  std::vector<int> counts(n), displs(n);
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::size_t total = 0;
  if (rank_ == 0)
    for (std::size_t k = 0; k < n; ++k) {
      displs[k] = as_count(total);
      total += static_cast<std::size_t>(counts[k]);
    }
  std::vector<unsigned char> recv(total);
  MPI_Gatherv(mine.data(), count, MPI_BYTE, recv.data(), counts.data(), displs.data(), MPI_BYTE, 0, MPI_COMM_WORLD);
  if (rank_ == 0) {
    all.resize(n);
    for (std::size_t k = 0; k < n; ++k) all[k].assign(recv.begin() + displs[k], recv.begin() + displs[k] + counts[k]);
  }
#else
  all.push_back(mine);
#endif
  return all;
}

}  // namespace strata::detail

// traffic.hpp - workload.traffic: synthetic NoC traffic through network interfaces.
//
// Node k is the NI on nis[k] (link them with a fanout generator, so k follows the NIs' grid
// order); its endpoint id is that NI's SystemView ordinal. Each active node draws its
// transfers from its own random stream (seed, "<name>.node<k>"), so adding a node does not
// perturb the others. Interarrival times: bernoulli (one trial per clock cycle with
// probability rate), poisson (exponential gaps) or periodic. Destination patterns (Dally &
// Towles, "Principles and Practices of Interconnection Networks", 2004, sec. 3.2):
//   uniform         any other node, uniformly
//   transpose       (x, y, z) -> (y, x, z) on an X = Y grid of NIs, else the bit transpose
//                   of the node index (N = 2^b, b even)
//   bit_complement  d = N - 1 - s (the bitwise complement when N is a power of two)
//   hotspot         one of `hotspots` with probability hotspot_fraction, else uniform
//   neighbour       x + 1 (mod X) on the NI grid; s + 1 (mod N) without one
// A node whose destination is itself does not send (e.g. the transpose diagonal).
// Runs for `duration` (generation window) and/or `count` transfers per node, then waits
// for every transfer to complete and calls end_simulation(). Offered throughput counts
// transfers generated in the measurement window [warmup, end of generation); accepted
// throughput counts transfers whose last byte arrived in it (TransferRequest::completed_at).
// Conservation is counted per node: at the end, node_arrival_error has one sample per node,
// the bytes addressed to it minus the bytes its NI reported arrived (arrived = true
// notices), and node_completion_error the bytes it issued minus those answered ok. Both
// are 0 for every node of a drained run when no packet was lost or duplicated.
#pragma once

#include <strata/strata.hpp>

#include <map>
#include <vector>

namespace strata::traffic {

struct TrafficParams {
  std::string pattern = "uniform";
  std::string process = "bernoulli";
  double rate = 0.01;  // transfers per cycle per node
  Frequency clock{1e9};
  Bandwidth bandwidth{0};  // bytes/s per node; overrides rate when > 0
  Bytes size{64};          // bytes per transfer
  Duration duration{0};    // generation window (0: until count is reached)
  std::int64_t count = 0;  // transfers per node (0: until duration)
  Duration warmup{0};
  std::vector<std::int64_t> hotspots{0};
  double hotspot_fraction = 0.5;
  std::vector<std::int64_t> active{};  // nodes that send (empty: all)
  Duration histogram_range{1 * kMicrosecond};
  static void declare(ParamSpec<TrafficParams>& s);
};

class Traffic final : public Component {
 public:
  explicit Traffic(const ComponentContext& ctx);
  void init() override;
  void finish() override;

 private:
  struct Node {
    Rng rng;
    std::uint32_t endpoint = 0;
    std::vector<int> pos;  // NI grid index
    std::int64_t sent = 0;
    std::uint64_t outstanding = 0;
    std::uint64_t bytes_offered = 0, bytes_accepted = 0;
    // Conservation, per node over the whole run: bytes it issued / had answered ok, bytes
    // addressed to it / reported arrived by its NI (arrival notices).
    std::uint64_t issued = 0, completed = 0, addressed = 0, arrived = 0;
    bool generating = false;
  };
  void on_reply(Port& p, TxnPtr<> t);
  void on_generate(TxnPtr<> t);
  void on_stop(TxnPtr<>);
  Time next_gap(Node& n, bool first);
  std::int64_t destination(std::size_t k);
  void maybe_end();

  TrafficParams p_;
  Time cycle_;
  double per_cycle_ = 0;  // transfers per cycle per node
  Port* gen_;
  Port* stop_;
  std::span<Port> nis_;
  std::vector<Node> nodes_;
  std::vector<int> dims_;  // NI grid extents, empty when not a grid
  std::map<std::vector<int>, std::size_t> by_pos_;  // NI grid index -> node
  std::uint64_t seed_ = 0;
  std::size_t generating_ = 0;  // nodes still generating
  std::uint64_t outstanding_ = 0;

  Counter transfers_offered_, transfers_completed_, transfers_failed_, bytes_offered_, bytes_accepted_, arrivals_,
      bytes_arrived_;
  Accumulator latency_, offered_throughput_, accepted_throughput_, node_arrival_error_, node_completion_error_;
  Histogram latency_histogram_;
};

}  // namespace strata::traffic

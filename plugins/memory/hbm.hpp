// memory.hbm - a DRAM device (HBM2 stack, LPDDR4 package) with independent channels, as an
// event-driven component over the closed-form model (model/: latency + bytes / channel
// bandwidth, energy per bit). Addresses interleave over the channels every `interleave`
// bytes; each channel serves its bursts in arrival order, one stream at a time, so
// requests that share a channel queue. The access latency is pipelined (it does not occupy
// the channel). Not modelled: banks, row-buffer hits, refresh, read/write turnaround.
#pragma once

#include <strata/memory/dram_component.hpp>
#include <strata/memory/model.hpp>
#include <strata/strata.hpp>

#include <cstdint>
#include <vector>

namespace strata::memory {

// Declared parameters: the DRAM model's DramParams itself (the only copy of each DRAM field
// and number; declare() binds its fields, the presets are the model's) and this component's
// own `capacity` and `interleave`.
struct HbmParams : DramParams {
  // Not published for Atleus; an 8-high HBM2 stack holds 8 GiB (assumed).
  Bytes capacity{8ull << 30};
  // Channel interleaving granularity: consecutive `interleave`-byte blocks go to
  // consecutive channels. 256 B is a common controller address map (assumed).
  Bytes interleave{256};

  static void declare(ParamSpec<HbmParams>& s);
};

class Hbm final : public Component {
 public:
  explicit Hbm(const ComponentContext& ctx);
  void finish() override;

 private:
  void on_request(Port& port, TxnPtr<> t);

  HbmParams p_;
  const DramParams& m_ = p_;  // the model's view of the same parameters
  DramChannels channels_;
  DramAccesses accesses_;  // service, statistics and energy of every request

  Accumulator channels_per_request_, utilisation_;
  Histogram channel_requests_;
};

}  // namespace strata::memory

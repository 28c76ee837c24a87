// phold_lp.hpp - the PHOLD logical process as a Strata component (kernel benchmark model).
//
// PHOLD (Fujimoto 1990): each LP starts with `init` events; handling an event picks one
// of the LP's links or its self link uniformly and sends one new event there, delayed by
// link latency + Exp(mean). The link adds its latency (the topology sets it); self events
// carry lookahead (the first link's latency) + Exp(mean). The handler never reads the port
// it sends on: in a 100k-LP system that line is a cache miss the kernel hides by deferring
// the send (component.hpp, SendQueue). This is the `sst-k16` model of shared/peers/phold: LP i is
// linked to (i + 2^b) mod N for b = 0..7, links are two-way, so each LP has 16 link ports.
// Not modelled: anything physical. It exists to measure the kernel's component+link path.
#pragma once

#include <strata/strata.hpp>

namespace strata::phold {

struct PholdParams {
  Duration mean{1000};       // mean of the exponential extra delay
  std::int64_t init = 16;    // initial events of this LP
  static void declare(ParamSpec<PholdParams>& s) {
    s.param("mean", &PholdParams::mean, "mean of the exponential delay added to the link latency");
    s.param("init", &PholdParams::init, "events this LP starts with").range(0, 1 << 20);
  }
};

struct PholdEvent final : Transaction {
  std::uint32_t payload = 0;
  const char* type_name() const override { return "phold.event"; }
  void serialize(ByteBuffer& out) const override { out.put(payload); }
  void deserialize(ByteBuffer& in) override { payload = in.get<std::uint32_t>(); }
};

class PholdLp final : public Component {
 public:
  explicit PholdLp(const ComponentContext& ctx);
  void init() override;

 private:
  void handle(TxnPtr<> ev);
  Time draw_extra();  // Exp(mean), whole picoseconds
  PholdParams p_;
  Port* self_;
  Counter events_;
  std::span<Port> outs_;  // link ports, contiguous; complete from init() on
  Time lookahead_ = 0;
};

/// The plugin's manifest (also registered as a built-in by the `phold` benchmark binary).
const PluginManifest& manifest();

}  // namespace strata::phold

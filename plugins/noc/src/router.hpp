// router.hpp - noc.router: an input-buffered virtual-channel router of any radix, at
// transaction level (one Packet = one transaction; flits are counted, not simulated).
//
// Per hop: a packet whose head arrives at time t is routed and allocated in `pipeline`
// cycles and may leave at t + pipeline * cycle when (a) it heads its input VC queue,
// (b) the output is free and wins round-robin arbitration among the ready heads that
// want it, and (c) the downstream input VC of its class has a credit. It then occupies
// the output for flits cycles (serialisation); its tail has left the input buffer at the
// end of that, when the credit goes back upstream. This is virtual cut-through flow
// control with packet-sized buffers (Dally & Towles, "Principles and Practices of
// Interconnection Networks", 2004, ch. 12-13), so zero-load latency over H routers is
// (H + 1) link latencies + H * pipeline cycles + (flits - 1) cycles of serialisation.
//
// Routing (deadlock-free; Dally & Seitz 1987, Schroeder et al. 1991; see routing.hpp):
//   "dor"   dimension order X, Y, Z on a full 2D/3D mesh or torus given by the routers'
//           grid indices; on a torus the VCs split into two dateline classes.
//   "table" up*/down* tables over the router graph (any connected graph: chains, skip
//           links, the Atleus NoC), computed once per system from the SystemView.
// Links: the hop's wire is modelled by the sending router. Planar links book
// planar_link energy per bit per grid step; a link between tiers (|dz| >= 1: a TSV, or a
// skip TSV through |dz| tiers, modelled as |dz| TSV segments in series) books
// activity * C * Vdd^2 per bit and, with tsv_delay, adds its Elmore delay to the link
// latency (link_model.hpp). Not modelled: flit-level pipelining across clock domains,
// speculative allocation, adaptive routing, per-flit buffer sizes.
//
// fidelity = "message" (noc_protocol.hpp Message; README "Fidelity"): a whole transfer is one
// event per hop. Its head is ready pipeline cycles after it arrives and leaves at
// max(ready, the output's reservation, the departure of the message ahead of it in its input
// VC) once a downstream VC has min(packets, vc_depth) free slots (credits, returned when its
// tail has left the next buffer); the output is then reserved for its flits cycles. Same
// routes, same energy per flit/packet/bit.
#pragma once

#include "network_map.hpp"
#include "noc_protocol.hpp"

#include <deque>
#include <memory>
#include <vector>

namespace strata::noc {

// One struct, declared once: the link parameters shared with noc.ni (LinkParams: flit width,
// clock, VCs, fidelity), the router energies (link_model.hpp RouterEnergyParams) and the
// electrical model of one TSV and its driver (RcLinkParams, SI units: F, ohm, V) are the
// model's own structs, bound by declare() under their TOML names; what follows is the
// router's own.
struct RouterParams : LinkParams, RouterEnergyParams, RcLinkParams {
  std::int64_t pipeline = 3;  // ASSUMPTION: RC, VA+SA, ST (a 3-stage VC router)
  std::string routing = "dor";
  // ASSUMPTION: leakage of a 5-port 128-bit VC router at 32 nm, order of magnitude of
  // DSENT's reports (a few mW); replace with a DSENT run for the chosen configuration.
  Power static_power{2e-3};
  // Planar wire energy per bit per grid step, derived from the model's wire (default:
  // 174 fJ/bit/mm x 2.5 mm core pitch, link_model.hpp PlanarWireParams); the router takes
  // the product, so the TOML key stays one energy per grid step.
  Energy planar_link{planar_energy_per_bit(PlanarWireParams{})};
  bool tsv_delay = true;
  static void declare(ParamSpec<RouterParams>& s);

  /// One TSV (a vertical link between adjacent tiers) and its driver.
  const RcLinkParams& tsv() const { return *this; }
};

class Router final : public Component {
 public:
  explicit Router(const ComponentContext& ctx);
  void init() override;
  void finish() override;

 private:
  struct Slot {
    TxnPtr<Packet> pkt;
    Time arrived = 0, ready = 0;
    std::uint32_t out = 0;
    std::uint32_t flits = 1;
    std::uint8_t cls = 0;  // VC class wanted downstream
  };
  struct Waiting {  // message level: a message in an input VC, not yet sent on
    TxnPtr<Message> msg;
    Time arrived = 0, ready = 0;
    std::uint32_t out = 0;
    std::uint32_t slots = 1;  // downstream buffer slots it needs (its packets, at most vc_depth)
    std::uint8_t cls = 0;
  };
  struct Input {
    std::vector<std::deque<Slot>> vc;
    std::vector<std::deque<Waiting>> waiting;  // message level, per VC
    std::vector<Time> vc_free;     // message level: departure of the last message per VC
    std::uint32_t occupancy = 0;   // packets buffered at this input
    DorArrival arrival;            // how packets from this port arrive (DOR)
  };
  struct Output {
    std::vector<std::uint32_t> credits;  // free packet slots per downstream VC
    Time busy_until = 0, wake_at = kTimeMax, busy_total = 0, stall_since = 0;
    std::uint32_t rr = 0;
    std::uint32_t heads = 0;  // input VC heads routed to this output
    bool stalled = false, dirty = false, to_router = false;
    double joules_per_bit = 0;  // the link's wire energy
    EnergyAction* wire = nullptr;
    Time extra_delay = 0;       // modelled TSV propagation delay
    std::vector<std::pair<std::uint32_t, std::uint32_t>> blocked;  // message level: (input, VC) heads waiting for a credit
  };

  void receive(Port& p, TxnPtr<> t);
  void on_wake(TxnPtr<> t);
  void on_packet(std::uint32_t in, TxnPtr<Packet> pkt);
  void on_credit(std::uint32_t out, const Credit& c);
  void on_message(std::uint32_t in, TxnPtr<Message> msg);
  void send_messages(std::uint32_t in, std::uint32_t vc);
  void route(const Packet& pkt, std::uint32_t in, std::uint32_t& out, std::uint8_t& cls) const;
  void route_to(std::uint32_t dst, std::uint32_t in, std::uint8_t arrival_class, std::uint32_t& out,
                std::uint8_t& cls) const;
  void ensure_wake(std::uint32_t out, Time t);
  void kick(std::uint32_t out);
  void service();
  void try_output(std::uint32_t out);
  std::uint32_t pick_vc(const Output& o, std::uint8_t cls, std::uint32_t slots = 1) const;
  std::uint8_t class_of(std::uint8_t vc) const;
  void setup_routing();
  void setup_links();

  RouterParams p_;
  Time cycle_;
  Port* wake_;
  std::span<Port> ports_;
  std::shared_ptr<const NetworkMap> map_;
  std::uint32_t id_ = kNone;
  bool table_ = false;
  bool message_ = false;  // fidelity = "message"
  std::uint8_t classes_ = 1;
  Coord me_;
  std::vector<std::pair<Coord, std::uint32_t>> coord_port_;  // DOR: neighbour position -> port
  std::vector<Input> in_;
  std::vector<Output> out_;
  std::vector<std::uint32_t> dirty_;

  Counter packets_, flits_, credit_stalls_, credit_stall_time_;
  Accumulator port_utilisation_, buffer_occupancy_, router_latency_;
  EnergyAction buffer_write_, buffer_read_, crossbar_, arbitration_, vc_allocation_, wire_planar_, wire_tsv_;
};

}  // namespace strata::noc

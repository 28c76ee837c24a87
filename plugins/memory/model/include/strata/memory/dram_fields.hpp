// dram_fields.hpp - the DRAM model's parameters as a component declares them (SDK unit
// types), for every component built on the DRAM model (memory.hbm, memory.hbm_pim): one
// declaration of the seven fields, one conversion to the model's DramParams, so a parameter
// added here reaches both components and `strata info` alike. Header-only; plugins only (it
// needs the SDK's ParamSpec).
#pragma once

#include <strata/memory/model.hpp>
#include <strata/params.hpp>
#include <strata/units.hpp>

#include <cstdint>

namespace strata::memory {

struct DramFields {
  std::uint32_t channels = 0;
  Bytes channel_width;        // "128b"
  Frequency data_rate;        // transfers per second per pin ("2GHz" = 2 GT/s)
  Duration access_latency;
  Bytes burst;
  Energy energy_per_bit;
  Power static_power;

  DramFields() { assign(hbm2_atleus()); }
  void assign(const DramParams& m) {
    channels = m.channels;
    channel_width = Bytes{m.channel_width_bits / 8};
    data_rate = Frequency{m.data_rate};
    access_latency = Duration{m.access_latency};
    burst = Bytes{m.burst_bytes};
    energy_per_bit = Energy{m.energy_per_bit};
    static_power = Power{m.static_power};
  }
  DramParams model() const {
    DramParams m;
    m.channels = channels;
    m.channel_width_bits = static_cast<std::uint32_t>(channel_width.count * 8);
    m.data_rate = data_rate.hz;
    m.access_latency = access_latency.ps;
    m.burst_bytes = static_cast<std::uint32_t>(burst.count);
    m.energy_per_bit = energy_per_bit.joules;
    m.static_power = static_power.watts;
    return m;
  }
  // The seven fields of a params struct P derived from DramFields; `burst_doc` and
  // `energy_doc` say what a burst and a bit mean for that component.
  template <class P>
  static void declare(ParamSpec<P>& s, const char* burst_doc, const char* energy_doc) {
    auto field = [&s]<class F>(const char* name, F DramFields::*f, const char* doc) {
      return s.param(name, static_cast<F P::*>(f), doc);
    };
    field("channels", &DramFields::channels, "independent channels").range(1, 1024);
    field("channel_width", &DramFields::channel_width, "data width of one channel (e.g. \"128b\")").range(1, 1 << 16);
    field("data_rate", &DramFields::data_rate, "transfers per second per pin (\"2GHz\" = 2 GT/s)").min(1);
    field("access_latency", &DramFields::access_latency, "idle-channel access latency (activate + column + controller)");
    field("burst", &DramFields::burst, burst_doc).range(1, 1 << 20);
    field("energy_per_bit", &DramFields::energy_per_bit, energy_doc).min(0);
    field("static_power", &DramFields::static_power, "background power (refresh, standby)").min(0);
  }
};

}  // namespace strata::memory

// example.counter - a minimal Strata component: counts the transactions it receives and
// answers each one after a fixed service time, booking energy per request.
// Transaction level: one event per request. Not a hardware model; a template to copy.
#include <strata/strata.hpp>

namespace {

// The parameters: the member initialisers are the defaults (the only copy), declare()
// documents them and gives their ranges; `strata info` prints exactly this.
struct CounterParams {
  strata::Duration service{5000};            // 5 ns per request
  strata::Energy per_request{1e-12};         // 1 pJ per request
  std::int64_t capacity = 4;                 // requests it can hold waiting
  static void declare(strata::ParamSpec<CounterParams>& s) {
    s.param("service", &CounterParams::service, "time to serve one request");
    s.param("per_request", &CounterParams::per_request, "dynamic energy per request");
    s.param("capacity", &CounterParams::capacity, "requests that may wait").range(1, 1 << 20);
    s.preset("slow", "ten times the service time", [](CounterParams& p) { p.service.ps *= 10; });
  }
};

class Counter final : public strata::Component {
 public:
  explicit Counter(const strata::ComponentContext& ctx)
      : Component(ctx), p_(ctx.params<CounterParams>()), served_energy_(p_.per_request) {
    port("in").on_receive<&Counter::arrive>(this);
    stat("received", received_);
    energy("request", served_energy_);
  }

 private:
  void arrive(strata::TxnPtr<> t) {
    ++received_;
    served_energy_.add();
    port("in").send(std::move(t), p_.service.ps);  // answer on the same port after service
  }
  CounterParams p_;
  strata::Counter received_;
  strata::EnergyAction served_energy_;
};

}  // namespace

STRATA_PLUGIN("example_counter", "1.0", "Template plugin: a counting responder",
              strata::component<Counter, CounterParams>("example.counter")
                  .summary("Counts requests and answers each after a fixed service time")
                  .description("A template for plugin authors; not a hardware model.")
                  .port("in", strata::PortDir::inout, "any", "requests in, answers out")
                  .counter("received", "count", "requests received")
                  .energy("request"))

// example.counter - a template Strata component, commented for plugin authors.
//
// What it models: a responder with a fixed service time. Each counter may also start
// `initial` requests towards its peer at time zero; a request is answered after the
// service time, and answers are counted on the way back. Transaction level: one event
// per request and one per answer. Not a hardware model; copy it and change the handlers.
#include <strata/strata.hpp>  // the whole SDK: the only header a plugin includes

#include <ostream>
#include <string>

namespace {

// 1. Parameters: a plain struct whose member initialisers are THE defaults (one copy).
//    declare() documents each one; `strata info` prints exactly this, and the TOML
//    builder validates types, units and ranges against it before time zero.
struct CounterParams {
  strata::Duration service{5000};     // 5 ns per request
  strata::Energy per_request{1e-12};  // 1 pJ per request served
  std::int64_t initial = 0;           // requests this counter starts with
  static void declare(strata::ParamSpec<CounterParams>& s) {
    s.param("service", &CounterParams::service, "time to serve one request");
    s.param("per_request", &CounterParams::per_request, "dynamic energy per request served");
    s.param("initial", &CounterParams::initial, "requests sent to the peer at time zero").range(0, 1 << 20);
    s.preset("slow", "ten times the service time", [](CounterParams& p) { p.service.ps *= 10; });
  }
};

// 2. A transaction type private to this plugin (plugins that must interoperate use the
//    standard ones in <strata/transactions.hpp>). Pooled: make<Ping>() costs no malloc.
struct Ping final : strata::Transaction {
  bool answer = false;
  const char* type_name() const override { return "example.ping"; }
};

// 3. The component: ports, statistics and energy are created in the constructor.
class Counter final : public strata::Component {
 public:
  explicit Counter(const strata::ComponentContext& ctx)
      : Component(ctx), p_(ctx.params<CounterParams>()), served_energy_(p_.per_request) {
    port("io").on_receive<&Counter::arrive>(this);  // handler for the declared port
    stat("received", received_);                     // names declared in the manifest below
    stat("answered", answered_);
    energy("request", served_energy_);
  }

  // After wiring, before time zero: the first events.
  void init() override {
    for (std::int64_t i = 0; i < p_.initial; ++i) port("io").send(strata::make<Ping>());
  }

 private:
  // Runs when a Ping arrives; `now()` is its delivery time.
  void arrive(strata::TxnPtr<> t) {
    auto& ping = t.view<Ping>();  // checked downcast: a wiring mistake is a clear error
    if (ping.answer) {
      ++answered_;
      return;  // dropping the TxnPtr recycles the transaction
    }
    ++received_;
    served_energy_.add();
    ping.answer = true;
    port("io").send(std::move(t), p_.service.ps);  // forward the same object: zero allocations
  }

  CounterParams p_;
  strata::Counter received_, answered_;
  strata::EnergyAction served_energy_;
};

// 4. A command-line command: `strata example-expect --initial 3 --service 50ns --latency 1ns`.
//    It predicts, in closed form, what a run of two linked counters ends with (counter a
//    starts `initial` requests towards b, whose service time is `service`), so a user can
//    check a run against it. Arguments arrive as the words after the command's name; the
//    exit status follows the CLI: 0 done, 2 bad input (say why on `err`).
constexpr const char* kExpectUsage =
    "usage: strata example-expect [--initial N] [--service TIME] [--latency TIME]\n"
    "  --initial N       requests counter a starts at time zero (default 1)\n"
    "  --service TIME    counter b's service time per request (default 5ns)\n"
    "  --latency TIME    link latency between a and b (default 1ns)\n";

int expect_command(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  std::int64_t initial = 1;
  strata::Duration service{5000}, latency{1000};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    if (flag == "-h" || flag == "--help") {
      out << kExpectUsage;
      return 0;
    }
    if (i + 1 >= args.size() || (flag != "--initial" && flag != "--service" && flag != "--latency")) {
      err << "strata example-expect: error: unexpected argument '" << flag << "'\n" << kExpectUsage;
      return 2;
    }
    const std::string_view value = args[++i];
    try {
      if (flag == "--initial") {
        std::size_t used = 0;
        initial = std::stoll(std::string(value), &used);
        if (used != value.size() || initial < 0) throw std::invalid_argument("not a count");
      } else {
        (flag == "--service" ? service : latency) = strata::parse_duration(value);  // "50ns", "1.5us"
      }
    } catch (const std::exception& e) {
      err << "strata example-expect: error: " << flag << " '" << value << "': " << e.what() << "\n";
      return 2;
    }
  }
  // Every request is answered independently (no queue in this model): each takes one hop
  // there, the service time, and one hop back.
  const strata::Time end = initial > 0 ? 2 * latency.ps + service.ps : 0;
  out << "b.received " << initial << "\n"
      << "a.answered " << initial << "\n"
      << "end_time_ps " << end << "\n";
  return 0;
}

}  // namespace

// 5. The manifest: the one exported symbol. Everything `strata info` and `strata help` show
//    comes from here: component types and commands, in any order.
STRATA_PLUGIN("example_counter", "1.0", "Template plugin: a counting responder",
              strata::component<Counter, CounterParams>("example.counter")
                  .summary("Answers each request after a fixed service time and counts both ways")
                  .description("A template for plugin authors (plugins/example); not a hardware model.")
                  .required_port("io", strata::PortDir::inout, "example.ping", "requests and answers")
                  .counter("received", "count", "requests received and answered")
                  .counter("answered", "count", "answers received for this counter's own requests")
                  .energy("request"),
              strata::command("example-expect", "Predict what a run of two linked example counters ends with",
                              expect_command)
                  .usage(kExpectUsage))

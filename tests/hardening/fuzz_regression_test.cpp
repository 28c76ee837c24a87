// What fuzzing found, one TEST_CASE per bug, with the input inline (the same inputs are in
// fuzz/regressions/<target>/ and replayed by fuzz_replay_test.cpp). These fail loudly
// under .ci/sanitize (ASan/UBSan); in a plain build they check the outcome that was wrong.
#include "fuzz_targets.hpp"
#include "harness.hpp"
#include "strata/opgraph/graph_io.hpp"

#include <strata/strata.hpp>
#include <strata/units.hpp>

#include <catch2/catch.hpp>

#include <string>

using strata::testing::Harness;

namespace {

std::string errors_of(const std::string& toml, const std::vector<std::string>& sets = {}) {
  Harness h;  // shipped plugins from the build tree (bench.phold_lp)
  return h.errors(toml, sets);
}

// 4 LPs in a ring (i -> i + 1) with phold_lp's default 16 initial events each.
const std::string kRing = strata::testing::phold_ring(4, 16, "1");

}  // namespace

TEST_CASE("fuzz regression: a parallel run's worker pools outlive the workers (heap-use-after-free)") {
  // The parallel engine's worker threads exit after every run; their transaction pools
  // were freed then, while blocks carved there were still queued or on the main thread's
  // free list: the next allocation on the main thread used freed memory.
  const std::string parallel = R"(#!set threads=2
#!set stop.end_time=3ns
[[component]]
name = "r"
type = "fz.node"
grid = [4]
params = { count = 8, hops = 50, gap = "1ps" }
[[generate]]
kind = "offsets"
component = "r"
from_port = "port"
to_port = "port"
offsets = [1, 2]
latency = "1ns"
)";
  for (int i = 0; i < 3; ++i) {
    CHECK_NOTHROW(strata::fuzz::builder(parallel));
    CHECK_NOTHROW(strata::fuzz::builder(parallel.substr(parallel.find('['))));  // serial, same process
  }
}

TEST_CASE("fuzz regression: zip from a port the type does not declare is an error, not a null dereference") {
  auto e = errors_of(R"(
[[component]]
name = "core"
type = "bench.phold_lp"
grid = [2]
[[component]]
name = "rt"
type = "bench.phold_lp"
grid = [2]
[[generate]]
kind = "zip"
from = "core.nope"
to = "rt.port"
latency = "1ns"
)");
  CHECK_THAT(e, Catch::Contains("has no port 'nope'"));
}

TEST_CASE("fuzz regression: a multi-port index beyond int is an error, not an uncaught std::out_of_range") {
  std::string e;
  CHECK_NOTHROW(e = errors_of(kRing + R"(
[[link]]
from = "lp[0].port[99999999999]"
to = "lp[1].port[]"
latency = "1ns"
)"));
  CHECK_THAT(e, Catch::Contains("is not an endpoint"));
}

TEST_CASE("fuzz regression: vertical layers far outside the grid are refused before any allocation") {
  // layers = [INT_MIN, INT_MAX] made 2^32 (z, z+1) pairs (out of memory) before the check.
  auto errors_with_layers = [](const std::string& layers) {
    return errors_of(R"(
[[component]]
name = "r"
type = "bench.phold_lp"
grid = [1, 1, 2]
[[generate]]
kind = "vertical"
component = "r"
port = "port"
layers = )" + layers + R"(
latency = "1ns"
)");
  };
  CHECK_THAT(errors_with_layers("[-2147483648, 2147483647]"), Catch::Contains("not both inside the grid"));
  // and an integer beyond 32 bits is refused instead of wrapping (2^32 + 1 read as 1)
  CHECK_THAT(errors_with_layers("[0, 4294967297]"), Catch::Contains("32-bit"));
}

TEST_CASE("fuzz regression: a grid whose size wraps around 2^64 is refused, not built with zero elements") {
  auto e = errors_of("[[component]]\nname = \"g\"\ntype = \"bench.phold_lp\"\ngrid = [65536, 65536, 65536, 65536]\n");
  CHECK_THAT(e, Catch::Contains("grid is too large"));
  e = errors_of("[[component]]\nname = \"g\"\ntype = \"bench.phold_lp\"\ngrid = [1048576, 1048576]\n");
  CHECK_THAT(e, Catch::Contains("grid is too large"));
  e = errors_of("[[component]]\nname = \"g\"\ntype = \"bench.phold_lp\"\ngrid = [4097, 4096]\n");
  CHECK_THAT(e, Catch::Contains("16781312 elements"));
  CHECK(errors_of("[[component]]\nname = \"g\"\ntype = \"bench.phold_lp\"\ngrid = [64, 64]\n").find("too large") ==
        std::string::npos);
}

TEST_CASE("bad input regression: --set stop.max_events takes a positive integer, as the file does") {
  for (auto bad : {"-1", "0", "12abc", "1.5", "lots"})
    CHECK_THAT(errors_of(kRing, {std::string("stop.max_events=") + bad}), Catch::Contains("positive integer"));
  CHECK(errors_of(kRing, {"stop.max_events=1000"}).empty());
}

TEST_CASE("fuzz regression: unit values at the edges of 64-bit time and size") {
  using namespace strata;
  // llround overflowed above 2^63: 1e19 bytes came back as 2^63
  CHECK(parse_bytes("10000000TB").count == 10000000000000000000ull);
  CHECK_THROWS_AS(parse_bytes("16EiB"), UnitError);
  // a period or transfer longer than 2^64 ps saturates instead of converting inf/2^70 to
  // an integer (undefined behaviour; the period came out as 1 ps)
  CHECK(parse_frequency("1e-8Hz").period() == kTimeMax);
  CHECK(parse_frequency("1GHz").period() == 1000);
  CHECK(parse_bandwidth("141e-308Gib/s").transfer_time(4096) == kTimeMax);
  CHECK(parse_bandwidth("1GB/s").transfer_time(1000) == 1000000);
  // a finite number times its unit's scale may not be: "1e308GB/s" parsed to inf
  CHECK_THROWS_AS(parse_bandwidth("1e308GB/s"), UnitError);
  CHECK_THROWS_AS(parse_power("1e308kW"), UnitError);
}

TEST_CASE("fuzz regression: a JSON number beyond double range is a GraphFormatError, not json::out_of_range") {
  using strata::opgraph::GraphFormatError;
  CHECK_THROWS_AS(strata::opgraph::read_graph_string("[1, 218446744073709E51615]"), GraphFormatError);
  CHECK_THROWS_AS(strata::opgraph::read_graph_string("{\"format\": \"strata-opgraph\", \"version\": 1e999}"),
                  GraphFormatError);
}

namespace {
struct WideParams {
  strata::Duration d{strata::Duration{1000000000}};
  strata::Bytes b{strata::Bytes{64}};
  static void declare(strata::ParamSpec<WideParams>& s) {
    s.param("d", &WideParams::d, "a time with a range wider than 2^64 ps").range(1e-3, 1e30);
    s.param("b", &WideParams::b, "a size with a negative lower bound").range(-5, 1e30);
  }
};
class Wide final : public strata::Component {
 public:
  explicit Wide(const strata::ComponentContext& c) : strata::Component(c) {}
};
}  // namespace

TEST_CASE("fuzz regression: a plugin's range bound beyond Duration/Bytes prints instead of overflowing") {
  // The out-of-range message converted the bound 1e30 s to ps in a uint64 (undefined).
  static const strata::PluginManifest m{"wide", "1", "", {strata::component<Wide, WideParams>("test.wide")}};
  Harness h;
  REQUIRE(h.registry.add_builtin(m, "builtin:wide"));
  auto e = h.errors("[[component]]\nname = \"w\"\ntype = \"test.wide\"\nparams = { d = \"1ps\" }\n");
  CHECK_THAT(e, Catch::Contains("out of range") && Catch::Contains("1e+30s"));
  CHECK(h.errors("[[component]]\nname = \"w\"\ntype = \"test.wide\"\nparams = { b = \"1KiB\" }\n").empty());
}

TEST_CASE("fuzz regression: a subnormal value (\"11e-308pW\") is refused, not printed unreadably") {
  // 1.1e-307 x 1e-12 W is subnormal: it printed as "1.09998775390095e-310nW", which did not
  // parse back. Values below the smallest normal double are now out of range.
  CHECK_THROWS_WITH(strata::parse_power("11e-308pW"), Catch::Contains("too small"));
  CHECK_THROWS_AS(strata::parse_duration("1e-320s"), strata::UnitError);
  CHECK(strata::parse_power("0pW").watts == 0);
  CHECK(strata::parse_power("1e-290pW").watts == Approx(1e-302));
}

TEST_CASE("fuzz regression: the event budget stops a system without links (one endless window)") {
  // No links: the lookahead (and the window) is infinite, and PHOLD with mean 0 sends
  // itself zero-delay events forever. The budget used to be checked only at window
  // boundaries, so the run never ended; now a partition runs at most the budget left plus
  // 2^20 events in one window.
  const std::string lonely = R"(
[[component]]
name = "lp"
type = "bench.phold_lp"
grid = [3]
params = { mean = "0ns", init = 3 }
)";
  for (const char* threads : {"threads=1", "threads=2"}) {
    Harness h;
    auto r = h.run(lonely, strata::kTimeMax, {"stop.max_events=5000", threads});
    CHECK(r.result.reason == strata::detail::StopReason::event_budget);
    CHECK(r.result.events >= 5000);
    CHECK(r.result.events <= 2 * (5000 + (1u << 20)));  // each partition: budget + 2^20 at most
  }
}

// phold - Strata's PHOLD, with the flags and RESULT line of shared/peers/phold, so
// bench/phold_compare.sh runs it beside the peer kernels in one script.
//
// The model is plugins/phold (bench.phold_lp), built as real Strata components joined by
// real links (latency = lookahead), driven by the real engine: what is timed is the
// kernel's event loop, port send path, transaction pool and component dispatch.
#include "engine.hpp"
#include "phold_lp.hpp"
#include "plugin_registry.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <string>
#include <sys/resource.h>

using namespace strata;

namespace {
double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
[[noreturn]] void usage(const char* argv0, const char* bad) {
  fmt::print(stderr,
             "{}: bad argument '{}'\nusage: {} [--lps N] [--init M] [--end-ps T] [--lookahead-ps L] [--mean-ps X] "
             "[--seed S] [--offsets K] [--threads T]\n",
             argv0, bad, argv0);
  std::exit(2);
}
}  // namespace

int main(int argc, char** argv) {
  std::uint64_t lps = 1024, init = 16, end_ps = 1000000, lookahead = 1000, mean = 1000, seed = 42, offsets = 8, threads = 1;
  for (int i = 1; i < argc; ++i) {
    auto num = [&](std::uint64_t& v) {
      if (i + 1 >= argc) usage(argv[0], argv[i]);
      char* end = nullptr;
      v = std::strtoull(argv[++i], &end, 10);
      if (*end) usage(argv[0], argv[i]);
    };
    std::string a = argv[i];
    if (a == "--lps") num(lps);
    else if (a == "--init") num(init);
    else if (a == "--end-ps") num(end_ps);
    else if (a == "--lookahead-ps") num(lookahead);
    else if (a == "--mean-ps") num(mean);
    else if (a == "--seed") num(seed);
    else if (a == "--offsets") num(offsets);
    else if (a == "--threads") num(threads);
    else usage(argv[0], argv[i]);
  }
  if (lps < 2 || lookahead == 0) usage(argv[0], "--lps >= 2 and --lookahead-ps > 0");

  auto t0 = std::chrono::steady_clock::now();
  detail::PluginRegistry reg;
  reg.add_builtin(phold::manifest(), "builtin:phold");
  const ComponentDecl& decl = *reg.find("bench.phold_lp");
  detail::Engine engine(seed);
  auto ps = std::make_shared<ParamSet>();
  ps->overrides.emplace_back(decl.find_param("mean"), Duration{mean});
  ps->overrides.emplace_back(decl.find_param("init"), static_cast<std::int64_t>(init));
  std::vector<Component*> comps;
  comps.reserve(lps);
  for (std::uint64_t i = 0; i < lps; ++i)
    comps.push_back(&engine.add_component(decl, fmt::format("lp[{}]", i), {static_cast<int>(i)}, ps, nullptr));
  // each LP ends up with 2 * offsets link ports; sizing them first means wiring never moves one
  for (auto* c : comps) detail::PortWiring::reserve(*c, "port", 2 * offsets);
  for (std::uint64_t i = 0; i < lps; ++i)
    for (std::uint64_t b = 0; b < offsets; ++b) {
      std::uint64_t j = (i + (std::uint64_t{1} << b)) % lps;
      engine.connect(detail::PortWiring::add_multi_element(*comps[i], "port"),
                     detail::PortWiring::add_multi_element(*comps[j], "port"), lookahead);
    }
  engine.set_threads(static_cast<int>(threads));
  engine.init();
  auto t1 = std::chrono::steady_clock::now();
  double c1 = cpu_now();
  detail::StopConditions stop;
  stop.end_time = end_ps;
  auto r = engine.run(stop);
  double c2 = cpu_now();
  auto t2 = std::chrono::steady_clock::now();
  double setup_s = std::chrono::duration<double>(t1 - t0).count();
  double run_s = std::chrono::duration<double>(t2 - t1).count();
  double cpu_s = c2 - c1;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("RESULT peer=strata lps=%llu init=%llu end_ps=%llu events=%llu setup_s=%.3f run_s=%.3f run_cpu_s=%.3f "
              "events_per_sec=%.0f events_per_cpu_sec=%.0f peak_rss_kb=%ld\n",
              (unsigned long long)lps, (unsigned long long)init, (unsigned long long)end_ps,
              (unsigned long long)r.events, setup_s, run_s, cpu_s, run_s > 0 ? r.events / run_s : 0.0,
              cpu_s > 0 ? r.events / cpu_s : 0.0, ru.ru_maxrss);
  return 0;
}

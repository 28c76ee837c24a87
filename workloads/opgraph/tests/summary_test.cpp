#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <strata/opgraph/summary.hpp>

#include "test_support.hpp"

using namespace opg_test;

TEST_CASE("summary: rows add up to the graph's totals", "[opgraph][summary]") {
  WorkloadSpec w;
  w.mode = Mode::lora_finetune;
  w.seq_len = 16;
  const Graph g = generate(model("bert-base"), w);
  const Summary s = summarize(g);
  std::uint64_t count = 0, flops = 0, bytes = 0;
  for (const auto& r : s.rows) {
    count += r.count;
    flops += r.flops;
    bytes += r.bytes;
  }
  CHECK(count == g.ops.size());
  CHECK(flops == g.total_flops());
  CHECK(s.flops == g.total_flops());
  CHECK(s.phase_flops[0] + s.phase_flops[1] + s.phase_flops[2] == s.flops);
  CHECK(bytes == s.bytes);
  CHECK(s.parameters == g.parameter_count());
  CHECK(s.trainable_parameters == g.trainable_parameter_count());

  std::uint64_t gemm_fwd = 0;
  for (const auto& op : g.ops)
    if (op.kind == OpKind::gemm && op.phase == Phase::forward) gemm_fwd += op.flops();
  const auto row = std::find_if(s.rows.begin(), s.rows.end(), [](const SummaryRow& r) {
    return r.kind == OpKind::gemm && r.phase == Phase::forward;
  });
  REQUIRE(row != s.rows.end());
  CHECK(row->flops == gemm_fwd);

  const std::string text = render_text(s);
  CHECK_THAT(text, Catch::Contains("bert-base") && Catch::Contains("grad_gemm_dx") &&
                       Catch::Contains("weight_update"));
  const auto j = nlohmann::json::parse(render_json(s));
  CHECK(j["flops"].get<std::uint64_t>() == s.flops);
  CHECK(j["trainable_parameters"].get<std::uint64_t>() == g.trainable_parameter_count());
  CHECK(j["rows"].size() == s.rows.size());
  CHECK(j["flops_by_phase"]["backward"].get<std::uint64_t>() == s.phase_flops[1]);
}

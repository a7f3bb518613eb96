// Tests engine/match/matcher.h's promise that Match does not allocate once
// its MatchScratch is warm, on the shipped ruleset (rules/) and every
// example episode (rules/examples/*.json): the matcher, its compiled atoms
// (engine/match/atom_vm.h: comprehensions, mentions(), `in` a constant
// list) and the frame decode. Heap allocations are counted by replacing the
// global operator new in this test binary; the counter is checked to see a
// cold scratch allocate, so a zero is not a counter that never counts.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/compile/compiler.h"
#include "engine/match/matcher.h"
#include "engine/proto/proto_adapter.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace {

// Allocations counted while `counting` is set (this test is one thread).
std::atomic<bool> counting{false};
std::atomic<int64_t> allocations{0};

void* Allocate(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* AllocateAligned(std::size_t size, std::align_val_t align) {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
  const std::size_t a = static_cast<std::size_t>(align);
  void* p = std::aligned_alloc(a, (size + a - 1) / a * a);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t size) { return Allocate(size); }
void* operator new[](std::size_t size) { return Allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t size, std::align_val_t align) {
  return AllocateAligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return AllocateAligned(size, align);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

namespace lantern {
namespace {

class MatchAllocationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<LoadResult> loaded =
        LoadRuleSet(testing::SourcePath("rules"), types_);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_NE(loaded->ruleset, nullptr) << loaded->diagnostics.ToString();
    absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> program =
        CompileRuleSet(loaded->ruleset);
    ASSERT_TRUE(program.ok()) << program.status();
    program_ = *program;
    const google::protobuf::Descriptor* root =
        FindFactMessage(program_->ruleset->manifest.fact_message);
    ASSERT_NE(root, nullptr);
    std::vector<std::string> paths;
    for (const auto& e : std::filesystem::directory_iterator(
             testing::SourcePath("rules/examples"))) {
      if (e.path().extension() == ".json") paths.push_back(e.path().string());
    }
    std::sort(paths.begin(), paths.end());
    for (const std::string& path : paths) {
      absl::StatusOr<FactRecord> facts =
          FactsFromJson(*program_->schema, root, testing::ReadFileOrDie(path));
      ASSERT_TRUE(facts.ok()) << path << ": " << facts.status();
      facts_.push_back(*std::move(facts));
    }
    ASSERT_GE(facts_.size(), 9u);
  }

  // Heap allocations made by Match over every example, in turn.
  int64_t AllocationsOfOneRound(MatchScratch* scratch) {
    allocations = 0;
    counting = true;
    for (const FactRecord& facts : facts_) {
      Match(*program_, facts, as_of_, scratch);
    }
    counting = false;
    return allocations.load();
  }

  ProtoFactTypes types_;
  std::shared_ptr<const CompiledRuleSet> program_;
  std::vector<FactRecord> facts_;
  const absl::Time as_of_ = absl::FromUnixSeconds(1714824000);  // 2024-05-04
};

TEST_F(MatchAllocationsTest, ShippedRulesMatchWithoutAllocatingOnceWarm) {
  MatchScratch scratch;
  // A cold scratch grows its buffers: the counter sees them.
  EXPECT_GT(AllocationsOfOneRound(&scratch), 0);
  AllocationsOfOneRound(&scratch);
  EXPECT_EQ(AllocationsOfOneRound(&scratch), 0);
  // The examples exercise the compiled atoms: some rules fire, some are
  // blocked, so the comprehensions and mentions() ran on real values.
  int fired = 0, blocked = 0;
  for (const FactRecord& facts : facts_) {
    Match(*program_, facts, as_of_, &scratch);
    fired += static_cast<int>(scratch.fired().size());
    blocked += static_cast<int>(scratch.blocked().size());
  }
  EXPECT_GT(fired, 0);
  EXPECT_GT(blocked, 0);
  EXPECT_GT(program_->code.atom_count(), 0);
}

}  // namespace
}  // namespace lantern

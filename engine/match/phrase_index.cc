// PhraseIndex: entry points PhraseIndexBuilder::Add / Build (compile time)
// and PhraseIndex::Scan (per text, in the header).
//
// Algorithm: Aho-Corasick (1975) over word ids instead of bytes. Build
// inserts every distinct phrase's word-id sequence into a trie, computes
// failure links breadth-first and merges each state's outputs with its
// failure state's. At run time a token's key (word_scanner::WordKey) and
// length are hashed once; the hash's top bits pick a filter bit (clear: no
// phrase has the word) and its middle bits a slot of an open-addressing
// vocabulary table (then verified by key, and byte by byte past 8 bytes), and
// transitions out of non-root states live in one open-addressing edge table;
// the root's transitions are a direct array by word id.
#include "engine/match/phrase_index.h"

#include <deque>
#include <utility>

namespace lantern {
namespace {

// As PhraseIndex::WordOf probes.
size_t VocabSlotOf(uint64_t hash, size_t mask) {
  return static_cast<size_t>(hash >> 20) & mask;
}

size_t EdgeSlot(int32_t state, int32_t word, size_t mask) {
  const uint64_t key = (static_cast<uint64_t>(state) << 32) ^
                       static_cast<uint32_t>(word) ^ 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>((key * 0xBF58476D1CE4E5B9ull) >> 17) & mask;
}

size_t TableSize(size_t entries) {
  size_t size = 16;
  while (size < 2 * entries) size *= 2;
  return size;
}

}  // namespace

std::vector<std::string> MentionWords(absl::string_view text) {
  std::vector<std::string> words;
  word_scanner::ForEachWord(text, [&](size_t begin, size_t end) {
    std::string word(text.substr(begin, end - begin));
    for (char& c : word) c = static_cast<char>(c | 0x20);
    words.push_back(std::move(word));
  });
  return words;
}

int32_t PhraseIndex::Step(int32_t state, int32_t word) const {
  const size_t mask = edges_.size() - 1;
  while (state != 0) {
    for (size_t slot = EdgeSlot(state, word, mask);; slot = (slot + 1) & mask) {
      const Edge& e = edges_[slot];
      if (e.state < 0) break;
      if (e.state == state && e.word == word) return e.next;
    }
    state = fail_[state];
  }
  return root_next_[word];
}

size_t PhraseIndex::MemoryBytes() const {
  return filter_.capacity() * sizeof(uint64_t) +
         vocab_.capacity() * sizeof(VocabSlot) + word_chars_.capacity() +
         (word_begin_.capacity() + word_len_.capacity() +
          root_next_.capacity() + fail_.capacity() + out_begin_.capacity() +
          out_.capacity()) *
             sizeof(int32_t) +
         edges_.capacity() * sizeof(Edge);
}

int32_t PhraseIndexBuilder::Add(absl::string_view phrase) {
  std::vector<int32_t> ids;
  for (std::string& word : MentionWords(phrase)) {
    auto [it, added] =
        words_.emplace(word, static_cast<int32_t>(word_list_.size()));
    if (added) word_list_.push_back(std::move(word));
    ids.push_back(it->second);
  }
  if (ids.empty()) return -1;
  auto [it, added] =
      phrases_.emplace(ids, static_cast<int32_t>(phrase_list_.size()));
  if (added) phrase_list_.push_back(std::move(ids));
  return it->second;
}

void PhraseIndexBuilder::BuildVocabulary(PhraseIndex* index) const {
  index->vocab_.resize(TableSize(word_list_.size()));
  const size_t mask = index->vocab_.size() - 1;
  // About 64 filter bits per word: a word in no phrase passes the filter
  // with probability at most ~1/64.
  int32_t filter_log2 = 12;
  while ((size_t{1} << filter_log2) < 64 * word_list_.size()) ++filter_log2;
  index->filter_.assign((size_t{1} << filter_log2) / 64, 0);
  index->filter_shift_ = 64 - filter_log2;
  for (size_t w = 0; w < word_list_.size(); ++w) {
    index->word_begin_.push_back(
        static_cast<int32_t>(index->word_chars_.size()));
    index->word_len_.push_back(static_cast<int32_t>(word_list_[w].size()));
    index->word_chars_ += word_list_[w];
    const std::string& word = word_list_[w];
    const uint64_t key = word_scanner::WordKey(word.data(), word.size(),
                                               word.data() + word.size());
    const uint64_t hash = PhraseIndex::WordHash(key, word.size());
    const uint64_t bit = hash >> index->filter_shift_;
    index->filter_[bit >> 6] |= uint64_t{1} << (bit & 63);
    size_t slot = VocabSlotOf(hash, mask);
    while (index->vocab_[slot].word >= 0) slot = (slot + 1) & mask;
    index->vocab_[slot] = {key, static_cast<int32_t>(word.size()),
                           static_cast<int32_t>(w)};
  }
}

PhraseIndexBuilder::Trie PhraseIndexBuilder::BuildTrie() const {
  Trie trie;
  trie.next.emplace_back();
  trie.outputs.emplace_back();
  for (size_t p = 0; p < phrase_list_.size(); ++p) {
    int32_t state = 0;
    for (int32_t word : phrase_list_[p]) {
      auto it = trie.next[state].find(word);
      if (it != trie.next[state].end()) {
        state = it->second;
        continue;
      }
      trie.next.emplace_back();
      trie.outputs.emplace_back();
      const int32_t created = static_cast<int32_t>(trie.next.size() - 1);
      trie.next[state].emplace(word, created);
      state = created;
    }
    trie.outputs[state].push_back(static_cast<int32_t>(p));
  }
  return trie;
}

// Failure links breadth first; each state's outputs gain its failure
// state's (already complete, being shallower).
void PhraseIndexBuilder::LinkFailures(Trie* trie, PhraseIndex* index) {
  const auto& next = trie->next;
  index->fail_.assign(next.size(), 0);
  std::deque<int32_t> queue;
  for (const auto& [word, child] : next[0]) queue.push_back(child);
  while (!queue.empty()) {
    const int32_t s = queue.front();
    queue.pop_front();
    for (const auto& [word, child] : next[s]) {
      int32_t f = index->fail_[s];
      while (f != 0 && !next[f].contains(word)) f = index->fail_[f];
      auto it = next[f].find(word);
      index->fail_[child] =
          it != next[f].end() && it->second != child ? it->second : 0;
      const std::vector<int32_t>& inherited =
          trie->outputs[index->fail_[child]];
      trie->outputs[child].insert(trie->outputs[child].end(), inherited.begin(),
                                  inherited.end());
      queue.push_back(child);
    }
  }
}

void PhraseIndexBuilder::Flatten(const Trie& trie, PhraseIndex* index) const {
  index->root_next_.assign(word_list_.size(), 0);
  for (const auto& [word, child] : trie.next[0]) {
    index->root_next_[word] = child;
  }
  size_t edge_count = 0;
  for (size_t s = 1; s < trie.next.size(); ++s) {
    edge_count += trie.next[s].size();
  }
  index->edges_.resize(TableSize(edge_count));
  const size_t mask = index->edges_.size() - 1;
  for (size_t s = 1; s < trie.next.size(); ++s) {
    for (const auto& [word, child] : trie.next[s]) {
      size_t slot = EdgeSlot(static_cast<int32_t>(s), word, mask);
      while (index->edges_[slot].state >= 0) slot = (slot + 1) & mask;
      index->edges_[slot] = {static_cast<int32_t>(s), word, child};
    }
  }
  index->out_begin_.push_back(0);
  for (const std::vector<int32_t>& out : trie.outputs) {
    index->out_.insert(index->out_.end(), out.begin(), out.end());
    index->out_begin_.push_back(static_cast<int32_t>(index->out_.size()));
  }
}

PhraseIndex PhraseIndexBuilder::Build() && {
  PhraseIndex index;
  index.phrase_count_ = static_cast<int32_t>(phrase_list_.size());
  BuildVocabulary(&index);
  Trie trie = BuildTrie();
  LinkFailures(&trie, &index);
  Flatten(trie, &index);
  return index;
}

}  // namespace lantern

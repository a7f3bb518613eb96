// PhraseIndex: every `mentions()` phrase of a ruleset in one multi-pattern
// automaton, matched in one pass over a text.
//
// mentions() is a whole-word, case-insensitive word-sequence match
// (TextMentions in doc/language.md): ASCII letters are lower-cased
// and every run of characters outside [a-z0-9] separates words. The index
// tokenises exactly that way, maps each word to a word id through the
// phrase vocabulary (a word no phrase contains maps to none and resets the
// automaton), and runs Aho-Corasick over word ids, so whole-word semantics
// hold by construction: "trap house" matches "Trap-House" and "trap house's"
// but not "traphouse" or "trap houses".
//
// Build with PhraseIndexBuilder; Scan never allocates. Words are found with
// engine/match/word_scanner.h, per word rather than per byte. Most words of
// a text are in no phrase: a one-bit-per-hash filter over the vocabulary
// (about 64 bits per phrase word) rejects nearly all of them with one bit
// test, inline, before the vocabulary table is probed.
//
// Thread-safety: immutable once built; Scan may run concurrently.
#ifndef LANTERN_ENGINE_MATCH_PHRASE_INDEX_H_
#define LANTERN_ENGINE_MATCH_PHRASE_INDEX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "engine/match/word_scanner.h"

namespace lantern {

class PhraseIndex {
 public:
  // Calls on_match(phrase_id) for every occurrence of every phrase in
  // `text`, in text order (a phrase may be reported more than once).
  template <typename OnMatch>
  void Scan(absl::string_view text, OnMatch&& on_match) const;

  int32_t phrase_count() const { return phrase_count_; }
  int32_t word_count() const { return static_cast<int32_t>(word_len_.size()); }
  int32_t state_count() const { return static_cast<int32_t>(fail_.size()); }
  size_t MemoryBytes() const;

 private:
  friend class PhraseIndexBuilder;
  struct Edge {  // open addressing: (state, word) → next; state -1 = empty
    int32_t state = -1;
    int32_t word = 0;
    int32_t next = 0;
  };
  struct VocabSlot {  // open addressing by (key, length); word -1 = empty
    uint64_t key = 0;
    int32_t length = 0;
    int32_t word = -1;
  };

  // The hash of a word's key and length: its top bits pick the word's filter
  // bit, its bits from 20 up the word's first vocabulary slot.
  static uint64_t WordHash(uint64_t key, size_t length) {
    return (key + length) * 0x9E3779B97F4A7C15ull;
  }
  // The word id of the `length` bytes at `word` with key `key` and hash
  // `hash`, or -1 when no phrase has that word.
  inline int32_t WordOf(const char* word, size_t length, uint64_t key,
                        uint64_t hash) const;
  int32_t Step(int32_t state, int32_t word) const;

  int32_t phrase_count_ = 0;
  // Bit (hash >> filter_shift_) set for every vocabulary word; a power of
  // two of at least 4,096 bits.
  std::vector<uint64_t> filter_;
  int32_t filter_shift_ = 64;
  std::vector<VocabSlot> vocab_;     // power-of-two size
  std::string word_chars_;           // all words, concatenated
  std::vector<int32_t> word_begin_;  // into word_chars_
  std::vector<int32_t> word_len_;
  std::vector<int32_t> root_next_;  // by word; 0 = stay at root
  std::vector<Edge> edges_;         // power-of-two size
  std::vector<int32_t> fail_;       // by state
  std::vector<int32_t> out_begin_;  // by state, CSR into out_
  std::vector<int32_t> out_;        // phrase ids
};

class PhraseIndexBuilder {
 public:
  // The phrase's id (phrases with the same words share one), or -1 when it
  // has no words and so can mention nothing.
  int32_t Add(absl::string_view phrase);
  PhraseIndex Build() &&;

 private:
  struct Trie {
    std::vector<absl::flat_hash_map<int32_t, int32_t>> next;  // by state
    std::vector<std::vector<int32_t>> outputs;                // by state
  };
  void BuildVocabulary(PhraseIndex* index) const;
  Trie BuildTrie() const;
  static void LinkFailures(Trie* trie, PhraseIndex* index);
  void Flatten(const Trie& trie, PhraseIndex* index) const;

  absl::flat_hash_map<std::string, int32_t> words_;
  std::vector<std::string> word_list_;
  absl::flat_hash_map<std::vector<int32_t>, int32_t> phrases_;
  std::vector<std::vector<int32_t>> phrase_list_;
};

// The words of `text` as mentions() sees them.
std::vector<std::string> MentionWords(absl::string_view text);

// ---------------------------------------------------------------------------
// Implementation details.

inline int32_t PhraseIndex::WordOf(const char* word, size_t length,
                                   uint64_t key, uint64_t hash) const {
  const size_t mask = vocab_.size() - 1;
  for (size_t slot = (hash >> 20) & mask;; slot = (slot + 1) & mask) {
    const VocabSlot& v = vocab_[slot];
    if (v.word < 0) return -1;
    if (v.key != key || static_cast<size_t>(v.length) != length) continue;
    if (length <= 8) return v.word;
    const char* w = word_chars_.data() + word_begin_[v.word];
    size_t i = 0;
    while (i < length && static_cast<char>(word[i] | 0x20) == w[i]) ++i;
    if (i == length) return v.word;
  }
}

template <typename OnMatch>
void PhraseIndex::Scan(absl::string_view text, OnMatch&& on_match) const {
  if (phrase_count_ == 0) return;
  int32_t state = 0;
  const uint64_t* filter = filter_.data();
  const int shift = filter_shift_;
  const char* limit = text.data() + text.size();
  word_scanner::ForEachWord(text, [&](size_t begin, size_t end) {
    const char* at = text.data() + begin;
    const size_t length = end - begin;
    const uint64_t key = word_scanner::WordKey(at, length, limit);
    const uint64_t hash = WordHash(key, length);
    const uint64_t bit = hash >> shift;
    if (((filter[bit >> 6] >> (bit & 63)) & 1) == 0) {
      state = 0;  // in no phrase
      return;
    }
    const int32_t word = WordOf(at, length, key, hash);
    if (word < 0) {
      state = 0;
      return;
    }
    state = state == 0 ? root_next_[word] : Step(state, word);
    for (int32_t k = out_begin_[state]; k < out_begin_[state + 1]; ++k) {
      on_match(out_[k]);
    }
  });
}

}  // namespace lantern

#endif  // LANTERN_ENGINE_MATCH_PHRASE_INDEX_H_

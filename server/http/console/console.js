// Lantern console: talks only to this server's /api/ (console_server.h),
// renders recorded decisions, replays them, and verifies a decision's
// inclusion in the ledger in the browser (WebCrypto: SHA-256 for RFC 6962
// hashing, Ed25519 for the signed tree head). Never builds HTML from data:
// every text goes in through textContent.
"use strict";

// ---- small DOM helpers ----
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  return add(node, ...children);
}
// Appends children as el() does (arrays flattened, null and false skipped).
function add(node, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
function $(id) { return document.getElementById(id); }

// Text with each http(s) URL as a link.
function withLinks(text) {
  const out = [];
  const re = /https?:\/\/[^\s<>"')]+[^\s<>"').,;:]/g;
  let last = 0;
  let m;
  while ((m = re.exec(text)) !== null) {
    out.push(text.slice(last, m.index));
    out.push(el("a", { href: m[0], rel: "noopener noreferrer", target: "_blank" }, m[0]));
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}

function list(items, render) {
  if (!items || items.length === 0) return el("span", { class: "hint" }, "none");
  return el("ul", {}, items.map((item) => el("li", {}, render ? render(item) : item)));
}

// A table in a box of its own that scrolls sideways when the table is wider
// than the page (focusable, so that the keyboard can scroll it too).
function table(caption, headers, rows) {
  return el("div", { class: "table-box", role: "region", "aria-label": caption, tabindex: "0" },
    el("table", {},
      el("caption", { class: "hint" }, caption),
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c) => el("td", {}, c)))))));
}

// ---- API ----
async function api(path, params, method) {
  const query = new URLSearchParams(params || {}).toString();
  const response = await fetch(path + (query ? "?" + query : ""), {
    method: method || "GET",
    headers: { "X-Lantern-Console": "1" },
    credentials: "same-origin",
  });
  let body;
  try { body = await response.json(); } catch (e) { body = { error: "the server's answer was not JSON" }; }
  if (!response.ok) {
    const error = new Error(body.error || ("HTTP " + response.status));
    error.code = body.code;
    throw error;
  }
  return body;
}

function purpose() { return $("purpose").value; }

function showMessage(text) {
  const message = $("message");
  clear(message);
  if (text) add(message, text);
}

// ---- bytes ----
function b64(text) {
  const raw = atob(text || "");
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}
function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}
// RFC 6962: leaf hash SHA-256(0x00 || leaf), node hash SHA-256(0x01 || l || r).
async function leafHash(leaf) { return sha256(concat(new Uint8Array([0]), leaf)); }
async function nodeHash(left, right) { return sha256(concat(new Uint8Array([1]), left, right)); }

// RFC 9162 section 2.1.3.2: the root an audit path leads to, or null.
async function rootFromPath(index, size, leaf, path) {
  if (index >= size) return null;
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

// Microseconds since the epoch of an RFC 3339 "...Z" timestamp (protobuf JSON).
function timestampMicros(text) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text || "");
  if (!m) throw new Error("unreadable timestamp " + text);
  const seconds = BigInt(Date.parse(m[1] + "Z") / 1000);
  const fraction = BigInt(((m[2] || "") + "000000").slice(0, 6));
  return seconds * 1000000n + fraction;
}

// The bytes server/ledger/tree_head.cc signs:
// "lantern-ledger-tree-head-v1" 0x00, size (8 bytes BE), timestamp in
// microseconds (8 bytes BE, two's complement), root hash (32 bytes).
function treeHeadSigningInput(head) {
  const context = new TextEncoder().encode("lantern-ledger-tree-head-v1");
  const numbers = new DataView(new ArrayBuffer(16));
  numbers.setBigUint64(0, BigInt(head.treeSize), false);
  numbers.setBigInt64(8, timestampMicros(head.timestamp), false);
  return concat(context, new Uint8Array([0]), new Uint8Array(numbers.buffer), b64(head.rootHash));
}

// Verifies an /api/proof answer ({head, proof}) entirely in the browser;
// `expectedLeafIndex` (optional) is the decision's leaf. Resolves to
// {ok: true, ...} or {ok: false, reason}. Exposed for tests as
// window.lanternVerifyProof.
async function verifyProof(answer, expectedLeafIndex) {
  try {
    const head = answer.head;
    const proof = answer.proof;
    if (!head || !proof) return { ok: false, reason: "no proof or tree head" };
    if (expectedLeafIndex !== undefined && String(proof.leafIndex) !== String(expectedLeafIndex)) {
      return { ok: false, reason: "the proof is for leaf " + proof.leafIndex + ", not the decision's leaf " + expectedLeafIndex };
    }
    if (String(proof.treeSize) !== String(head.treeSize)) {
      return { ok: false, reason: "the proof is for a tree of " + proof.treeSize + " leaves, the head for " + head.treeSize };
    }
    let leaf = b64(proof.leafHash);
    if (proof.leaf) {
      const computed = await leafHash(b64(proof.leaf));
      if (proof.leafHash && !equal(computed, leaf)) {
        return { ok: false, reason: "the leaf's bytes do not hash to its leaf hash" };
      }
      leaf = computed;
    }
    if (leaf.length !== 32) return { ok: false, reason: "no leaf hash" };
    const path = (proof.hashes || []).map(b64);
    const root = await rootFromPath(Number(proof.leafIndex), Number(proof.treeSize), leaf, path);
    if (root === null) return { ok: false, reason: "the audit path does not fit the tree size" };
    if (!equal(root, b64(head.rootHash))) {
      return { ok: false, reason: "the audit path leads to " + hex(root) + ", not the signed root " + hex(b64(head.rootHash)) };
    }
    const key = await crypto.subtle.importKey("raw", b64(head.publicKey), { name: "Ed25519" }, false, ["verify"]);
    const signed = await crypto.subtle.verify({ name: "Ed25519" }, key, b64(head.signature), treeHeadSigningInput(head));
    if (!signed) return { ok: false, reason: "the tree head's Ed25519 signature does not verify" };
    return { ok: true, root: hex(root), treeSize: head.treeSize, leafIndex: proof.leafIndex, publicKey: hex(b64(head.publicKey)) };
  } catch (e) {
    return { ok: false, reason: String(e && e.message ? e.message : e) };
  }
}
window.lanternVerifyProof = verifyProof;
window.lanternFetchProof = (id, why) => api("/api/proof", { id: id, purpose: why });

// ---- rendering a decision ----
const ANSWER = { RAISE: ["raised", "raised"], CONSIDER: ["consider", "consider"], NOT_RAISED: ["not raised", "not-raised"] };
const TRUTH = { TRUTH_TRUE: "true", TRUTH_FALSE: "false", TRUTH_UNKNOWN: "unknown", TRUTH_ERROR: "error" };

function evidenceList(evidence) {
  return list(evidence, (e) => [
    el("code", {}, e.condition), " is ", el("strong", {}, TRUTH[e.truth] || e.truth),
    e.facts && e.facts.length ? el("ul", {}, e.facts.map((f) => el("li", {}, el("code", {}, f.path), " = ", el("code", {}, f.value)))) : null,
  ]);
}

function cite(text) {
  return text ? el("p", { class: "cite" }, el("strong", {}, "Source: "), withLinks(text)) : null;
}

function promptCard(prompt, extra) {
  const [word, cls] = ANSWER[prompt.answer] || [prompt.answer, ""];
  return el("div", { class: "card", "data-prompt": prompt.name },
    el("h4", {}, prompt.title || prompt.name, " ", el("span", { class: "tag " + cls }, word)),
    prompt.reasons && prompt.reasons.length ? [el("p", {}, "Because of:"), list(prompt.reasons, (r) => [el("code", {}, r.id), " ", r.title])] : null,
    prompt.unknownFacts && prompt.unknownFacts.length ? [el("p", {}, "Find out:"), list(prompt.unknownFacts, (f) => el("code", {}, f))] : null,
    prompt.error ? el("p", { class: "bad" }, "Could not be evaluated: ", prompt.error) : null,
    extra,
    prompt.evidence && prompt.evidence.length ? el("details", {}, el("summary", {}, "Evidence"), evidenceList(prompt.evidence)) : null,
    cite(prompt.cite));
}

function actionRows(actions) {
  return (actions || []).map((a) => [
    el("code", {}, a.code), a.title || "", a.ownerAgency || "",
    a.dueBy ? el("time", { datetime: a.dueBy }, a.dueBy) : (a.dueUnknownFacts && a.dueUnknownFacts.length ? ["unknown; needs ", a.dueUnknownFacts.join(", ")] : (a.dueError || "no deadline")),
    a.overdue ? el("strong", { class: "overdue" }, "OVERDUE") : "no",
    (a.triggeredBy || []).join(", "),
    a.unknownFacts && a.unknownFacts.length ? a.unknownFacts.join(", ") : "",
  ]);
}

function renderDecision(response) {
  const view = $("view");
  clear(view);
  const record = response.decision;
  const a = record.assessment || {};
  const grade = a.grade || {};
  const leafIndex = response.leafIndex;
  add(view, 
    el("h2", { id: "decision-heading", tabindex: "-1" }, "Decision ", el("code", {}, record.decisionId)),
    el("dl", { class: "meta" },
      el("dt", {}, "Received"), el("dd", {}, record.receivedAt || ""),
      el("dt", {}, "Rules applied as of"), el("dd", {}, a.asOf || record.asOf || ""),
      el("dt", {}, "Ruleset"), el("dd", {}, a.ruleset ? [a.ruleset.id, " ", a.ruleset.version, " ", el("code", {}, a.ruleset.digest)] : record.rulesetDigest),
      el("dt", {}, "Engine"), el("dd", {}, record.engineVersion),
      el("dt", {}, "Asked by"), el("dd", {}, record.principal || ""),
      el("dt", {}, "Answer sent as"), el("dd", {}, record.view),
      el("dt", {}, "Child reference"), el("dd", {}, record.facts && record.facts.child ? record.facts.child.reference : "(not shown)"),
      el("dt", {}, "Ledger leaf"), el("dd", {}, String(leafIndex))),
    record.view === "DECISION" ? el("p", { class: "hint" }, "This answer was sent in view DECISION: the decision without its explanation (evidence, citations, rule lists, prompt and action titles, owners, the NRM's consent basis and route); Replay shows the full record.") : null,
    el("div", { class: "actions-bar" },
      el("button", { type: "button", id: "replay-button", onclick: () => replay(record.decisionId) }, "Replay"),
      el("button", { type: "button", id: "proof-button", class: "secondary", onclick: () => proveInclusion(record.decisionId, leafIndex) }, "Verify inclusion proof")),
    el("div", { id: "replay-status", class: "status", role: "status", "aria-live": "polite" }, "Not replayed yet."),
    el("div", { id: "proof-status", class: "status", role: "status", "aria-live": "polite" }, "Proof not checked yet."),
    el("h3", {}, "Grade"),
    el("p", {}, el("span", { id: "grade", class: "grade grade-" + grade.grade }, grade.grade || "none"),
      " total score ", String(grade.totalScore), "; the score alone gives ", grade.bandGrade),
    grade.floorRules && grade.floorRules.length ? [el("p", {}, "Raised to this grade by:"), list(grade.floorRules, (r) => el("code", {}, r))] : el("p", {}, "Set by the total score (no floor raised it)."),
    grade.highestPossible && grade.highestPossible !== grade.grade ? el("p", { class: "consider" }, "Provisional: unknown facts could raise it to ", el("strong", {}, grade.highestPossible), " (", (grade.raisingRules || []).join(", "), ")") : null,
    el("h3", {}, "Concern levels"),
    table("Concerns", ["Concern", "Level", "Score", "Rules", "Floors", "Could rise to"],
      (a.concerns || []).map((c) => [c.concern, el("strong", {}, c.level), String(c.score), (c.rules || []).join(", "), (c.floors || []).join(", "),
        c.highestPossibleLevel && c.highestPossibleLevel !== c.level ? [c.highestPossibleLevel, " (", (c.raisingRules || []).join(", "), ")"] : "—"])),
    el("h3", {}, "Prompts"),
    a.nrm && a.nrm.prompt ? promptCard(a.nrm.prompt, el("p", {}, "Consent: ", a.nrm.consent, a.nrm.consentBasis ? [" — ", withLinks(a.nrm.consentBasis)] : null, a.nrm.referralRoute ? [el("br"), "Route: ", a.nrm.referralRoute] : null)) : null,
    (a.prompts || []).map((p) => promptCard(p)),
    el("h3", {}, "Actions"),
    table("Actions to take", ["Code", "Action", "Owner", "Due by", "Overdue", "Because of", ""], actionRows(a.actions)),
    a.actionsToConsider && a.actionsToConsider.length ? [el("h3", {}, "Actions to consider"),
      table("Actions only undecided things call for", ["Code", "Action", "Owner", "Due by", "Overdue", "Undecided because of", "Find out"], actionRows(a.actionsToConsider))] : null,
    el("h3", {}, "Unknown facts to find out"),
    table("Unknown facts", ["Fact", "Would decide"], (a.unknownFacts || []).map((f) => [el("code", {}, f.path), (f.decides || []).join(", ")])),
    el("h3", {}, "Fired rules"),
    el("div", { id: "fired-rules" }, (a.firedRules || []).map((r) => el("div", { class: "card", "data-rule": r.id },
      el("h4", {}, el("code", {}, r.id), " ", r.title || ""),
      el("p", {}, "Concern ", r.concern, ", score ", String(r.score), r.gradeFloor && r.gradeFloor !== "RISK_GRADE_UNSPECIFIED" ? [", grade floor ", r.gradeFloor] : null),
      r.evidence && r.evidence.length ? el("details", { open: true }, el("summary", {}, "Evidence"), evidenceList(r.evidence)) : null,
      cite(r.cite)))),
    a.blockedRules && a.blockedRules.length ? [el("h3", {}, "Rules blocked for want of facts"),
      table("Blocked rules", ["Rule", "Missing facts"], a.blockedRules.map((b) => [[el("code", {}, b.id), " ", b.title || ""], (b.unknownFacts || []).join(", ")]))] : null,
    a.erroredRules && a.erroredRules.length ? [el("h3", {}, "Rules that failed"), list(a.erroredRules, (e) => [el("code", {}, e.id), " ", e.error || ""])] : null);
  $("decision-heading").focus();
}

async function replay(id) {
  const status = $("replay-status");
  status.textContent = "Replaying…";
  try {
    const answer = await api("/api/replay", { id: id, purpose: purpose() }, "POST");
    clear(status);
    if (answer.outcome === "IDENTICAL") {
      add(status, el("span", { id: "replay-outcome", class: "ok" }, "IDENTICAL"),
        " — the engine (", answer.engineVersion, ") gave the recorded answer again, byte for byte.");
    } else {
      add(status, el("span", { id: "replay-outcome", class: "bad" }, answer.outcome),
        " — recorded by ", answer.recordedEngineVersion, ", replayed by ", answer.engineVersion,
        table("Differences", ["Field", "Recorded", "Replayed"], (answer.differences || []).map((d) => [el("code", {}, d.path), d.recorded, d.replayed])));
    }
  } catch (e) {
    status.textContent = "Replay refused: " + e.message;
  }
}

async function proveInclusion(id, leafIndex) {
  const status = $("proof-status");
  status.textContent = "Fetching the proof…";
  try {
    const answer = await api("/api/proof", { id: id, purpose: purpose() });
    const result = await verifyProof(answer, leafIndex);
    clear(status);
    if (result.ok) {
      add(status, el("span", { id: "proof-outcome", class: "ok" }, "VERIFIED"),
        " in this browser: leaf ", result.leafIndex, " is in the ledger's tree of ", result.treeSize,
        " records, whose root ", el("code", {}, result.root), " is signed by the key ", el("code", {}, result.publicKey), ".");
    } else {
      add(status, el("span", { id: "proof-outcome", class: "bad" }, "NOT VERIFIED"), ": ", result.reason);
    }
  } catch (e) {
    status.textContent = "Proof refused: " + e.message;
  }
}

function renderResults(answer, child) {
  const results = $("results");
  clear(results);
  const decisions = answer.decisions || [];
  add(results, el("h3", {}, decisions.length + " decision" + (decisions.length === 1 ? "" : "s") + " for child ", el("code", {}, child), " (newest first)"));
  add(results, table("Decisions", ["Decision", "Received", "Grade", "Ruleset"], decisions.map((d) => [
    el("a", { href: "#/decision/" + encodeURIComponent(d.decisionId) }, d.decisionId),
    d.receivedAt || "", d.assessment && d.assessment.grade ? d.assessment.grade.grade : "",
    d.assessment && d.assessment.ruleset ? d.assessment.ruleset.version : ""])));
}

async function showDecision(id) {
  showMessage("");
  clear($("view"));
  try {
    renderDecision(await api("/api/decision", { id: id, purpose: purpose() }));
  } catch (e) {
    showMessage("Cannot show decision " + id + ": " + e.message);
  }
}

async function search(event) {
  event.preventDefault();
  showMessage("");
  clear($("results"));
  const term = $("search-term").value.trim();
  const kind = document.querySelector("input[name=kind]:checked").value;
  if (!term) { showMessage("Give a decision id or a child reference."); $("search-term").focus(); return; }
  if (kind === "decision") {
    if (location.hash === "#/decision/" + encodeURIComponent(term)) showDecision(term);
    else location.hash = "#/decision/" + encodeURIComponent(term);
    return;
  }
  try {
    renderResults(await api("/api/search", { child: term, purpose: purpose() }), term);
  } catch (e) {
    showMessage("Search refused: " + e.message);
  }
}

async function showRuleSets() {
  const view = $("view");
  clear(view);
  try {
    const answer = await api("/api/rulesets");
    const versions = answer.rulesets || [];
    const choose = (id, label, selected) => [
      el("label", { for: id }, label),
      el("select", { id: id }, versions.map((r) => el("option", { value: r.digest, selected: r.digest === selected },
        r.version + " (" + r.digest.slice(0, 19) + "…)" + (r.digest === answer.activeDigest ? " active" : "")))),
    ];
    const older = versions.length > 1 ? versions[versions.length - 2].digest : answer.activeDigest;
    add(view, el("h2", { id: "rulesets-heading", tabindex: "-1" }, "Ruleset versions"),
      table("Every version ever active, oldest first", ["Id", "Version", "Digest", "Active", "Rules", "Tests passed"], versions.map((r) => [
        r.id, el("a", { href: "#/ruleset/" + encodeURIComponent(r.digest) }, r.version), el("code", {}, r.digest),
        r.digest === answer.activeDigest ? el("strong", {}, "active") : "",
        r.ruleCount !== undefined ? String(r.ruleCount) : "", r.testsPassed !== undefined ? String(r.testsPassed) : ""])),
      el("h3", {}, "Difference between two versions"),
      el("p", { class: "hint" }, "What answers can differ between two versions, decided by the solver (lantern diff), with an episode that shows each difference."),
      el("form", { id: "diff-form", onsubmit: (e) => {
        e.preventDefault();
        location.hash = "#/diff/" + encodeURIComponent($("diff-old").value) + "/" + encodeURIComponent($("diff-new").value);
      } },
      el("div", { class: "field" }, choose("diff-old", "Old version", older)),
      el("div", { class: "field" }, choose("diff-new", "New version", answer.activeDigest)),
      el("button", { type: "submit", id: "diff-button" }, "Compare")));
    $("rulesets-heading").focus();
  } catch (e) {
    showMessage("Cannot list rulesets: " + e.message);
  }
}

async function showRuleSet(version) {
  const view = $("view");
  clear(view);
  try {
    const answer = await api("/api/ruleset", { version: version });
    const info = answer.info || {};
    add(view, el("h2", { id: "ruleset-heading", tabindex: "-1" }, "Ruleset ", info.id, " ", info.version),
      el("p", {}, el("code", {}, info.digest), info.active ? [" ", el("strong", {}, "active")] : null),
      el("p", {}, el("a", { href: "#/rulesets" }, "All versions")),
      el("h3", {}, (answer.files || []).length + " files"),
      (answer.files || []).map((f) => el("details", { class: "card" }, el("summary", {}, el("code", {}, f.path)),
        el("pre", { class: "mono" }, f.content))));
    $("ruleset-heading").focus();
  } catch (e) {
    showMessage("Cannot show ruleset " + version + ": " + e.message);
  }
}

async function showDiff(oldVersion, newVersion) {
  const view = $("view");
  clear(view);
  add(view, el("h2", { id: "diff-heading", tabindex: "-1" }, "Difference between two versions"),
    el("p", { id: "diff-status", role: "status" }, "The solver is comparing the two versions…"));
  $("diff-heading").focus();
  try {
    const answer = await api("/api/ruleset_diff", { old: oldVersion, new: newVersion });
    $("diff-status").textContent = (answer.differs ? "Answers can differ" : "No answer differs") +
      " between " + answer.old.version + " and " + answer.new.version + ".";
    add(view, el("p", {}, el("a", { href: "#/rulesets" }, "All versions")),
      el("pre", { id: "diff-text", class: "mono" }, answer.text));
  } catch (e) {
    $("diff-status").textContent = "Cannot compare: " + e.message;
  }
}

const GRADES = ["HIGH", "MEDIUM", "LOW", "VERY_LOW"];

// Decisions per hour by grade, refreshed every minute while shown.
let liveTimer = null;
async function showLive() {
  const view = $("view");
  try {
    const answer = await api("/api/live", { hours: 24 });
    clear(view);
    const hours = answer.hours || [];
    const most = Math.max(1, ...hours.map((h) => GRADES.reduce((n, g) => n + (h.grades[g] || 0), 0)));
    add(view, el("h2", { id: "live-heading", tabindex: "-1" }, "Decisions per hour by grade"),
      el("p", { class: "hint" }, "The last 24 hours (UTC), oldest first; refreshed every minute. Counts only."),
      table("Decisions recorded per hour", ["Hour starting", ...GRADES, "Total", ""], hours.map((h) => {
        const total = GRADES.reduce((n, g) => n + (h.grades[g] || 0), 0);
        return [h.start.slice(0, 16).replace("T", " "), ...GRADES.map((g) => String(h.grades[g] || 0)), el("strong", {}, String(total)),
          el("span", { class: "bars", "aria-hidden": "true" }, GRADES.map((g) => el("span", {
            class: "seg seg-" + g, "data-width": String(Math.round(100 * (h.grades[g] || 0) / most)) })))];
      })));
    for (const bar of view.querySelectorAll(".seg")) bar.style.width = bar.dataset.width + "%";
  } catch (e) {
    showMessage("Cannot show the live view: " + e.message);
  }
}

function route() {
  if (liveTimer !== null) { clearInterval(liveTimer); liveTimer = null; }
  const hash = location.hash || "#/";
  // The search form and its results belong to the search and decision pages.
  const searching = hash === "#/" || hash.startsWith("#/decision/");
  $("search-section").hidden = !searching;
  if (!searching) showMessage("");
  const decision = /^#\/decision\/(.+)$/.exec(hash);
  if (decision) { showDecision(decodeURIComponent(decision[1])); return; }
  if (hash === "#/rulesets") { showRuleSets(); return; }
  if (hash === "#/live") {
    clear($("view"));
    showLive().then(() => { const h = $("live-heading"); if (h) h.focus(); });
    liveTimer = setInterval(showLive, 60000);
    return;
  }
  const ruleset = /^#\/ruleset\/(.+)$/.exec(hash);
  if (ruleset) { showRuleSet(decodeURIComponent(ruleset[1])); return; }
  const diff = /^#\/diff\/([^/]+)\/([^/]+)$/.exec(hash);
  if (diff) { showDiff(decodeURIComponent(diff[1]), decodeURIComponent(diff[2])); return; }
  clear($("view"));
}

document.addEventListener("DOMContentLoaded", async () => {
  $("search-form").addEventListener("submit", search);
  window.addEventListener("hashchange", route);
  try {
    const me = await api("/api/whoami");
    $("whoami").textContent = "Signed in as " + me.principal + (me.ledger ? "" : " — the ledger is off: nothing is recorded");
  } catch (e) {
    $("whoami").textContent = "Cannot tell who you are: " + e.message;
  }
  route();
});
